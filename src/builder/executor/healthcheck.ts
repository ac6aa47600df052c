// HEALTHCHECK into the image config's Healthcheck, with durations in
// nanoseconds as Docker stores them. Zero fields are left out, as Docker's
// JSON does, so the runtime's defaults apply.
import { InvalidArgumentError } from '../../common/errors';
import { flagValue, type HealthcheckInstruction } from '../dockerfile';

const UNIT_NANOSECONDS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

// Parses a Go duration such as "30s", "1m30s" or "500ms" into nanoseconds.
export function parseDuration(text: string): number {
  if (text === '0') return 0;

  const part = /([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let position = 0;

  while (position < text.length) {
    part.lastIndex = position;
    const match = part.exec(text);
    if (!match) throw new InvalidArgumentError(`invalid duration ${JSON.stringify(text)}: use a number with a unit, such as 30s or 1m30s`);
    total += Number(match[1]) * UNIT_NANOSECONDS[match[2]];
    position = part.lastIndex;
  }

  if (text === '') throw new InvalidArgumentError('invalid duration "": use a number with a unit, such as 30s');
  return Math.round(total);
}

export function healthcheckConfig(instruction: HealthcheckInstruction): Record<string, unknown> {
  if (instruction.command === null) return { Test: ['NONE'] };

  const test = instruction.command.form === 'exec' ? ['CMD', ...instruction.command.args] : ['CMD-SHELL', instruction.command.text];
  const config: Record<string, unknown> = { Test: test };
  const durations: Array<[string, string]> = [
    ['interval', 'Interval'],
    ['timeout', 'Timeout'],
    ['start-period', 'StartPeriod'],
    ['start-interval', 'StartInterval'],
  ];

  for (const [flag, field] of durations) {
    const value = flagValue(instruction.flags, flag);
    if (value === undefined) continue;
    const nanoseconds = parseDuration(value);
    if (nanoseconds > 0) config[field] = nanoseconds;
  }

  const retries = flagValue(instruction.flags, 'retries');
  if (retries !== undefined && Number(retries) > 0) config.Retries = Number(retries);
  return config;
}
