// Typed reads of fields from a decoded JSON object, with the rules of Go's
// encoding/json that dockerd relies on: names match case-insensitively, null
// means "not set", and a value of the wrong type is an error naming the field.
// The reader remembers which fields were read, so the caller can keep known
// but unused Docker fields and report unknown ones.
import { InvalidArgumentError } from '../../common/errors';

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `a string (${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)})`;
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  return `a ${typeof value}`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class FieldReader {
  private readonly consumed = new Set<string>();

  // `path` names the object in messages ("HostConfig"), and `unknownFields` collects names of fields no Docker version has.
  constructor(
    private readonly fields: Record<string, unknown>,
    readonly path: string,
    private readonly unknownFields: string[],
  ) {}

  // Returns a reader for an object value, or null when the value is missing or null.
  static of(value: unknown, path: string, unknownFields: string[]): FieldReader | null {
    if (value === undefined || value === null) return null;
    if (!isPlainObject(value)) throw new InvalidArgumentError(`invalid JSON: ${path}: expected an object, got ${describe(value)}`);
    return new FieldReader(value, path, unknownFields);
  }

  fieldPath(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  fail(key: string, expected: string, value: unknown): never {
    throw new InvalidArgumentError(`invalid JSON: ${this.fieldPath(key)}: expected ${expected}, got ${describe(value)}`);
  }

  // Returns the value of a field, matching its name exactly first and then ignoring case. Marks it read.
  raw(key: string): unknown {
    if (Object.prototype.hasOwnProperty.call(this.fields, key)) {
      this.consumed.add(key);
      return this.fields[key];
    }
    const lower = key.toLowerCase();
    for (const candidate of Object.keys(this.fields)) {
      if (candidate.toLowerCase() === lower) {
        this.consumed.add(candidate);
        return this.fields[candidate];
      }
    }
    return undefined;
  }

  has(key: string): boolean {
    const value = this.raw(key);
    return value !== undefined && value !== null;
  }

  string(key: string): string | undefined {
    const value = this.raw(key);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') this.fail(key, 'a string', value);
    return value;
  }

  boolean(key: string): boolean | undefined {
    const value = this.raw(key);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') this.fail(key, 'a boolean', value);
    return value;
  }

  integer(key: string): number | undefined {
    const value = this.raw(key);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) this.fail(key, 'an integer', value);
    return value;
  }

  // Returns null for an explicit JSON null, so callers can tell "null" from "absent" where Docker does.
  stringArray(key: string): string[] | null | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (value === null) return null;
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) this.fail(key, 'an array of strings', value);
    return value as string[];
  }

  // Docker's StrSlice (Cmd, Entrypoint): an array of strings, or one string meaning a one-element array.
  stringOrStringArray(key: string): string[] | null | undefined {
    const value = this.raw(key);
    if (typeof value === 'string') return [value];
    if (value === undefined) return undefined;
    if (value === null) return null;
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) this.fail(key, 'a string or an array of strings', value);
    return value as string[];
  }

  stringMap(key: string): Record<string, string> | undefined {
    const value = this.raw(key);
    if (value === undefined || value === null) return undefined;
    if (!isPlainObject(value)) this.fail(key, 'an object of strings', value);
    const result: Record<string, string> = {};
    for (const [name, item] of Object.entries(value)) {
      if (typeof item !== 'string') this.fail(`${key}.${name}`, 'a string', item);
      Object.defineProperty(result, name, { value: item, enumerable: true, writable: true, configurable: true });
    }
    return result;
  }

  object(key: string): FieldReader | null {
    return FieldReader.of(this.raw(key), this.fieldPath(key), this.unknownFields);
  }

  // Returns a reader for element `index` of the array field `key`. Raises 400 when it is not an object.
  element(key: string, index: number, value: unknown): FieldReader {
    const reader = FieldReader.of(value, `${this.fieldPath(key)}[${index}]`, this.unknownFields);
    if (!reader) throw new InvalidArgumentError(`invalid JSON: ${this.fieldPath(key)}[${index}]: expected an object, got null`);
    return reader;
  }

  array(key: string): unknown[] | undefined {
    const value = this.raw(key);
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) this.fail(key, 'an array', value);
    return value;
  }

  // Names of all fields, as the client spelled them, for objects used as maps.
  keys(): string[] {
    return Object.keys(this.fields);
  }

  // Returns the unread fields that are in `known` (Docker fields Berth stores but does not act on)
  // and records the rest as unknown. Values are copied as given.
  remaining(known: readonly string[]): Record<string, unknown> {
    const knownLower = new Map(known.map((name) => [name.toLowerCase(), name]));
    const kept: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(this.fields)) {
      if (this.consumed.has(key)) continue;
      const canonical = knownLower.get(key.toLowerCase());
      if (canonical === undefined) {
        this.unknownFields.push(this.fieldPath(key));
        continue;
      }
      kept[canonical] = value;
    }
    return kept;
  }
}
