// Sizes, durations and timestamps as docker prints and parses them (the
// github.com/docker/go-units rules): decimal sizes for image and container
// sizes, binary sizes for memory, and relative times such as "2 minutes ago".
import { formatGoFloat } from './go-format';

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function scaledSize(size: number, base: number, units: string[], precision: number): string {
  let value = size;
  let unit = 0;
  while (value >= base && unit < units.length - 1) {
    value /= base;
    unit++;
  }
  return `${formatGoFloat(value, 'g', precision)}${units[unit]}`;
}

// Decimal size with the given number of significant digits: 4261550 → "4.26MB" at precision 3.
export function humanSizeWithPrecision(bytes: number, precision: number): string {
  return scaledSize(bytes, 1000, DECIMAL_UNITS, precision);
}

// Decimal size with 4 significant digits, as go-units HumanSize.
export function humanSize(bytes: number): string {
  return humanSizeWithPrecision(bytes, 4);
}

// Binary size with 4 significant digits: 25000000000 → "23.28GiB", as go-units BytesSize.
export function binarySize(bytes: number): string {
  return scaledSize(bytes, 1024, BINARY_UNITS, 4);
}

// Describes a duration in milliseconds the way docker's "CREATED" column does, without "ago".
export function humanDuration(milliseconds: number): string {
  const seconds = Math.trunc(milliseconds / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(milliseconds / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(milliseconds / 3_600_000 / 24 / 365)} years`;
}

const BINARY_MULTIPLIERS: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

// Parses a memory size such as "512m", "1.5g", "1024", "2 GiB" into bytes
// (binary multipliers, so "1k" is 1024), as go-units RAMInBytes.
export function parseRamBytes(text: string): number {
  const separator = Math.max(...[...'0123456789. '].map((character) => text.lastIndexOf(character)));
  if (separator === -1) throw new Error(`invalid size: '${text}'`);
  const number = text[separator] === ' ' ? text.slice(0, separator) : text.slice(0, separator + 1);
  const suffix = text.slice(separator + 1).toLowerCase();

  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(number)) throw new Error(`invalid size: '${text}'`);
  const size = Number(number);
  if (size < 0) throw new Error(`invalid size: '${text}'`);
  if (suffix === '' || suffix === 'b') return Math.trunc(size);

  const multiplier = BINARY_MULTIPLIERS[suffix[0]];
  const validTail = suffix.length === 1 || (suffix.length === 2 && suffix[1] === 'b') || (suffix.length === 3 && suffix.slice(1) === 'ib');
  if (multiplier === undefined || !validTail) throw new Error(`invalid suffix: '${suffix}'`);
  return Math.trunc(size * multiplier);
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

// Parses a Go duration such as "10m", "1h30m" or "-1.5s". Returns milliseconds.
export function parseGoDuration(text: string): number {
  const match = text.match(/^([+-]?)((?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/);
  if (!match) {
    if (text === '0' || text === '+0' || text === '-0') return 0;
    throw new Error(`time: invalid duration "${text}"`);
  }
  let total = 0;
  for (const part of text.slice(match[1].length).matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(part[1]) * DURATION_UNITS[part[2]];
  }
  return match[1] === '-' ? -total : total;
}

// Converts a --since/--until value to the API's "seconds.nanoseconds" form.
// Accepts a Go duration (relative to now), an RFC 3339 date or date-time
// (local time when no zone is given), or a Unix timestamp.
export function parseTimestampArgument(value: string, now: Date = new Date()): string {
  if (value !== '0') {
    try {
      const milliseconds = parseGoDuration(value);
      return String(Math.trunc((now.getTime() - milliseconds) / 1000));
    } catch {
      // Not a duration: try a date below.
    }
  }

  if (value.includes('-')) {
    const parsed = parseDateTime(value);
    if (parsed === null) throw new Error(`parsing time "${value}": invalid date or time`);
    const seconds = Math.floor(parsed.milliseconds / 1000);
    const nanoseconds = parsed.nanosecondFraction;
    return `${seconds}.${nanoseconds.padEnd(9, '0').slice(0, 9)}`;
  }

  if (/^\d+(\.\d{1,9})?$/.test(value)) return value;
  throw new Error(`failed to parse value as time or duration: "${value}"`);
}

function parseDateTime(value: string): { milliseconds: number; nanosecondFraction: string } | null {
  const match = value.match(/^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2}))?(?::(\d{2}))?(?:\.(\d{1,9}))?)?(Z|z|[+-]\d{2}:\d{2})?$/);
  if (!match) return null;
  const [, year, month, day, hour = '00', minute = '00', second = '00', fraction = '', zone] = match;
  const base = `${year}-${month}-${day}T${hour}:${minute}:${second}.${fraction.padEnd(3, '0').slice(0, 3)}`;
  const milliseconds = zone ? Date.parse(`${base}${zone.toUpperCase()}`) : new Date(base).getTime();
  if (Number.isNaN(milliseconds)) return null;
  return { milliseconds, nanosecondFraction: fraction };
}

// Formats a Unix time as Go's time.Time.String() in UTC: "2025-01-02 03:04:05 +0000 UTC".
export function goTimeString(unixSeconds: number): string {
  const iso = new Date(unixSeconds * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} +0000 UTC`;
}
