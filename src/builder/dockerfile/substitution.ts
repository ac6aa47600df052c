// Variable substitution in Dockerfile words, following BuildKit's shell lexer
// (frontend/dockerfile/shell in moby/buildkit): `$VAR`, `${VAR}`,
// `${VAR:-default}`, `${VAR-default}`, `${VAR:+alt}`, `${VAR+alt}`,
// `${VAR:?message}`, `${VAR?message}`, and the pattern removals `#`, `##`, `%`,
// `%%`. Quotes are removed: single quotes stop substitution, double quotes do
// not. The escape character (from the escape directive) makes the next
// character literal. An unset variable expands to the empty string.
import { InstructionProblem } from './problem';

export type Environment = ReadonlyMap<string, string>;

const SPECIAL_PARAMETERS = new Set(['@', '*', '#', '?', '-', '$', '!', '0']);
const WHITESPACE = /\s/;

// Collects the output words of expandWords. Text from unquoted `$VAR` is split
// on whitespace like the shell does, while quoted text stays in one word.
class WordCollector {
  readonly words: string[] = [];
  private word = '';
  private started = false;

  addLiteral(text: string): void {
    this.word += text;
    this.started = true;
  }

  addSplittable(text: string): void {
    for (const ch of text) {
      if (WHITESPACE.test(ch)) this.finishWord();
      else this.addLiteral(ch);
    }
  }

  // An empty word, such as "", is dropped as BuildKit's lexer does.
  finishWord(): void {
    if (this.started && this.word !== '') this.words.push(this.word);
    this.word = '';
    this.started = false;
  }
}

class ShellLexer {
  private position = 0;
  private readonly chars: string[];

  constructor(
    text: string,
    private readonly environment: Environment,
    private readonly escape: string,
    private readonly rawQuotes = false,
  ) {
    this.chars = Array.from(text);
  }

  private peek(): string | undefined {
    return this.chars[this.position];
  }

  private next(): string | undefined {
    const ch = this.chars[this.position];
    if (ch !== undefined) this.position++;
    return ch;
  }

  // Processes text until `stop` (consumed) or the end. With a collector, unquoted whitespace separates words.
  processUntil(stop: string | undefined, collector?: WordCollector): string {
    let result = '';

    for (;;) {
      const ch = this.peek();
      if (ch === undefined) {
        if (stop !== undefined) throw new InstructionProblem(`syntax error: missing '${stop}' in ${this.chars.join('')}`);
        return result;
      }

      if (ch === stop) {
        this.next();
        return result;
      }

      if (ch === "'") {
        const text = this.processSingleQuote();
        result += text;
        collector?.addLiteral(text);
        continue;
      }

      if (ch === '"') {
        const text = this.processDoubleQuote();
        result += text;
        collector?.addLiteral(text);
        continue;
      }

      if (ch === '$') {
        const text = this.processDollar();
        result += text;
        collector?.addSplittable(text);
        continue;
      }

      this.next();
      if (ch === this.escape) {
        const escaped = this.next();
        if (escaped === undefined) return result;
        result += escaped;
        collector?.addLiteral(escaped);
        continue;
      }

      result += ch;
      if (collector && WHITESPACE.test(ch)) collector.finishWord();
      else collector?.addLiteral(ch);
    }
  }

  private processSingleQuote(): string {
    this.next();
    let result = this.rawQuotes ? "'" : '';
    for (;;) {
      const ch = this.next();
      if (ch === undefined) {
        // NOTE: a lone apostrophe in a heredoc body ("don't") is kept as text here. BuildKit's behaviour in this case was not checked.
        if (this.rawQuotes) return result;
        throw new InstructionProblem('unexpected end of statement while looking for matching single-quote');
      }
      if (ch === "'") return this.rawQuotes ? result + ch : result;
      result += ch;
    }
  }

  // Inside double quotes the escape character escapes only `"`, `$` and itself, as in POSIX shells.
  private processDoubleQuote(): string {
    this.next();
    let result = this.rawQuotes ? '"' : '';
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) {
        if (this.rawQuotes) return result;
        throw new InstructionProblem('unexpected end of statement while looking for matching double-quote');
      }

      if (ch === '"') {
        this.next();
        return this.rawQuotes ? result + ch : result;
      }

      if (ch === '$') {
        result += this.processDollar();
        continue;
      }

      this.next();
      if (ch === this.escape) {
        const following = this.peek();
        if (following === undefined) continue;
        if (following === '"' || following === '$' || following === this.escape) {
          result += this.next();
          continue;
        }
      }
      result += ch;
    }
  }

  private processName(): string {
    let name = '';
    const first = this.peek();
    if (first !== undefined && /[0-9]/.test(first)) {
      while (this.peek() !== undefined && /[0-9]/.test(this.peek() as string)) name += this.next();
      return name;
    }
    if (first !== undefined && SPECIAL_PARAMETERS.has(first)) return this.next() as string;

    for (;;) {
      const ch = this.peek();
      if (ch === undefined || !/[\p{L}\p{N}_]/u.test(ch)) return name;
      name += this.next();
    }
  }

  private processDollar(): string {
    this.next();

    if (this.peek() !== '{') {
      const name = this.processName();
      if (name === '') return '$';
      return this.environment.get(name) ?? '';
    }

    this.next();
    const name = this.processName();
    if (name === '') throw new InstructionProblem(`syntax error: bad substitution in ${this.chars.join('')}`);

    const modifier = this.next();
    if (modifier === undefined) throw new InstructionProblem(`syntax error: missing '}' in ${this.chars.join('')}`);
    if (modifier === '}') return this.environment.get(name) ?? '';

    const value = this.environment.get(name);
    const isSet = value !== undefined;
    const isNonEmpty = isSet && value !== '';

    if (modifier === ':') {
      const colonModifier = this.next();
      if (colonModifier !== '-' && colonModifier !== '+' && colonModifier !== '?') {
        throw new InstructionProblem(`unsupported modifier (:${colonModifier ?? ''}) in substitution of ${name}`);
      }
      const word = this.processUntil('}');
      return this.applyModifier(name, colonModifier, word, value, isNonEmpty, 'is not allowed to be empty');
    }

    if (modifier === '-' || modifier === '+' || modifier === '?') {
      const word = this.processUntil('}');
      return this.applyModifier(name, modifier, word, value, isSet, 'is not allowed to be unset');
    }

    if (modifier === '#' || modifier === '%') {
      const longest = this.peek() === modifier;
      if (longest) this.next();
      const pattern = this.processUntil('}');
      return removePattern(value ?? '', pattern, modifier === '#' ? 'prefix' : 'suffix', longest);
    }

    throw new InstructionProblem(`unsupported modifier (${modifier}) in substitution of ${name}`);
  }

  private applyModifier(name: string, modifier: string, word: string, value: string | undefined, present: boolean, requiredMessage: string): string {
    if (modifier === '-') return present ? (value as string) : word;
    if (modifier === '+') return present ? word : '';
    if (!present) throw new InstructionProblem(`${name}: ${word === '' ? requiredMessage : word}`);
    return value as string;
  }
}

// Converts a shell glob (`*`, `?`, `[...]`, `[!...]`) to a regular expression that must match the whole text.
function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    const classEnd = ch === '[' ? pattern.indexOf(']', i + 2) : -1;

    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else if (classEnd > 0) {
      const body = pattern.slice(i + 1, classEnd).replace(/\\/g, '\\\\').replace(/^!/, '^');
      source += `[${body}]`;
      i = classEnd;
    } else source += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

// Removes the shortest or longest prefix or suffix of value that matches the glob, as `#`, `##`, `%` and `%%` do.
function removePattern(value: string, pattern: string, side: 'prefix' | 'suffix', longest: boolean): string {
  const matcher = globToRegExp(pattern);
  const lengths = Array.from({ length: value.length + 1 }, (_, index) => index);
  const ordered = longest ? lengths.reverse() : lengths;

  for (const length of ordered) {
    const part = side === 'prefix' ? value.slice(0, length) : value.slice(value.length - length);
    if (matcher.test(part)) return side === 'prefix' ? value.slice(length) : value.slice(0, value.length - length);
  }
  return value;
}

// Substitutes variables in one word and removes its quotes, but keeps whitespace as written.
export function expandWord(text: string, environment: Environment, escape = '\\'): string {
  return new ShellLexer(text, environment, escape).processUntil(undefined);
}

// Substitutes variables and splits the result into words on unquoted whitespace,
// including whitespace that an unquoted `$VAR` expands to.
export function expandWords(text: string, environment: Environment, escape = '\\'): string[] {
  const collector = new WordCollector();
  new ShellLexer(text, environment, escape).processUntil(undefined, collector);
  collector.finishWord();
  return collector.words;
}

// Substitutes variables in a heredoc body, as BuildKit does for COPY and ADD
// when the delimiter is unquoted. Quotes stay in the text, a single-quoted
// part is not substituted, and the escape character still escapes `$`.
export function expandHeredocContent(content: string, environment: Environment, escape = '\\'): string {
  return new ShellLexer(content, environment, escape, true).processUntil(undefined);
}
