// Tokenizer for Go's text/template syntax, the language of docker's --format
// and inspect -f. It produces text runs and, inside {{ }}, the action tokens
// that template-parser.ts turns into a tree.

export type TokenKind =
  | 'text'
  | 'leftDelim'
  | 'rightDelim'
  | 'field'
  | 'variable'
  | 'identifier'
  | 'keyword'
  | 'string'
  | 'number'
  | 'char'
  | 'bool'
  | 'nil'
  | 'dot'
  | 'pipe'
  | 'declare'
  | 'assign'
  | 'leftParen'
  | 'rightParen'
  | 'comma'
  | 'eof';

export interface Token {
  kind: TokenKind;
  value: string;
  // Offset of the token in the template text, for error positions.
  position: number;
  // Offset after the token, so the parser can tell ".A.B" (one chain) from ".A .B" (two arguments).
  end?: number;
}

export class TemplateSyntaxError extends Error {}

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);
const LEFT = '{{';
const RIGHT = '}}';

function isSpace(character: string | undefined): boolean {
  return character === ' ' || character === '\t' || character === '\r' || character === '\n';
}

function isAlphanumeric(character: string | undefined): boolean {
  return character !== undefined && /[\p{L}\p{N}_]/u.test(character);
}

// Splits a template into tokens. Trim markers ("{{- " and " -}}") are applied
// here by removing the neighbouring whitespace from the text tokens.
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let position = 0;
  let trimNextText = false;

  while (position < text.length) {
    const start = text.indexOf(LEFT, position);
    let chunk = start === -1 ? text.slice(position) : text.slice(position, start);
    if (trimNextText) chunk = chunk.replace(/^[ \t\r\n]+/, '');
    trimNextText = false;

    const trimsLeft = start !== -1 && text[start + 2] === '-' && isSpace(text[start + 3]);
    if (trimsLeft) chunk = chunk.replace(/[ \t\r\n]+$/, '');
    if (chunk.length > 0) tokens.push({ kind: 'text', value: chunk, position });
    if (start === -1) break;

    const actionStart = start + (trimsLeft ? 3 : 2);
    const lexed = lexAction(text, actionStart, tokens, start);
    position = lexed.end;
    trimNextText = lexed.trimsRight;
  }

  tokens.push({ kind: 'eof', value: '', position: text.length });
  return tokens;
}

function lineOf(text: string, position: number): number {
  return text.slice(0, position).split('\n').length;
}

// Lexes one action starting after "{{" (and its trim marker). Returns the offset after "}}".
function lexAction(text: string, from: number, tokens: Token[], delimiterStart: number): { end: number; trimsRight: boolean } {
  let position = from;

  // A comment is a whole action: {{/* ... */}}, with optional trim markers.
  if (text.startsWith('/*', position)) {
    const commentEnd = text.indexOf('*/', position + 2);
    if (commentEnd === -1) throw new TemplateSyntaxError(`template: :${lineOf(text, delimiterStart)}: unclosed comment`);
    let after = commentEnd + 2;
    let trimsRight = false;
    const closing = text.slice(after).match(/^([ \t\r\n]+-)?\}\}/);
    if (!closing) throw new TemplateSyntaxError(`template: :${lineOf(text, delimiterStart)}: comment ends before closing delimiter`);
    if (closing[1]) trimsRight = true;
    after += closing[0].length;
    return { end: after, trimsRight };
  }

  tokens.push({ kind: 'leftDelim', value: LEFT, position: delimiterStart });
  let parenDepth = 0;

  for (;;) {
    if (position >= text.length) throw new TemplateSyntaxError(`template: :${lineOf(text, delimiterStart)}: unclosed action`);
    const character = text[position];

    if (isSpace(character)) {
      // " -}}" closes the action and trims the whitespace after it.
      const trimClose = text.slice(position).match(/^[ \t\r\n]+-\}\}/);
      if (trimClose) {
        tokens.push({ kind: 'rightDelim', value: RIGHT, position });
        return { end: position + trimClose[0].length, trimsRight: true };
      }
      position++;
      continue;
    }

    if (text.startsWith(RIGHT, position)) {
      if (parenDepth > 0) throw new TemplateSyntaxError(`template: :${lineOf(text, position)}: unclosed left paren`);
      tokens.push({ kind: 'rightDelim', value: RIGHT, position });
      return { end: position + 2, trimsRight: false };
    }

    const tokenStart = position;
    if (character === '|') {
      tokens.push({ kind: 'pipe', value: '|', position });
      position++;
    } else if (character === '(') {
      parenDepth++;
      tokens.push({ kind: 'leftParen', value: '(', position });
      position++;
    } else if (character === ')') {
      parenDepth--;
      if (parenDepth < 0) throw new TemplateSyntaxError(`template: :${lineOf(text, position)}: unexpected right paren`);
      tokens.push({ kind: 'rightParen', value: ')', position });
      position++;
    } else if (character === ',') {
      tokens.push({ kind: 'comma', value: ',', position });
      position++;
    } else if (text.startsWith(':=', position)) {
      tokens.push({ kind: 'declare', value: ':=', position });
      position += 2;
    } else if (character === '=') {
      tokens.push({ kind: 'assign', value: '=', position });
      position++;
    } else if (character === '"') {
      position = lexQuoted(text, position, '"');
      tokens.push({ kind: 'string', value: text.slice(tokenStart, position), position: tokenStart });
    } else if (character === '`') {
      const end = text.indexOf('`', position + 1);
      if (end === -1) throw new TemplateSyntaxError(`template: :${lineOf(text, position)}: unterminated raw quoted string`);
      position = end + 1;
      tokens.push({ kind: 'string', value: text.slice(tokenStart, position), position: tokenStart });
    } else if (character === "'") {
      position = lexQuoted(text, position, "'");
      tokens.push({ kind: 'char', value: text.slice(tokenStart, position), position: tokenStart });
    } else if (character === '$') {
      position++;
      while (isAlphanumeric(text[position])) position++;
      tokens.push({ kind: 'variable', value: text.slice(tokenStart, position), position: tokenStart });
    } else if (character === '.') {
      if (/[0-9]/.test(text[position + 1] ?? '')) {
        position = lexNumber(text, position);
        tokens.push({ kind: 'number', value: text.slice(tokenStart, position), position: tokenStart });
      } else if (isAlphanumeric(text[position + 1])) {
        position++;
        while (isAlphanumeric(text[position])) position++;
        tokens.push({ kind: 'field', value: text.slice(tokenStart + 1, position), position: tokenStart });
      } else {
        tokens.push({ kind: 'dot', value: '.', position });
        position++;
      }
    } else if (/[0-9+\-]/.test(character)) {
      position = lexNumber(text, position);
      tokens.push({ kind: 'number', value: text.slice(tokenStart, position), position: tokenStart });
    } else if (isAlphanumeric(character)) {
      while (isAlphanumeric(text[position])) position++;
      const word = text.slice(tokenStart, position);
      let kind: TokenKind = 'identifier';
      if (KEYWORDS.has(word)) kind = 'keyword';
      else if (word === 'true' || word === 'false') kind = 'bool';
      else if (word === 'nil') kind = 'nil';
      tokens.push({ kind, value: word, position: tokenStart });
    } else {
      throw new TemplateSyntaxError(`template: :${lineOf(text, position)}: unexpected ${JSON.stringify(character)} in command`);
    }
    tokens[tokens.length - 1].end = position;
  }
}

function lexQuoted(text: string, start: number, quote: string): number {
  let position = start + 1;
  while (position < text.length) {
    const character = text[position];
    if (character === '\\') {
      position += 2;
      continue;
    }
    if (character === '\n') break;
    if (character === quote) return position + 1;
    position++;
  }
  throw new TemplateSyntaxError(`template: :${lineOf(text, start)}: unterminated quoted string`);
}

function lexNumber(text: string, start: number): number {
  const match = text.slice(start).match(/^[+-]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(\d[\d_]*)?\.?\d*([eE][+-]?\d+)?)/);
  const length = match ? match[0].length : 0;
  if (length === 0 || (length === 1 && /[+\-.]/.test(text[start]))) {
    throw new TemplateSyntaxError(`template: :${lineOf(text, start)}: bad number syntax: ${JSON.stringify(text.slice(start, start + 1))}`);
  }
  return start + length;
}
