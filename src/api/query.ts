// Query-string parameters with dockerd's parsing rules.
import { InvalidArgumentError } from '../common/errors';

// dockerd treats "", "0", "no", "false" and "none" (any case) as false and anything else as true.
export function queryBool(query: URLSearchParams, key: string): boolean {
  const value = (query.get(key) ?? '').trim().toLowerCase();
  return !['', '0', 'no', 'false', 'none'].includes(value);
}

export function queryBoolOrDefault(query: URLSearchParams, key: string, fallback: boolean): boolean {
  return query.has(key) ? queryBool(query, key) : fallback;
}

// Parses an optional signed integer. Returns null when the parameter is missing or empty.
export function queryInteger(query: URLSearchParams, key: string): number | null {
  const raw = query.get(key);
  if (raw === null || raw === '') return null;
  if (!/^[+-]?\d+$/.test(raw)) {
    throw new InvalidArgumentError(`invalid value for "${key}": strconv.Atoi: parsing "${raw}": invalid syntax`);
  }
  return Number.parseInt(raw, 10);
}

// Parses a required unsigned 32-bit value such as a terminal height, with dockerd's resize messages.
export function queryUint32(query: URLSearchParams, key: string, description: string): number {
  const raw = query.get(key) ?? '';
  const negative = raw.startsWith('-');
  const digits = negative ? raw.slice(1) : raw;
  if (!/^\d+$/.test(digits)) {
    throw new InvalidArgumentError(`invalid ${description} "${raw}": invalid syntax`);
  }
  const value = Number.parseInt(digits, 10);
  if (negative || value > 0xffffffff) {
    throw new InvalidArgumentError(`invalid ${description} "${raw}": value out of range`);
  }
  return value;
}

// Parses a Unix timestamp given as seconds with an optional fraction ("1700000000.123456789").
export function queryTimestamp(query: URLSearchParams, key: string): number {
  const raw = query.get(key);
  if (raw === null || raw === '') return 0;
  if (!/^-?\d+(\.\d{1,9})?$/.test(raw)) {
    throw new InvalidArgumentError(`invalid value for "${key}": ${JSON.stringify(raw)} is not a Unix timestamp in seconds`);
  }
  return Number.parseFloat(raw);
}
