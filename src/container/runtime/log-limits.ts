// Log options of the json-file and k8s-file drivers (`--log-opt`), checked
// with the messages of Docker's json-file driver, and merged with berthd's
// default `log-opts` the way dockerd merges its daemon.json defaults.
import { InvalidArgumentError } from '../../common/errors';
import type { LogConfig } from '../types';

export interface LogLimits {
  // Maximum bytes of one log file before conmon starts a new one, or null for no limit.
  maxSize: number | null;
  // Maximum number of log files, counting the one conmon writes (Docker's max-file, at least 1).
  maxFile: number;
}

// Keys Docker's json-file driver accepts. Berth acts on max-size and max-file
// and stores the others for inspect.
const KNOWN_OPTIONS = new Set(['max-size', 'max-file', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag', 'mode', 'max-buffer-size']);

// Decimal multiples, as go-units' FromHumanSize reads them: "1m" and "1MB" are 1,000,000 bytes.
const SIZE_PATTERN = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/;
const SIZE_UNITS: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 };

// Parses a size such as "10m" or "512k" into bytes, or throws Docker's "invalid size" message.
export function parseHumanSize(text: string): number {
  const match = SIZE_PATTERN.exec(text);
  const amount = match ? Number(match[1]) : Number.NaN;
  if (!match || Number.isNaN(amount)) throw new InvalidArgumentError(`invalid size: '${text}'`);
  const unit = match[2] ? SIZE_UNITS[match[2].toLowerCase()] : 1;
  return Math.floor(amount * unit);
}

// Reads max-size and max-file, rejecting what Docker's json-file driver rejects.
export function parseLogLimits(options: Record<string, string>, driver = 'json-file'): LogLimits {
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new InvalidArgumentError(`unknown log opt '${key}' for ${driver} log driver`);
  }

  let maxSize: number | null = null;
  if (options['max-size'] !== undefined) {
    maxSize = parseHumanSize(options['max-size']);
    if (maxSize <= 0) throw new InvalidArgumentError('max-size must be a positive number');
  }

  let maxFile = 1;
  if (options['max-file'] !== undefined) {
    const text = options['max-file'];
    if (!/^[+-]?\d+$/.test(text)) throw new InvalidArgumentError(`strconv.Atoi: parsing "${text}": invalid syntax`);
    maxFile = Number(text);
    if (maxFile < 1) throw new InvalidArgumentError('max-file cannot be less than 1');
  }

  // Without a size limit there is never a rotation, so only one file exists.
  if (maxSize === null) maxFile = 1;
  return { maxSize, maxFile };
}

// Fills in berthd's default options for the keys the container does not set.
// Berth writes one file format for both driver names, so the defaults apply to both.
export function mergeLogConfig(config: LogConfig, defaults: Record<string, string>): LogConfig {
  if (config.type === 'none') return config;
  return { type: config.type, config: { ...defaults, ...config.config } };
}
