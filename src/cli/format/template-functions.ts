// Functions available in format templates: Go's text/template built-ins plus
// the ones docker adds (json, split, join, title, lower, upper, pad, truncate).
import { formatGoValue, goSprint, goSprintf, goSprintln, isPlainMap } from './go-format';
import { isTruthy, type TemplateFunction } from './template-exec';

// Objects whose JSON form differs from their properties (docker's format contexts).
export interface JsonMarshaler {
  toTemplateJson(): string;
}

function isMarshaler(value: unknown): value is JsonMarshaler {
  return typeof value === 'object' && value !== null && typeof (value as Partial<JsonMarshaler>).toTemplateJson === 'function';
}

const STRUCT_FIELD = /^[A-Z][A-Za-z0-9]*$/;

// Go marshals a map with its keys sorted but a struct in field order. Objects
// whose keys are all exported Go field names are taken to be API structs.
function goKeyOrder(value: unknown): unknown {
  if (isMarshaler(value)) return JSON.parse(value.toTemplateJson());
  if (!isPlainMap(value)) return value;
  const keys = Object.keys(value);
  if (keys.every((key) => STRUCT_FIELD.test(key))) return value;
  return Object.fromEntries(keys.sort().map((key) => [key, value[key]]));
}

// Encodes like Go's json.Encoder with SetEscapeHTML(false), which docker's json function uses.
export function toGoJson(value: unknown): string {
  if (isMarshaler(value)) return value.toTemplateJson();
  const text = JSON.stringify(value === undefined ? null : value, (_key, nested: unknown) => goKeyOrder(nested));
  return text.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

// Escapes <, > and & the way Go's json.Marshal does by default.
export function escapeJsonHtml(text: string): string {
  return text.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

function requireString(value: unknown, functionName: string): string {
  if (typeof value !== 'string') throw new Error(`${functionName}: expected a string, got ${formatGoValue(value)}`);
  return value;
}

function requireInteger(value: unknown, functionName: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new Error(`${functionName}: expected an integer, got ${formatGoValue(value)}`);
  return value;
}

function byteLength(value: string): number {
  return Buffer.byteLength(value);
}

function comparable(left: unknown, right: unknown, name: string): void {
  const kind = (value: unknown) => (value === null || value === undefined ? 'nil' : typeof value);
  const leftKind = kind(left);
  const rightKind = kind(right);
  if (!['string', 'number', 'boolean', 'nil'].includes(leftKind) || !['string', 'number', 'boolean', 'nil'].includes(rightKind)) {
    throw new Error(`${name}: invalid type for comparison`);
  }
  if (leftKind !== rightKind && leftKind !== 'nil' && rightKind !== 'nil') throw new Error(`${name}: incompatible types for comparison`);
}

function ordered(left: unknown, right: unknown, name: string): [number | string, number | string] {
  comparable(left, right, name);
  if (!((typeof left === 'number' && typeof right === 'number') || (typeof left === 'string' && typeof right === 'string'))) {
    throw new Error(`${name}: invalid type for comparison`);
  }
  return [left, right];
}

function indexInto(collection: unknown, key: unknown): unknown {
  if (collection === null || collection === undefined) throw new Error('index of untyped nil');
  if (Array.isArray(collection) || typeof collection === 'string') {
    const position = requireInteger(key, 'index');
    const length = typeof collection === 'string' ? byteLength(collection) : collection.length;
    if (position < 0 || position >= length) throw new Error(`index out of range: ${position}`);
    return typeof collection === 'string' ? Buffer.from(collection)[position] : collection[position];
  }
  if (isPlainMap(collection)) return Object.prototype.hasOwnProperty.call(collection, String(key)) ? collection[String(key)] : undefined;
  throw new Error(`can't index item of type ${typeof collection}`);
}

// Capitalizes the first letter of each word without lowering the others, as golang.org/x/text/cases.Title with NoLower.
function titleCase(text: string): string {
  return text.replace(/(^|[^\p{L}\p{N}'’])(\p{L})/gu, (_match, before: string, letter: string) => before + letter.toUpperCase());
}

const BUILTINS: Record<string, TemplateFunction> = {
  not: (value) => !isTruthy(value),
  len: (value) => {
    if (typeof value === 'string') return byteLength(value);
    if (Array.isArray(value)) return value.length;
    if (isPlainMap(value)) return Object.keys(value).length;
    throw new Error(`len of ${value === null || value === undefined ? 'nil pointer' : `type ${typeof value}`}`);
  },
  index: (collection, ...keys) => keys.reduce((current, key) => indexInto(current, key), collection),
  slice: (collection, ...bounds) => {
    if (typeof collection !== 'string' && !Array.isArray(collection)) throw new Error(`can't slice item of type ${typeof collection}`);
    const [start = 0, end = collection.length] = bounds.map((bound) => requireInteger(bound, 'slice'));
    if (start < 0 || end > collection.length || start > end) throw new Error(`slice index out of range: ${start}:${end}`);
    return collection.slice(start, end);
  },
  print: (...args) => goSprint(args),
  printf: (format, ...args) => goSprintf(requireString(format, 'printf'), args),
  println: (...args) => goSprintln(args),
  eq: (first, ...others) => {
    if (others.length === 0) throw new Error('missing argument for comparison');
    return others.some((other) => {
      comparable(first, other, 'eq');
      return (first ?? null) === (other ?? null);
    });
  },
  ne: (left, right) => {
    comparable(left, right, 'ne');
    return (left ?? null) !== (right ?? null);
  },
  lt: (left, right) => {
    const [a, b] = ordered(left, right, 'lt');
    return a < b;
  },
  le: (left, right) => {
    const [a, b] = ordered(left, right, 'le');
    return a <= b;
  },
  gt: (left, right) => {
    const [a, b] = ordered(left, right, 'gt');
    return a > b;
  },
  ge: (left, right) => {
    const [a, b] = ordered(left, right, 'ge');
    return a >= b;
  },
  html: (...args) =>
    goSprint(args)
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&#34;')
      .replace(/'/g, '&#39;'),
  urlquery: (...args) => encodeURIComponent(goSprint(args)).replace(/%20/g, '+'),
};

const DOCKER_FUNCTIONS: Record<string, TemplateFunction> = {
  json: (value) => toGoJson(value),
  split: (text, separator) => {
    const source = requireString(text, 'split');
    const by = requireString(separator, 'split');
    return by === '' ? [...source] : source.split(by);
  },
  join: (elements, separator) => {
    if (!Array.isArray(elements)) throw new Error(`join: expected a list, got ${formatGoValue(elements)}`);
    return elements.map(formatGoValue).join(requireString(separator, 'join'));
  },
  title: (text) => titleCase(requireString(text, 'title')),
  lower: (text) => requireString(text, 'lower').toLowerCase(),
  upper: (text) => requireString(text, 'upper').toUpperCase(),
  pad: (text, prefix, suffix) => ' '.repeat(Math.max(0, requireInteger(prefix, 'pad'))) + requireString(text, 'pad') + ' '.repeat(Math.max(0, requireInteger(suffix, 'pad'))),
  truncate: (text, length) => {
    const characters = [...requireString(text, 'truncate')];
    const limit = requireInteger(length, 'truncate');
    return characters.length <= limit ? characters.join('') : characters.slice(0, limit).join('');
  },
};

// For rendering a table header: docker's functions return the header text unchanged.
const HEADER_FUNCTIONS: Record<string, TemplateFunction> = Object.fromEntries(
  Object.keys(DOCKER_FUNCTIONS).map((name) => [name, (value: unknown) => (value === undefined ? '' : formatGoValue(value))]),
);

export function templateFunctions(): Record<string, TemplateFunction> {
  return { ...BUILTINS, ...DOCKER_FUNCTIONS };
}

export function headerTemplateFunctions(): Record<string, TemplateFunction> {
  return { ...BUILTINS, ...HEADER_FUNCTIONS };
}

// Names the parser accepts. The executor evaluates "and" and "or" itself.
export const TEMPLATE_FUNCTION_NAMES: ReadonlySet<string> = new Set([...Object.keys(BUILTINS), ...Object.keys(DOCKER_FUNCTIONS), 'and', 'or']);
