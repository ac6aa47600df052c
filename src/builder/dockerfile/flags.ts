// Instruction flags (`--from=builder`, `--link`, `--mount=type=cache,...`):
// which flags each instruction accepts and how their values are checked, as
// in BuildKit's Dockerfile frontend 1.x.
import { InstructionProblem } from './problem';
import type { InstructionFlag } from './types';

type FlagKind = 'string' | 'boolean' | 'repeated';

const FLAG_SPECS: Record<string, Record<string, FlagKind>> = {
  FROM: { platform: 'string' },
  RUN: { mount: 'repeated', network: 'string', security: 'string' },
  COPY: { from: 'string', chown: 'string', chmod: 'string', link: 'boolean', parents: 'boolean', exclude: 'repeated' },
  ADD: {
    chown: 'string',
    chmod: 'string',
    link: 'boolean',
    checksum: 'string',
    'keep-git-dir': 'boolean',
    exclude: 'repeated',
    unpack: 'boolean',
  },
  HEALTHCHECK: { interval: 'string', timeout: 'string', 'start-period': 'string', 'start-interval': 'string', retries: 'string' },
};

const NETWORK_MODES = new Set(['default', 'none', 'host']);
const SECURITY_MODES = new Set(['sandbox', 'insecure']);
const MOUNT_TYPES = new Set(['bind', 'cache', 'tmpfs', 'secret', 'ssh']);
const MOUNT_TARGET_KEYS = new Set(['target', 'dst', 'destination']);

// Parses flag words such as `--from=builder` for one instruction and rejects unknown, duplicate and malformed flags.
export function parseInstructionFlags(keyword: string, words: readonly string[]): InstructionFlag[] {
  const specs = FLAG_SPECS[keyword] ?? {};
  const flags: InstructionFlag[] = [];

  for (const word of words) {
    const body = word.slice(2);
    const equals = body.indexOf('=');
    const name = equals < 0 ? body : body.slice(0, equals);
    const value = equals < 0 ? null : body.slice(equals + 1);
    const kind = specs[name];

    if (kind === undefined) throw new InstructionProblem(`unknown flag: --${name} for ${keyword}`);
    if (kind !== 'repeated' && flags.some((flag) => flag.name === name)) {
      throw new InstructionProblem(`duplicate flag specified: --${name}`);
    }

    if (kind === 'boolean') {
      if (value !== null && value !== 'true' && value !== 'false') {
        throw new InstructionProblem(`expecting boolean value for flag --${name}, not: ${value}`);
      }
    } else if (value === null) {
      throw new InstructionProblem(`missing a value on flag: --${name}`);
    }

    validateFlagValue(name, value);
    flags.push({ name, value });
  }

  return flags;
}

function validateFlagValue(name: string, value: string | null): void {
  if (value === null) return;
  if (name === 'network' && !NETWORK_MODES.has(value)) {
    throw new InstructionProblem(`unsupported network mode ${JSON.stringify(value)}: use default, none or host`);
  }
  if (name === 'security' && !SECURITY_MODES.has(value)) {
    throw new InstructionProblem(`unsupported security mode ${JSON.stringify(value)}: use sandbox or insecure`);
  }
  if (name === 'mount') parseMountSpec(value);
}

// Splits a `--mount` value (`type=cache,target=/root/.cache,sharing=locked`) into
// its options. A bare key such as `readonly` maps to "true", and type defaults to bind.
export function parseMountSpec(value: string): Map<string, string> {
  const options = new Map<string, string>();

  for (const field of value.split(',')) {
    if (field === '') continue;
    const equals = field.indexOf('=');
    const key = (equals < 0 ? field : field.slice(0, equals)).toLowerCase();
    options.set(key, equals < 0 ? 'true' : field.slice(equals + 1));
  }

  const type = options.get('type') ?? 'bind';
  if (!MOUNT_TYPES.has(type)) throw new InstructionProblem(`unsupported mount type ${JSON.stringify(type)} in --mount=${value}`);
  options.set('type', type);

  const hasTarget = [...MOUNT_TARGET_KEYS].some((key) => options.has(key));
  if (!hasTarget && type !== 'secret' && type !== 'ssh') {
    throw new InstructionProblem(`mount target is missing in --mount=${value}: add target=/path`);
  }
  return options;
}

// Returns the value of a single-valued flag, "true" for a bare boolean flag, or undefined when absent.
export function flagValue(flags: readonly InstructionFlag[], name: string): string | undefined {
  const flag = flags.find((candidate) => candidate.name === name);
  if (!flag) return undefined;
  return flag.value ?? 'true';
}
