// Go's fmt rules for the values a template prints, so `{{.X}}`, printf and
// print produce what docker's Go templates produce: integers in decimal,
// floats in %g style, slices as "[a b]", maps as "map[k:v]" with sorted keys.
// JSON numbers that are whole are treated as Go integers, because docker
// decodes them into integer struct fields.

// Objects that stand for Go structs (format contexts) may provide their %v form.
export interface GoStringer {
  goString(): string;
}

export function isPlainMap(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

// Formats a float as Go's strconv.FormatFloat with format 'e', 'f' or 'g' and a precision (-1 for shortest).
export function formatGoFloat(value: number, verb: 'e' | 'f' | 'g', precision: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  if (verb === 'f') return precision < 0 ? shortestFixed(value) : value.toFixed(precision);
  if (verb === 'e') return goExponential(precision < 0 ? value.toExponential() : value.toExponential(precision));

  // %g: round to the precision, drop trailing zeros, then choose the exponent
  // form when the exponent is < -4 or >= the precision (6 for the shortest form).
  const rounded = precision < 0 ? value.toExponential() : value.toExponential(Math.max(precision, 1) - 1);
  const [mantissa, exponentText] = rounded.split('e');
  const exponent = Number(exponentText);
  const sign = mantissa.startsWith('-') ? '-' : '';
  const digits = mantissa.replace('-', '').replace('.', '').replace(/0+$/, '') || '0';

  let exponentLimit = precision < 0 ? 6 : Math.max(precision, 1);
  if (precision >= 0 && exponentLimit > digits.length && digits.length >= exponent + 1) exponentLimit = digits.length;
  if (exponent < -4 || exponent >= exponentLimit) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    return `${sign}${digits[0]}${fraction}e${goExponent(exponent)}`;
  }
  return Number(rounded).toFixed(Math.max(digits.length - (exponent + 1), 0));
}

function goExponential(text: string): string {
  const [mantissa, exponent] = text.split('e');
  return `${mantissa}e${goExponent(Number(exponent))}`;
}

function shortestFixed(value: number): string {
  const text = String(value);
  if (!/e/.test(text)) return text;
  return value.toFixed(20).replace(/\.?0+$/, '');
}

function goExponent(exponent: number): string {
  const sign = exponent < 0 ? '-' : '+';
  const magnitude = Math.abs(exponent);
  return `${sign}${magnitude < 10 ? '0' : ''}${magnitude}`;
}

// Formats a number as Go's %v does: whole numbers as integers, others like strconv 'g' shortest.
export function formatGoNumber(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return value.toFixed(0);
  return formatGoFloat(value, 'g', -1);
}

// Formats any value as Go's %v. Nested null prints "<nil>" as Go prints a nil interface.
export function formatGoValue(value: unknown): string {
  if (value === undefined) return '<no value>';
  if (value === null) return '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return formatGoNumber(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return `[${value.map(formatGoValue).join(' ')}]`;
  if (isPlainMap(value)) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${key}:${formatGoValue(value[key])}`);
    return `map[${entries.join(' ')}]`;
  }
  if (typeof (value as Partial<GoStringer>).goString === 'function') return (value as GoStringer).goString();
  return String(value);
}

function goTypeName(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float64';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return '[]interface {}';
  if (isPlainMap(value)) return 'map[string]interface {}';
  return 'struct';
}

// Quotes a string as Go's strconv.Quote: escapes quotes, backslashes and non-printable characters.
export function quoteGoString(text: string): string {
  let result = '"';
  for (const character of text) {
    const code = character.codePointAt(0)!;
    if (character === '"' || character === '\\') result += `\\${character}`;
    else if (character === '\n') result += '\\n';
    else if (character === '\t') result += '\\t';
    else if (character === '\r') result += '\\r';
    else if (character === '\x07') result += '\\a';
    else if (character === '\b') result += '\\b';
    else if (character === '\f') result += '\\f';
    else if (character === '\v') result += '\\v';
    else if (/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(character)) result += character;
    else if (code < 0x80) result += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code < 0x10000) result += `\\u${code.toString(16).padStart(4, '0')}`;
    else result += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return `${result}"`;
}

interface Directive {
  minus: boolean;
  plus: boolean;
  space: boolean;
  zero: boolean;
  sharp: boolean;
  width: number | null;
  precision: number | null;
}

function pad(text: string, directive: Directive, numeric: boolean): string {
  if (directive.width === null) return text;
  const length = [...text].length;
  if (length >= directive.width) return text;
  const fill = directive.width - length;
  if (directive.minus) return text + ' '.repeat(fill);
  if (directive.zero && numeric) {
    const sign = /^[+\- ]/.test(text) ? text[0] : '';
    return sign + '0'.repeat(fill) + text.slice(sign.length);
  }
  return ' '.repeat(fill) + text;
}

function signed(text: string, value: number, directive: Directive): string {
  if (value >= 0 && directive.plus) return `+${text}`;
  if (value >= 0 && directive.space) return ` ${text}`;
  return text;
}

function badVerb(verb: string, value: unknown): string {
  return `%!${verb}(${goTypeName(value)}=${formatGoValue(value)})`;
}

function formatOne(verb: string, value: unknown, directive: Directive): string {
  switch (verb) {
    case 'v':
      return pad(formatGoValue(value), directive, false);
    case 's':
      if (typeof value === 'string') return pad(directive.precision === null ? value : [...value].slice(0, directive.precision).join(''), directive, false);
      if (typeof value === 'number' || typeof value === 'boolean') return badVerb(verb, value);
      return pad(formatGoValue(value), directive, false);
    case 'q':
      if (typeof value === 'string') return pad(quoteGoString(value), directive, false);
      if (typeof value === 'number' && Number.isInteger(value)) return pad(`'${String.fromCodePoint(value)}'`, directive, false);
      return badVerb(verb, value);
    case 't':
      return typeof value === 'boolean' ? pad(String(value), directive, false) : badVerb(verb, value);
    case 'd':
      if (typeof value !== 'number' || !Number.isInteger(value)) return badVerb(verb, value);
      return pad(signed(value.toFixed(0), value, directive), directive, true);
    case 'b':
    case 'o':
    case 'x':
    case 'X': {
      const RADIXES: Record<string, number> = { b: 2, o: 8, x: 16, X: 16 };
      const radix = RADIXES[verb];
      let text: string;
      if (typeof value === 'number' && Number.isInteger(value)) text = value.toString(radix);
      else if (typeof value === 'string' && radix === 16) text = Buffer.from(value).toString('hex');
      else return badVerb(verb, value);
      if (verb === 'X') text = text.toUpperCase();
      if (directive.sharp && radix === 16) text = (verb === 'X' ? '0X' : '0x') + text;
      return pad(text, directive, true);
    }
    case 'c':
      return typeof value === 'number' ? pad(String.fromCodePoint(value), directive, false) : badVerb(verb, value);
    case 'e':
    case 'f':
    case 'F':
    case 'g': {
      if (typeof value !== 'number') return badVerb(verb, value);
      const kind = verb === 'F' ? 'f' : verb;
      const precision = directive.precision ?? (kind === 'g' ? -1 : 6);
      return pad(signed(formatGoFloat(value, kind, precision), value, directive), directive, true);
    }
    default:
      return `%!${verb}(${goTypeName(value)}=${formatGoValue(value)})`;
  }
}

// Formats like Go's fmt.Sprintf for the verbs templates use: %v %s %q %d %t %x %X %o %b %c %e %f %g %%.
export function goSprintf(format: string, args: unknown[]): string {
  let result = '';
  let argumentIndex = 0;
  let i = 0;
  while (i < format.length) {
    const character = format[i];
    if (character !== '%') {
      result += character;
      i++;
      continue;
    }
    i++;
    const directive: Directive = { minus: false, plus: false, space: false, zero: false, sharp: false, width: null, precision: null };
    for (; i < format.length && '-+ 0#'.includes(format[i]); i++) {
      const flag = format[i];
      if (flag === '-') directive.minus = true;
      else if (flag === '+') directive.plus = true;
      else if (flag === ' ') directive.space = true;
      else if (flag === '0') directive.zero = true;
      else directive.sharp = true;
    }
    if (format[i] === '*') {
      const width = args[argumentIndex++];
      directive.width = typeof width === 'number' ? width : null;
      i++;
    } else {
      const width = format.slice(i).match(/^\d+/);
      if (width) {
        directive.width = Number(width[0]);
        i += width[0].length;
      }
    }
    if (format[i] === '.') {
      i++;
      const precision = format.slice(i).match(/^\d+/);
      directive.precision = precision ? Number(precision[0]) : 0;
      if (precision) i += precision[0].length;
    }

    const verb = format[i++];
    if (verb === undefined) {
      result += '%!(NOVERB)';
      break;
    }
    if (verb === '%') {
      result += '%';
      continue;
    }
    if (argumentIndex >= args.length) {
      result += `%!${verb}(MISSING)`;
      continue;
    }
    result += formatOne(verb, args[argumentIndex++], directive);
  }

  if (argumentIndex < args.length) {
    const extra = args.slice(argumentIndex).map((value) => `${goTypeName(value)}=${formatGoValue(value)}`);
    result += `%!(EXTRA ${extra.join(', ')})`;
  }
  return result;
}

// Go's fmt.Sprint: a space goes between two operands when neither is a string.
export function goSprint(args: unknown[]): string {
  let result = '';
  args.forEach((value, index) => {
    if (index > 0 && typeof value !== 'string' && typeof args[index - 1] !== 'string') result += ' ';
    result += formatGoValue(value);
  });
  return result;
}

// Go's fmt.Sprintln: operands separated by spaces, then a newline.
export function goSprintln(args: unknown[]): string {
  return `${args.map(formatGoValue).join(' ')}\n`;
}
