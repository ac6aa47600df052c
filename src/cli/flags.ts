// Command-line flag parsing with the rules of spf13/pflag, which the docker
// CLI uses. It accepts "--name value" and "--name=value", combined short
// flags ("-itd"), and a short flag's value attached ("-eX", "-e=X") or
// separate ("-e X"). Booleans take a value only after "=", list flags
// repeat, and "--" ends the flags. Messages match pflag's, because scripts
// compare them.

export type FlagKind = 'bool' | 'string' | 'int' | 'list';

export interface FlagSpec {
  name: string;
  short?: string;
  kind: FlagKind;
  description: string;
  // Word shown after the flag in help, such as "bytes" or "seconds". Defaults to the kind.
  valueName?: string;
  defaultValue?: string | number | boolean;
  // Validates a value as it is parsed. The error's message is reported as
  // `invalid argument "VALUE" for "-s, --long" flag: MESSAGE`.
  check?: (value: string) => void;
  hidden?: boolean;
}

export class FlagError extends Error {}

type FlagValue = string | number | boolean | string[];

export class FlagValues {
  constructor(
    private readonly specs: ReadonlyMap<string, FlagSpec>,
    private readonly values: ReadonlyMap<string, FlagValue>,
  ) {}

  private spec(name: string, kind: FlagKind): FlagSpec {
    const spec = this.specs.get(name);
    if (!spec || spec.kind !== kind) throw new Error(`internal error: no ${kind} flag --${name} is defined for this command`);
    return spec;
  }

  isSet(name: string): boolean {
    return this.values.has(name);
  }

  bool(name: string): boolean {
    const spec = this.spec(name, 'bool');
    return (this.values.get(name) as boolean | undefined) ?? spec.defaultValue === true;
  }

  string(name: string): string {
    const spec = this.spec(name, 'string');
    return (this.values.get(name) as string | undefined) ?? (spec.defaultValue === undefined ? '' : String(spec.defaultValue));
  }

  int(name: string): number {
    const spec = this.spec(name, 'int');
    return (this.values.get(name) as number | undefined) ?? (typeof spec.defaultValue === 'number' ? spec.defaultValue : 0);
  }

  list(name: string): string[] {
    this.spec(name, 'list');
    return (this.values.get(name) as string[] | undefined) ?? [];
  }
}

export interface ParseResult {
  flags: FlagValues;
  args: string[];
  // True when --help (or -h where -h is not another flag) was given.
  help: boolean;
}

const TRUE_WORDS = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE_WORDS = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

// Parses a boolean as Go's strconv.ParseBool.
export function parseGoBool(value: string): boolean {
  if (TRUE_WORDS.has(value)) return true;
  if (FALSE_WORDS.has(value)) return false;
  throw new Error(`strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax`);
}

// Parses an integer as Go's strconv.ParseInt with base 0 (decimal, 0x, 0o, 0b and leading-0 octal).
export function parseGoInt(value: string): number {
  const match = value.match(/^([+-]?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)$/);
  if (!match) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(value)}: invalid syntax`);
  const digits = match[2];
  let magnitude: bigint;
  if (/^0[oO]/.test(digits)) magnitude = BigInt(`0o${digits.slice(2)}`);
  else if (/^0[0-7]+$/.test(digits)) magnitude = BigInt(`0o${digits.slice(1)}`);
  else magnitude = BigInt(digits);
  const result = match[1] === '-' ? -magnitude : magnitude;
  if (result > BigInt(Number.MAX_SAFE_INTEGER) || result < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(value)}: value out of range`);
  }
  return Number(result);
}

export function flagLabel(spec: FlagSpec): string {
  return spec.short ? `-${spec.short}, --${spec.name}` : `--${spec.name}`;
}

export const HELP_FLAG: FlagSpec = { name: 'help', kind: 'bool', description: 'Print usage' };

class Parser {
  private readonly byName = new Map<string, FlagSpec>();
  private readonly byShort = new Map<string, FlagSpec>();
  private readonly values = new Map<string, FlagValue>();

  constructor(specs: FlagSpec[]) {
    for (const spec of [...specs, HELP_FLAG]) {
      this.byName.set(spec.name, spec);
      if (spec.short) this.byShort.set(spec.short, spec);
    }
  }

  private assign(spec: FlagSpec, raw: string): void {
    let value: FlagValue;
    try {
      if (spec.kind === 'bool') value = parseGoBool(raw);
      else if (spec.kind === 'int') value = parseGoInt(raw);
      else value = raw;
      spec.check?.(raw);
    } catch (error) {
      throw new FlagError(`invalid argument ${JSON.stringify(raw)} for ${JSON.stringify(flagLabel(spec))} flag: ${(error as Error).message}`);
    }
    if (spec.kind === 'list') value = [...((this.values.get(spec.name) as string[] | undefined) ?? []), raw];
    this.values.set(spec.name, value);
  }

  parse(argv: string[], interspersed: boolean): ParseResult {
    const args: string[] = [];
    let index = 0;
    const isHelp = () => this.values.get('help') === true;

    while (index < argv.length) {
      const argument = argv[index++];

      if (argument === '--') {
        args.push(...argv.slice(index));
        break;
      }
      if (!argument.startsWith('-') || argument === '-') {
        args.push(argument);
        if (!interspersed) {
          args.push(...argv.slice(index));
          break;
        }
        continue;
      }

      if (argument.startsWith('--')) {
        index = this.parseLong(argument, argv, index);
      } else {
        index = this.parseShortGroup(argument, argv, index);
      }
      if (isHelp()) return this.result(args, true);
    }
    return this.result(args, false);
  }

  private result(args: string[], help: boolean): ParseResult {
    return { flags: new FlagValues(this.byName, this.values), args, help };
  }

  private parseLong(argument: string, argv: string[], index: number): number {
    const body = argument.slice(2);
    const equals = body.indexOf('=');
    const name = equals === -1 ? body : body.slice(0, equals);
    const spec = this.byName.get(name);
    if (!spec) throw new FlagError(`unknown flag: --${name}`);

    if (equals !== -1) {
      this.assign(spec, body.slice(equals + 1));
      return index;
    }
    if (spec.kind === 'bool') {
      this.assign(spec, 'true');
      return index;
    }
    if (index >= argv.length) throw new FlagError(`flag needs an argument: --${name}`);
    this.assign(spec, argv[index]);
    return index + 1;
  }

  private parseShortGroup(argument: string, argv: string[], index: number): number {
    let rest = argument.slice(1);
    while (rest.length > 0) {
      const letter = rest[0];
      const spec = this.byShort.get(letter) ?? (letter === 'h' ? HELP_FLAG : undefined);
      if (!spec) throw new FlagError(`unknown shorthand flag: '${letter}' in ${argument}`);

      if (rest.length > 2 && rest[1] === '=') {
        this.assign(spec, rest.slice(2));
        return index;
      }
      if (spec.kind === 'bool') {
        this.assign(spec, 'true');
        rest = rest.slice(1);
        if (rest === '=') throw new FlagError(`flag needs an argument: '${letter}' in ${argument}`);
        continue;
      }
      if (rest.length > 1) {
        this.assign(spec, rest.slice(1));
        return index;
      }
      if (index >= argv.length) throw new FlagError(`flag needs an argument: '${letter}' in ${argument}`);
      this.assign(spec, argv[index]);
      return index + 1;
    }
    return index;
  }
}

// Parses argv for one command. With interspersed false, the first positional
// argument ends flag parsing (run, create and exec: what follows the image or
// container is the command and its own flags).
export function parseFlags(specs: FlagSpec[], argv: string[], options: { interspersed: boolean }): ParseResult {
  return new Parser(specs).parse(argv, options.interspersed);
}

// Renders the options block of --help in pflag's layout: flags, value word, description, default.
export function renderFlagHelp(specs: FlagSpec[]): string {
  const visible = specs.filter((spec) => !spec.hidden);
  const rows = visible.map((spec) => {
    const valueWord = spec.kind === 'bool' ? '' : ` ${spec.valueName ?? spec.kind}`;
    const left = spec.short ? `  -${spec.short}, --${spec.name}${valueWord}` : `      --${spec.name}${valueWord}`;
    let description = spec.description;
    const defaultValue = spec.defaultValue;
    const showDefault = defaultValue !== undefined && defaultValue !== '' && defaultValue !== false && !(spec.kind === 'int' && defaultValue === 0);
    if (showDefault) description += spec.kind === 'string' ? ` (default "${defaultValue}")` : ` (default ${defaultValue})`;
    return { left, description };
  });
  const width = Math.max(0, ...rows.map((row) => row.left.length));
  return rows.map((row) => `${row.left.padEnd(width)}   ${row.description}`).join('\n');
}
