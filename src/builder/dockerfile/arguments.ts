// Argument shapes shared by several instructions: exec form versus shell
// form, and the key=value lists of ENV, LABEL and ARG.
import { InstructionProblem } from './problem';
import type { ArgDeclaration, CommandLine, KeyValue } from './types';
import { splitOnWhitespace, splitWords } from './words';

// Parses a JSON array of strings. Returns null when the text is not a JSON
// array, so the caller falls back to the shell form as Docker does, and throws
// when it is an array that contains something other than strings.
export function parseJsonStringArray(text: string): string[] | null {
  const trimmed = text.trim();
  if (!trimmed.startsWith('[')) return null;

  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed)) return null;
  if (!parsed.every((item) => typeof item === 'string')) {
    throw new InstructionProblem('when using JSON array syntax, arrays must be comprised of strings only');
  }
  return parsed as string[];
}

// Parses RUN, CMD and ENTRYPOINT arguments: exec form when they are a JSON array of strings, otherwise shell form.
export function parseCommandLine(text: string): CommandLine {
  const args = parseJsonStringArray(text);
  if (args !== null) return { form: 'exec', args };
  return { form: 'shell', text: text.trim() };
}

// Parses COPY, ADD and VOLUME arguments: a JSON array of strings, or words separated by whitespace.
export function parseJsonOrWordList(text: string): { values: string[]; jsonForm: boolean } {
  const args = parseJsonStringArray(text);
  if (args !== null) return { values: args, jsonForm: true };
  return { values: splitOnWhitespace(text), jsonForm: false };
}

// Parses the pairs of ENV or LABEL. `KEY=value ...` may contain several pairs
// with quoted values, while the legacy `KEY value` form takes the rest of the
// line as the value. Values keep their quotes and escapes until substitution.
export function parseKeyValuePairs(keyword: string, text: string, escape: string): KeyValue[] {
  const words = splitWords(text, escape);
  if (words.length === 0) throw new InstructionProblem(`${keyword} requires at least one argument`);

  if (!words[0].includes('=')) {
    const parts = text.trim().split(/\s+/);
    if (parts.length < 2) throw new InstructionProblem(`${keyword} must have two arguments: ${keyword} name value, or ${keyword} name=value`);
    const key = parts[0];
    const value = text.trim().slice(key.length).trimStart();
    return [{ key, value }];
  }

  return words.map((word) => {
    const equals = word.indexOf('=');
    if (equals < 0) {
      throw new InstructionProblem(`syntax error - can't find = in ${JSON.stringify(word)}. Must be of the form: name=value`);
    }
    const key = word.slice(0, equals);
    if (key === '') throw new InstructionProblem(`${keyword} names can not be blank: ${word}`);
    return { key, value: word.slice(equals + 1) };
  });
}

// Parses `ARG name[=default] ...`.
export function parseArgDeclarations(text: string, escape: string): ArgDeclaration[] {
  const words = splitWords(text, escape);
  if (words.length === 0) throw new InstructionProblem('ARG requires at least one argument');

  return words.map((word) => {
    const equals = word.indexOf('=');
    const name = equals < 0 ? word : word.slice(0, equals);
    if (name === '') throw new InstructionProblem(`ARG names can not be blank: ${word}`);
    return equals < 0 ? { name } : { name, defaultValue: word.slice(equals + 1) };
  });
}

const DURATION_PART = /([0-9]*\.?[0-9]*)(ns|us|µs|μs|ms|s|m|h)/y;
const NANOSECONDS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, μs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

// Parses a duration in Go's syntax ("30s", "1m30s", "1.5h"), which is what Docker accepts, into nanoseconds.
function parseGoDuration(value: string): number | null {
  if (value === '0') return 0;
  let total = 0;
  let position = 0;
  while (position < value.length) {
    DURATION_PART.lastIndex = position;
    const match = DURATION_PART.exec(value);
    if (!match || !/[0-9]/.test(match[1])) return null;
    total += Number(match[1]) * NANOSECONDS[match[2]];
    position = DURATION_PART.lastIndex;
  }
  return value === '' ? null : total;
}

// Checks a HEALTHCHECK duration flag. Docker rejects durations under 1ms.
export function checkDuration(flag: string, value: string): void {
  const nanoseconds = parseGoDuration(value);
  if (nanoseconds === null) {
    throw new InstructionProblem(`invalid duration ${JSON.stringify(value)} for --${flag}: use a number with a unit, such as 30s or 1m30s`);
  }
  if (nanoseconds < 1e6) throw new InstructionProblem(`--${flag} ${value} cannot be less than 1ms`);
}
