// --filter key=value options, encoded as the API's filters parameter:
// {"key":{"value":true}}, the form docker's filters.ToJSON produces.
import { CliError } from '../command';

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
