// Splits a Dockerfile into logical lines the way BuildKit's parser does:
// comment lines are dropped, a line ending in the escape character continues
// on the next line, comment and empty lines inside a continuation are skipped,
// and the bodies of heredocs are read after the line that opens them.
import { parseDirectives } from './directives';
import { parseJsonStringArray } from './arguments';
import { chompHeredocContent, findHeredocMarkers, type HeredocMarker } from './heredoc';
import { DockerfileSyntaxError, InstructionProblem } from './problem';
import type { Directives, Heredoc } from './types';
import { extractFlags } from './words';

export interface LogicalLine {
  text: string;
  line: number;
  endLine: number;
  heredocs: Heredoc[];
}

export interface LexedDockerfile {
  directives: Directives;
  lines: LogicalLine[];
  warnings: string[];
}

const HEREDOC_KEYWORDS = new Set(['run', 'copy', 'add']);

function isComment(line: string): boolean {
  return line.trimStart().startsWith('#');
}

function isBlank(line: string): boolean {
  return line.trim() === '';
}

// Matches a trailing escape character, optionally followed by spaces or tabs,
// unless another escape character precedes it: as in BuildKit's parser.go,
// `\\` at the end of a line is an escaped backslash, not a continuation.
function continuationPattern(escape: string): RegExp {
  const token = escape === '\\' ? '\\\\' : '`';
  return new RegExp(`(?:(?<=[^${token}])|^)${token}[ \\t]*$`);
}

// Removes a trailing continuation character and sets `ended` to false when it was there.
function trimContinuation(line: string, continuation: RegExp): { text: string; ended: boolean } {
  const match = continuation.exec(line);
  if (!match) return { text: line, ended: true };
  return { text: line.slice(0, match.index), ended: false };
}

// True when the arguments after the keyword and flags are a JSON array, which BuildKit never scans for heredocs.
function isJsonForm(text: string): boolean {
  const afterKeyword = text.trim().replace(/^\S+/, '');
  try {
    return parseJsonStringArray(extractFlags(afterKeyword).rest) !== null;
  } catch {
    // A JSON array of non-strings is still JSON form, and the instruction parser reports it.
    return true;
  }
}

// True when the instruction may carry heredocs: RUN, COPY, ADD, or ONBUILD followed by one of them.
function acceptsHeredocs(text: string): boolean {
  const words = text.trim().split(/\s+/, 2).map((word) => word.toLowerCase());
  if (HEREDOC_KEYWORDS.has(words[0])) return true;
  return words[0] === 'onbuild' && words.length > 1 && HEREDOC_KEYWORDS.has(words[1]);
}

function onbuildTriggerText(text: string): string {
  return text.trim().replace(/^\S+\s+/, '');
}

// Reads the body of each heredoc in turn from rawLines, starting at index
// `next`, and appends them to `heredocs`. Returns the index after the last terminator.
function readHeredocBodies(
  markers: readonly HeredocMarker[],
  rawLines: readonly string[],
  next: number,
  heredocs: Heredoc[],
  fileName: string,
  startLine: number,
): number {
  for (const marker of markers) {
    let content = '';
    let terminated = false;

    while (next < rawLines.length) {
      const raw = rawLines[next];
      next++;
      const line = raw.replace(/\r+$/, '');
      const candidate = marker.chomp ? line.replace(/^\t+/, '') : line;
      if (candidate === marker.name) {
        terminated = true;
        break;
      }
      content += `${raw}\n`;
    }

    if (!terminated) {
      throw new DockerfileSyntaxError(fileName, startLine, `unterminated heredoc ${marker.name}: no line "${marker.name}" ends it`);
    }
    heredocs.push({ ...marker, content: marker.chomp ? chompHeredocContent(content) : content });
  }
  return next;
}

export function lexDockerfile(source: string, fileName: string): LexedDockerfile {
  // Heredoc bodies keep a carriage return before "\n" as BuildKit does, but other lines lose it.
  const rawLines = source.replace(/^\uFEFF/, '').split('\n');
  const physicalLines = rawLines.map((line) => line.replace(/\r+$/, ''));
  const directives = parseDirectives(physicalLines, fileName);
  const continuation = continuationPattern(directives.escape);
  const lines: LogicalLine[] = [];
  const warnings: string[] = [];
  let next = 0;

  while (next < physicalLines.length) {
    const first = physicalLines[next].trimStart();
    next++;
    const startLine = next;
    if (isComment(first)) continue;

    let { text, ended } = trimContinuation(first, continuation);
    if (ended && isBlank(text)) continue;

    // Continuation lines keep their leading whitespace, as in BuildKit.
    let emptyContinuationLine = false;
    while (!ended && next < physicalLines.length) {
      const raw = physicalLines[next];
      next++;
      if (isComment(raw)) continue;
      if (isBlank(raw)) {
        emptyContinuationLine = true;
        continue;
      }
      const piece = trimContinuation(raw, continuation);
      text += piece.text;
      ended = piece.ended;
    }
    if (emptyContinuationLine) {
      warnings.push(`${fileName}:${startLine}: empty continuation line found in: ${text.trim()} (empty continuation lines will become errors in a future release)`);
    }

    const heredocs: Heredoc[] = [];
    const markerText = text.trim().toLowerCase().startsWith('onbuild') ? onbuildTriggerText(text) : text;
    if (text.includes('<<') && acceptsHeredocs(text) && !isJsonForm(markerText)) {
      let markers;
      try {
        markers = findHeredocMarkers(markerText);
      } catch (error) {
        if (error instanceof InstructionProblem) throw new DockerfileSyntaxError(fileName, startLine, error.message);
        throw error;
      }

      next = readHeredocBodies(markers, rawLines, next, heredocs, fileName, startLine);
    }

    lines.push({ text, line: startLine, endLine: next, heredocs });
  }

  return { directives, lines, warnings };
}
