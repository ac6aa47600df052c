// Parser directives: `# name=value` comment lines at the very top of a
// Dockerfile. BuildKit stops looking for them at the first line that is not a
// directive, so a blank line, an ordinary comment, an unknown directive or an
// instruction ends the block and later `# escape=` lines are plain comments.
import { DockerfileSyntaxError } from './problem';
import type { Directives, EscapeCharacter } from './types';

const DIRECTIVE = /^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*$/;
const KNOWN_DIRECTIVES = new Set(['syntax', 'escape', 'check']);

// Reads the directive block from the first physical lines.
export function parseDirectives(lines: readonly string[], fileName: string): Directives {
  const directives: Directives = { escape: '\\', list: [] };

  for (let index = 0; index < lines.length; index++) {
    const match = DIRECTIVE.exec(lines[index].trimStart());
    if (!match) break;

    const name = match[1].toLowerCase();
    const value = match[2];
    const line = index + 1;
    if (!KNOWN_DIRECTIVES.has(name)) break;
    if (directives.list.some((directive) => directive.name === name)) {
      throw new DockerfileSyntaxError(fileName, line, `only one ${name} parser directive can be used`);
    }
    directives.list.push({ name, value, line });

    if (name === 'escape') {
      if (value !== '\\' && value !== '`') {
        throw new DockerfileSyntaxError(fileName, line, `invalid escape character '${value}': it must be \` or \\`);
      }
      directives.escape = value as EscapeCharacter;
    } else if (name === 'syntax') {
      directives.syntax = value;
    } else {
      directives.check = value;
    }
  }

  return directives;
}
