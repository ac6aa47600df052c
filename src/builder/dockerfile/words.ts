// Word splitting as BuildKit's Dockerfile parser does it before any variable
// substitution. The splitters here keep quotes and escapes in the words,
// except extractFlags, which removes them from flag values as BuildKit does.

const WHITESPACE = /\s/;

function isSpace(ch: string): boolean {
  return WHITESPACE.test(ch);
}

// Splits on whitespace outside quotes. An escape character keeps the next
// character in the word even if it is a quote or a space. Inside single quotes
// the escape character is literal, and a trailing escape character is dropped.
export function splitWords(text: string, escape: string): string[] {
  const words: string[] = [];
  const chars = Array.from(text);
  let word = '';
  let quote = '';

  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];

    if (quote === '' && isSpace(ch)) {
      if (word !== '') words.push(word);
      word = '';
      continue;
    }

    if (quote !== '' && ch === quote) {
      quote = '';
      word += ch;
      continue;
    }

    if (quote === '' && (ch === '"' || ch === "'")) {
      quote = ch;
      word += ch;
      continue;
    }

    if (ch === escape && quote !== "'") {
      if (i + 1 === chars.length) continue;
      i++;
      word += ch + chars[i];
      continue;
    }
    word += ch;
  }

  if (word !== '') words.push(word);
  return words;
}

// Splits on runs of whitespace only, as BuildKit does for FROM, EXPOSE and the shell form of COPY.
export function splitOnWhitespace(text: string): string[] {
  const trimmed = text.trim();
  return trimmed === '' ? [] : trimmed.split(/\s+/);
}

// Separates the leading `--flag` words from the rest of an instruction's
// arguments. Quotes are removed from flag words and a backslash escapes the
// next character. BuildKit uses a backslash here whatever the escape directive
// sets. A bare `--` ends the flags and is dropped.
export function extractFlags(text: string): { flags: string[]; rest: string } {
  const flags: string[] = [];
  let word = '';
  let inWord = false;
  let quote = '';
  let sawQuote = false;
  let i = 0;

  for (; i < text.length; i++) {
    const ch = text[i];

    if (!inWord) {
      if (isSpace(ch)) continue;
      if (!text.startsWith('--', i)) return { flags, rest: text.slice(i) };
      inWord = true;
    }

    if (quote !== '') {
      if (ch === quote) {
        quote = '';
        continue;
      }
      if (ch === '\\' && i + 1 < text.length) i++;
      word += text[i];
      continue;
    }

    if (isSpace(ch)) {
      if (word === '--') return { flags, rest: text.slice(i).trimStart() };
      if (word !== '' || sawQuote) flags.push(word);
      word = '';
      inWord = false;
      sawQuote = false;
      continue;
    }

    if (ch === '"' || ch === "'") {
      quote = ch;
      sawQuote = true;
      continue;
    }

    if (ch === '\\') {
      if (i + 1 === text.length) continue;
      i++;
    }
    word += text[i];
  }

  if (inWord && word !== '--' && (word !== '' || sawQuote)) flags.push(word);
  return { flags, rest: '' };
}
