import { CliError } from '../command';
import type { FlagValues } from '../flags';
import { parseTimestampArgument } from '../format/units';

// Reads a --since or --until flag. Returns undefined when it is empty.
export function timestampFlag(flags: FlagValues, name: string): string | undefined {
  const value = flags.string(name);
  if (value === '') return undefined;
  try {
    return parseTimestampArgument(value);
  } catch (error) {
    throw new CliError(`invalid value for "${name}": ${(error as Error).message}`);
  }
}
