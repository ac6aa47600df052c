// The health check options of berth run and berth create, and the
// Config.Healthcheck they produce, with docker's checks and messages.
import type { FlagSpec, FlagValues } from '../flags';
import { parseGoDuration } from '../format/units';
import { OptionError } from './option-parsers';

function checkDuration(value: string): void {
  parseGoDuration(value);
}

const DURATION_FLAGS = [
  ['health-interval', 'Interval'],
  ['health-timeout', 'Timeout'],
  ['health-start-period', 'StartPeriod'],
  ['health-start-interval', 'StartInterval'],
] as const;

export const HEALTH_FLAGS: FlagSpec[] = [
  { name: 'health-cmd', kind: 'string', description: 'Command to run to check health, run with /bin/sh -c' },
  { name: 'health-interval', kind: 'string', valueName: 'duration', description: 'Time between running the check (ms|s|m|h), default 30s', check: checkDuration },
  { name: 'health-retries', kind: 'int', description: 'Consecutive failures needed to report unhealthy, default 3' },
  { name: 'health-start-interval', kind: 'string', valueName: 'duration', description: 'Time between running the check during the start period (ms|s|m|h), default 5s', check: checkDuration },
  { name: 'health-start-period', kind: 'string', valueName: 'duration', description: 'Start period in which failures do not count toward the retries (ms|s|m|h), default 0s', check: checkDuration },
  { name: 'health-timeout', kind: 'string', valueName: 'duration', description: 'Maximum time to allow one check to run (ms|s|m|h), default 30s', check: checkDuration },
  { name: 'no-healthcheck', kind: 'bool', description: 'Disable any container-specified HEALTHCHECK' },
];

// Returns the request's Config.Healthcheck, or undefined when no health option was given (the image's check applies).
export function healthcheckOf(flags: FlagValues): Record<string, unknown> | undefined {
  const healthOptionSet = ['health-cmd', 'health-retries', ...DURATION_FLAGS.map(([flag]) => flag)].some((flag) => flags.isSet(flag));
  if (flags.bool('no-healthcheck')) {
    if (healthOptionSet) throw new OptionError('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!healthOptionSet) return undefined;

  const command = flags.string('health-cmd');
  const healthcheck: Record<string, unknown> = { Test: command !== '' ? ['CMD-SHELL', command] : [] };
  for (const [flag, field] of DURATION_FLAGS) {
    const milliseconds = flags.isSet(flag) ? parseGoDuration(flags.string(flag)) : 0;
    if (milliseconds < 0) throw new OptionError(`--${flag} cannot be negative`);
    healthcheck[field] = Math.round(milliseconds * 1e6);
  }
  const retries = flags.isSet('health-retries') ? flags.int('health-retries') : 0;
  if (retries < 0) throw new OptionError('--health-retries cannot be negative');
  healthcheck.Retries = retries;
  return healthcheck;
}
