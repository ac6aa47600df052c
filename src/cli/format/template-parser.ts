// Parser for Go's text/template syntax: builds the tree that template-exec.ts
// evaluates. Supported: text, actions with pipelines, if/else if/else, with,
// range (with $index, $element), break, continue, variables (:= and =),
// parenthesized pipelines and field chains on any operand. define, template
// and block are rejected because docker's format strings do not use them.
import { TemplateSyntaxError, tokenize, type Token } from './template-lexer';

export interface Pipeline {
  declarations: string[];
  // True for "$x = value" (assignment to an existing variable), false for ":=".
  isAssign: boolean;
  commands: Command[];
  position: number;
}

export interface Command {
  operands: Operand[];
  position: number;
}

export type Operand =
  | { type: 'field'; names: string[]; position: number }
  | { type: 'variable'; name: string; names: string[]; position: number }
  | { type: 'dot'; position: number }
  | { type: 'identifier'; name: string; position: number }
  | { type: 'chain'; operand: Operand; names: string[]; position: number }
  | { type: 'pipe'; pipeline: Pipeline; position: number }
  | { type: 'string'; value: string; position: number }
  | { type: 'number'; value: number; position: number }
  | { type: 'bool'; value: boolean; position: number }
  | { type: 'nil'; position: number };

export interface ControlNode {
  type: 'if' | 'with' | 'range';
  pipeline: Pipeline;
  list: TemplateNode[];
  elseList: TemplateNode[] | null;
}

export type TemplateNode =
  | { type: 'text'; text: string }
  | { type: 'action'; pipeline: Pipeline }
  | ControlNode
  | { type: 'break' | 'continue'; position: number };

interface ListResult {
  nodes: TemplateNode[];
  terminator: 'end' | 'else' | 'eof';
}

class Parser {
  private index = 0;
  private rangeDepth = 0;

  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
    private readonly functionNames: ReadonlySet<string>,
  ) {}

  parse(): TemplateNode[] {
    const result = this.parseList();
    if (result.terminator === 'end') this.fail('unexpected {{end}}');
    if (result.terminator === 'else') this.fail('unexpected {{else}}');
    return result.nodes;
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)];
  }

  private next(): Token {
    const token = this.peek();
    this.index++;
    return token;
  }

  private fail(message: string, position = this.peek().position): never {
    const line = this.text.slice(0, position).split('\n').length;
    throw new TemplateSyntaxError(`template: :${line}: ${message}`);
  }

  private expect(kind: Token['kind'], context: string): Token {
    const token = this.next();
    if (token.kind !== kind) this.fail(`unexpected ${describe(token)} in ${context}`, token.position);
    return token;
  }

  private parseList(): ListResult {
    const nodes: TemplateNode[] = [];
    for (;;) {
      const token = this.peek();
      if (token.kind === 'eof') return { nodes, terminator: 'eof' };

      if (token.kind === 'text') {
        nodes.push({ type: 'text', text: this.next().value });
        continue;
      }

      this.expect('leftDelim', 'template');
      const first = this.peek();
      if (first.kind === 'keyword') {
        this.next();
        switch (first.value) {
          case 'end':
            this.expect('rightDelim', 'end');
            return { nodes, terminator: 'end' };
          case 'else':
            return { nodes, terminator: 'else' };
          case 'if':
          case 'with':
          case 'range':
            nodes.push(this.parseControl(first.value));
            continue;
          case 'break':
          case 'continue':
            if (this.rangeDepth === 0) this.fail(`{{${first.value}}} outside {{range}}`, first.position);
            this.expect('rightDelim', first.value);
            nodes.push({ type: first.value, position: first.position });
            continue;
          default:
            this.fail(`{{${first.value}}} is not supported in format strings`, first.position);
        }
      }

      const pipeline = this.parsePipeline('command', true);
      this.expect('rightDelim', 'command');
      nodes.push({ type: 'action', pipeline });
    }
  }

  // Parses the rest of {{if ...}}, {{with ...}} or {{range ...}} through its {{end}}.
  private parseControl(kind: 'if' | 'with' | 'range'): TemplateNode {
    const pipeline = this.parsePipeline(kind, true);
    this.expect('rightDelim', kind);

    if (kind === 'range') this.rangeDepth++;
    const body = this.parseList();
    if (kind === 'range') this.rangeDepth--;

    if (body.terminator === 'eof') this.fail(`unexpected EOF in ${kind}`);
    let elseList: TemplateNode[] | null = null;
    if (body.terminator === 'else') {
      const chained = this.peek();
      if (kind !== 'range' && chained.kind === 'keyword' && chained.value === kind) {
        // {{else if ...}} and {{else with ...}} nest a new control that shares this {{end}}.
        this.next();
        elseList = [this.parseControl(kind)];
      } else {
        this.expect('rightDelim', 'else');
        const alternative = this.parseList();
        if (alternative.terminator !== 'end') this.fail(`expected end; found ${alternative.terminator === 'else' ? '{{else}}' : 'EOF'}`);
        elseList = alternative.nodes;
      }
    }
    return { type: kind, pipeline, list: body.nodes, elseList };
  }

  private parsePipeline(context: string, allowDeclarations: boolean): Pipeline {
    const position = this.peek().position;
    const declarations: string[] = [];
    let isAssign = false;

    if (allowDeclarations && this.peek().kind === 'variable') {
      const second = this.peek(1);
      const third = this.peek(2);
      const fourth = this.peek(3);
      if (second.kind === 'declare' || second.kind === 'assign') {
        declarations.push(this.next().value);
        isAssign = this.next().kind === 'assign';
      } else if (context === 'range' && second.kind === 'comma' && third.kind === 'variable' && (fourth.kind === 'declare' || fourth.kind === 'assign')) {
        declarations.push(this.next().value);
        this.next();
        declarations.push(this.next().value);
        isAssign = this.next().kind === 'assign';
      }
    }

    const commands: Command[] = [];
    for (;;) {
      const token = this.peek();
      if (token.kind === 'rightDelim' || token.kind === 'rightParen' || token.kind === 'eof') break;
      commands.push(this.parseCommand());
      if (this.peek().kind === 'pipe') {
        this.next();
        if (this.peek().kind === 'rightDelim' || this.peek().kind === 'rightParen') this.fail('missing command after |');
      }
    }
    if (commands.length === 0) this.fail(`missing value for ${context}`, position);
    return { declarations, isAssign, commands, position };
  }

  private parseCommand(): Command {
    const position = this.peek().position;
    const operands: Operand[] = [];
    for (;;) {
      const token = this.peek();
      if (token.kind === 'rightDelim' || token.kind === 'rightParen' || token.kind === 'pipe' || token.kind === 'eof') break;
      operands.push(this.parseOperand());
    }
    return { operands, position };
  }

  // Reads field names that follow the previous token without whitespace (".A.B", "$x.A", "(pipe).A").
  private adjacentFields(previous: Token): string[] {
    const names: string[] = [];
    let last = previous;
    while (this.peek().kind === 'field' && this.peek().position === last.end) {
      last = this.next();
      names.push(last.value);
    }
    return names;
  }

  private parseOperand(): Operand {
    const token = this.next();
    const position = token.position;
    switch (token.kind) {
      case 'field': {
        // Go reports a field chain at its last field, so ".A.B" fails at ".B".
        const chain = [token.value];
        let last = token;
        while (this.peek().kind === 'field' && this.peek().position === last.end) {
          last = this.next();
          chain.push(last.value);
        }
        return { type: 'field', names: chain, position: last.position };
      }
      case 'variable':
        return { type: 'variable', name: token.value, names: this.adjacentFields(token), position };
      case 'dot':
        return { type: 'dot', position };
      case 'identifier':
        if (!this.functionNames.has(token.value)) this.fail(`function "${token.value}" not defined`, position);
        return { type: 'identifier', name: token.value, position };
      case 'string':
        return { type: 'string', value: unquote(token.value), position };
      case 'char':
        return { type: 'number', value: unquote(token.value).codePointAt(0) ?? 0, position };
      case 'number': {
        const value = Number(token.value.replace(/_/g, ''));
        if (Number.isNaN(value)) this.fail(`bad number syntax: ${JSON.stringify(token.value)}`, position);
        return { type: 'number', value, position };
      }
      case 'bool':
        return { type: 'bool', value: token.value === 'true', position };
      case 'nil':
        return { type: 'nil', position };
      case 'leftParen': {
        const pipeline = this.parsePipeline('parenthesized pipeline', true);
        const closing = this.expect('rightParen', 'parenthesized pipeline');
        const pipe: Operand = { type: 'pipe', pipeline, position };
        const names = this.adjacentFields(closing);
        return names.length > 0 ? { type: 'chain', operand: pipe, names, position } : pipe;
      }
      default:
        this.fail(`unexpected ${describe(token)} in operand`, position);
    }
  }
}

function describe(token: Token): string {
  if (token.kind === 'eof') return 'EOF';
  if (token.kind === 'rightDelim') return '"}}"';
  return `"${token.value}"`;
}

// Number of hex digits after \x, \u and \U.
const HEX_DIGITS: Record<string, number> = { x: 2, u: 4, U: 8 };
const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };

// Decodes a Go string or rune literal: "..." with escapes, `...` raw, or 'c'.
export function unquote(literal: string): string {
  const quote = literal[0];
  const body = literal.slice(1, -1);
  if (quote === '`') return body.replace(/\r/g, '');

  let result = '';
  for (let i = 0; i < body.length; i++) {
    const character = body[i];
    if (character !== '\\') {
      result += character;
      continue;
    }
    const escape = body[++i];
    if (escape in SIMPLE_ESCAPES) {
      result += SIMPLE_ESCAPES[escape];
    } else if (escape === 'x' || escape === 'u' || escape === 'U') {
      const length = HEX_DIGITS[escape];
      const code = parseInt(body.slice(i + 1, i + 1 + length), 16);
      if (Number.isNaN(code)) throw new TemplateSyntaxError(`template: invalid escape in ${literal}`);
      result += escape === 'x' ? Buffer.from([code]).toString('latin1') : String.fromCodePoint(code);
      i += length;
    } else if (/[0-7]/.test(escape)) {
      result += String.fromCharCode(parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else {
      throw new TemplateSyntaxError(`template: invalid escape \\${escape} in ${literal}`);
    }
  }
  return result;
}

export function parseTemplateText(text: string, functionNames: ReadonlySet<string>): TemplateNode[] {
  return new Parser(text, tokenize(text), functionNames).parse();
}
