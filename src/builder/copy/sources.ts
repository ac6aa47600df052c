// Finds the files a COPY or ADD source names. A plain path is resolved inside
// the source root, and a symlink named directly is followed with the root as
// "/". A pattern uses Go's filepath.Match wildcards and is matched one path
// component at a time, as Docker does.
import fsp from 'node:fs/promises';
import path from 'node:path';
import { resolveInRoot } from '../../common/scoped-path';

export interface MatchedSource {
  // The path as matched, relative to the source root, for messages and the cache key.
  relative: string;
  // Host path after following symlinks inside the root.
  hostPath: string;
}

export function hasWildcards(text: string): boolean {
  return /[*?[\\]/.test(text);
}

// Compiles one path component of a filepath.Match pattern.
function componentRegex(pattern: string): RegExp {
  let source = '^';
  for (let index = 0; index < pattern.length; index++) {
    const character = pattern[index];
    if (character === '*') source += '[^/]*';
    else if (character === '?') source += '[^/]';
    else if (character === '\\' && index + 1 < pattern.length) source += `\\${pattern[++index]}`;
    else if (character === '[') {
      const close = pattern.indexOf(']', index + 2);
      if (close < 0) throw new Error(`syntax error in pattern "${pattern}": unterminated [`);
      const body = pattern.slice(index + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\');
      source += `[${body}]`;
      index = close;
    } else source += character.replace(/[.+()|{}$^\]]/g, '\\$&');
  }
  return new RegExp(`${source}$`, 'u');
}

// Expands a pattern relative to root into the matching relative paths, sorted.
async function expandPattern(root: string, pattern: string): Promise<string[]> {
  let matches = [''];
  for (const component of pattern.split('/').filter((part) => part !== '' && part !== '.')) {
    const next: string[] = [];
    for (const base of matches) {
      if (!hasWildcards(component)) {
        next.push(base === '' ? component : `${base}/${component}`);
        continue;
      }
      const directory = await resolveInRoot(root, base);
      const names = await fsp.readdir(directory).catch(() => [] as string[]);
      const regex = componentRegex(component);
      for (const name of names.sort()) {
        if (regex.test(name)) next.push(base === '' ? name : `${base}/${name}`);
      }
    }
    matches = next;
  }
  const existing: string[] = [];
  for (const relative of matches) {
    const hostPath = await resolveInRoot(root, relative);
    if ((await fsp.lstat(hostPath).catch(() => null)) !== null) existing.push(relative);
  }
  return existing;
}

// Returns the sources a path or pattern names, or an empty list when nothing matches.
export async function matchSources(root: string, source: string): Promise<MatchedSource[]> {
  const cleaned = path.posix.normalize(`/${source}`).slice(1);
  const relatives = hasWildcards(cleaned) ? await expandPattern(root, cleaned) : [cleaned];
  const matched: MatchedSource[] = [];

  for (const relative of relatives) {
    const hostPath = await resolveInRoot(root, relative);
    if ((await fsp.lstat(hostPath).catch(() => null)) === null) continue;
    matched.push({ relative: relative === '' ? '.' : relative, hostPath });
  }
  return matched;
}
