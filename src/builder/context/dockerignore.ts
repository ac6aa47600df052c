// .dockerignore parsing and matching with the rules of Docker's
// moby/patternmatcher (used by the docker CLI and dockerd): one pattern per
// line, `#` comment lines, surrounding spaces trimmed, paths cleaned and a
// leading `/` dropped, `!` for exceptions. A pattern uses Go's filepath.Match
// syntax (`*`, `?`, `[...]`, `\` escapes) plus `**` for any number of
// directories. The last matching pattern wins, and a pattern that matches a
// parent directory also matches everything below it.
//
// The CLI imports this file, so it may import node built-ins only.
import path from 'node:path';

export interface IgnorePattern {
  // The cleaned pattern without its leading "!".
  pattern: string;
  exclusion: boolean;
  regex: RegExp;
}

// Parses the text of a .dockerignore file into patterns, in file order.
export function parseDockerignore(text: string): string[] {
  const patterns: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);

  for (const line of lines) {
    if (line.startsWith('#')) continue;
    let pattern = line.trim();
    if (pattern === '') continue;

    const exclusion = pattern.startsWith('!');
    if (exclusion) pattern = pattern.slice(1).trim();
    if (pattern.length > 0) {
      pattern = path.posix.normalize(pattern).replace(/\/+$/, '') || '/';
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    patterns.push(exclusion ? `!${pattern}` : pattern);
  }
  return patterns;
}

const REGEX_SPECIALS = new Set(['.', '+', '(', ')', '|', '{', '}', '$', '^']);

// Translates one cleaned pattern into an anchored regular expression, as patternmatcher compiles it.
function compilePattern(pattern: string): RegExp {
  let source = '^';
  const characters = Array.from(pattern);

  for (let index = 0; index < characters.length; index++) {
    const character = characters[index];

    if (character === '*' && characters[index + 1] === '*') {
      index++;
      // "**/" is treated as "**", so the slash is consumed with it.
      if (characters[index + 1] === '/') index++;
      source += index + 1 >= characters.length ? '.*' : '(.*/)?';
    } else if (character === '*') {
      source += '[^/]*';
    } else if (character === '?') {
      source += '[^/]';
    } else if (character === '\\') {
      const next = characters[index + 1];
      if (next === undefined) {
        source += '\\\\';
      } else {
        source += `\\${next}`;
        index++;
      }
    } else if (character === '[' || character === ']') {
      source += character;
    } else if (REGEX_SPECIALS.has(character)) {
      source += `\\${character}`;
    } else {
      source += character;
    }
  }
  return new RegExp(`${source}$`, 'u');
}

// Compiles patterns as written in .dockerignore (with "!" prefixes). An invalid pattern throws an error naming it.
export function compilePatterns(patterns: string[]): IgnorePattern[] {
  return patterns.map((written) => {
    const exclusion = written.startsWith('!');
    const pattern = exclusion ? written.slice(1) : written;
    try {
      return { pattern, exclusion, regex: compilePattern(pattern) };
    } catch (error) {
      throw new Error(`invalid .dockerignore pattern ${JSON.stringify(written)}: ${(error as Error).message}`, { cause: error });
    }
  });
}

// Returns whether a slash-separated path relative to the context root is
// excluded: the last pattern that matches the path or one of its parent
// directories decides.
export function isExcluded(relativePath: string, patterns: IgnorePattern[]): boolean {
  const file = path.posix.normalize(relativePath).replace(/^\/+|\/+$/g, '');
  const parentPath = path.posix.dirname(file);
  const parentParts = parentPath === '.' ? [] : parentPath.split('/');
  let matched = false;

  for (const pattern of patterns) {
    // An inclusion can only change an unmatched path and an exception only a matched one.
    if (pattern.exclusion !== matched) continue;

    let match = pattern.regex.test(file);
    for (let depth = 1; !match && depth <= parentParts.length; depth++) {
      match = pattern.regex.test(parentParts.slice(0, depth).join('/'));
    }
    if (match) matched = !pattern.exclusion;
  }
  return matched;
}

// Returns whether an excluded directory must still be walked because an
// exception pattern names something below it, as the docker CLI decides
// while packing the context.
export function mayContainExceptions(directory: string, patterns: IgnorePattern[]): boolean {
  const prefix = `${directory.replace(/\/+$/, '')}/`;
  return patterns.some((pattern) => pattern.exclusion && `${pattern.pattern}/`.startsWith(prefix));
}

// Adds exceptions so the Dockerfile and .dockerignore always reach the
// daemon, which needs both. The docker CLI does the same before it packs.
export function keepBuildFiles(patterns: string[], dockerfile: string | null): string[] {
  const kept = [...patterns];
  const compiled = compilePatterns(patterns);
  if (isExcluded('.dockerignore', compiled)) kept.push('!.dockerignore');
  if (dockerfile !== null && isExcluded(dockerfile, compiled)) kept.push(`!${dockerfile}`);
  return kept;
}
