// --filter key=value options, encoded as the API's filters parameter:
// {"key":{"value":true}}, the form docker's filters.ToJSON produces.
import { CliError } from '../command';

// Checks one --filter value as it is parsed, so a bad one fails like other flag values (exit 125).
export function checkFilter(value: string): void {
  if (!value.includes('=')) throw new Error('bad format of filter (expected name=value)');
}

export function encodeFilters(values: string[]): string | undefined {
  if (values.length === 0) return undefined;
  const filters: Record<string, Record<string, boolean>> = {};
  for (const value of values) {
    const equals = value.indexOf('=');
    if (equals === -1) throw new CliError(`bad format of filter (expected name=value)`);
    const key = value.slice(0, equals).trim().toLowerCase();
    const filterValue = value.slice(equals + 1).trim();
    (filters[key] ??= {})[filterValue] = true;
  }
  return JSON.stringify(filters);
}
