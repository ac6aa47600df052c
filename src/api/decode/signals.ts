// Signal names as dockerd accepts them for StopSignal, kill and stop:
// "SIGTERM", "TERM", "15", "SIGRTMIN+3". Linux numbers signals 1 to 64.
import os from 'node:os';
import { InvalidArgumentError } from '../../common/errors';

const SIGRTMIN = 34;
const SIGRTMAX = 64;

function signalNames(): Map<string, number> {
  const names = new Map<string, number>();
  for (const [name, number] of Object.entries(os.constants.signals)) names.set(name.replace(/^SIG/, ''), number);
  names.set('CLD', names.get('CHLD') ?? 17);
  names.set('RTMIN', SIGRTMIN);
  names.set('RTMAX', SIGRTMAX);
  for (let offset = 1; offset <= 15; offset++) {
    names.set(`RTMIN+${offset}`, SIGRTMIN + offset);
    names.set(`RTMAX-${offset}`, SIGRTMAX - offset);
  }
  return names;
}

const SIGNALS = signalNames();

// Returns the signal number. Raises InvalidArgumentError "Invalid signal: x" like dockerd.
export function parseSignal(raw: string): number {
  if (/^\d+$/.test(raw)) {
    const number = Number.parseInt(raw, 10);
    if (number >= 1 && number <= SIGRTMAX) return number;
    throw new InvalidArgumentError(`Invalid signal: ${raw}`);
  }
  const number = SIGNALS.get(raw.replace(/^SIG/, '').toUpperCase());
  if (number === undefined) throw new InvalidArgumentError(`Invalid signal: ${raw}`);
  return number;
}
