// The "filters" query parameter: a JSON object mapping a filter name to its
// values, either {"name": {"value": true}} (current clients) or
// {"name": ["value"]} (clients before Docker 1.13). Matching follows dockerd:
// values are exact strings or regular expressions, label values are
// "key" or "key=value".
import { InvalidArgumentError } from '../../common/errors';

export class FilterArgs {
  private readonly fields: Map<string, Set<string>>;

  constructor(fields: Map<string, Set<string>> = new Map()) {
    this.fields = fields;
  }

  // Parses the raw query value. An empty or missing value means no filters.
  static parse(raw: string | null): FilterArgs {
    const fields = new Map<string, Set<string>>();
    if (raw === null || raw === '') return new FilterArgs(fields);

    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new InvalidArgumentError('invalid filter');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new InvalidArgumentError('invalid filter');
    }

    for (const [name, values] of Object.entries(parsed as Record<string, unknown>)) {
      const set = new Set<string>();
      if (Array.isArray(values)) {
        for (const value of values) {
          if (typeof value !== 'string') throw new InvalidArgumentError('invalid filter');
          set.add(value);
        }
      } else if (typeof values === 'object' && values !== null) {
        for (const [value, enabled] of Object.entries(values as Record<string, unknown>)) {
          if (typeof enabled !== 'boolean') throw new InvalidArgumentError('invalid filter');
          if (enabled) set.add(value);
        }
      } else {
        throw new InvalidArgumentError('invalid filter');
      }
      fields.set(name, set);
    }
    return new FilterArgs(fields);
  }

  // Returns a copy with one more value for the named filter.
  withValue(name: string, value: string): FilterArgs {
    const fields = new Map([...this.fields].map(([key, values]) => [key, new Set(values)]));
    fields.set(name, new Set([...(fields.get(name) ?? []), value]));
    return new FilterArgs(fields);
  }

  // Raises 400 "invalid filter 'x'" for a filter name outside the accepted set.
  validate(accepted: readonly string[]): void {
    for (const name of this.fields.keys()) {
      if (!accepted.includes(name)) throw new InvalidArgumentError(`invalid filter '${name}'`);
    }
  }

  has(name: string): boolean {
    return this.fields.has(name);
  }

  values(name: string): string[] {
    return [...(this.fields.get(name) ?? [])];
  }

  // True when the filter is absent or one of its values equals the source exactly.
  exactMatch(name: string, source: string): boolean {
    const values = this.fields.get(name);
    if (!values || values.size === 0) return true;
    return values.has(source);
  }

  // Like exactMatch, but a value may also be a regular expression matched anywhere in the source.
  match(name: string, source: string): boolean {
    if (this.exactMatch(name, source)) return true;
    for (const pattern of this.fields.get(name) ?? []) {
      try {
        if (new RegExp(pattern).test(source)) return true;
      } catch {
        // dockerd skips values that are not valid expressions too.
        continue;
      }
    }
    return false;
  }

  // True when every "key" or "key=value" of the filter is present in the labels.
  matchLabels(name: string, labels: Record<string, string>): boolean {
    const values = this.fields.get(name);
    if (!values || values.size === 0) return true;
    return [...values].every((condition) => labelConditionHolds(condition, labels));
  }

  // True when at least one "key" or "key=value" of the filter is present, for negated filters such as "label!".
  matchAnyLabel(name: string, labels: Record<string, string>): boolean {
    return [...(this.fields.get(name) ?? [])].some((condition) => labelConditionHolds(condition, labels));
  }

  // Reads a boolean filter such as dangling=true. Raises 400 when its values contradict or are not booleans.
  booleanValue(name: string): boolean | null {
    const values = this.fields.get(name);
    if (!values) return null;
    const isTrue = values.has('true') || values.has('1');
    const isFalse = values.has('false') || values.has('0');
    if (isTrue === isFalse) throw new InvalidArgumentError(`invalid filter '${name}=[${[...values].join(' ')}]'`);
    return isTrue;
  }
}

function labelConditionHolds(condition: string, labels: Record<string, string>): boolean {
  const separator = condition.indexOf('=');
  const key = separator === -1 ? condition : condition.slice(0, separator);
  if (!Object.prototype.hasOwnProperty.call(labels, key)) return false;
  return separator === -1 || labels[key] === condition.slice(separator + 1);
}
