// Signal names as Docker accepts them: "KILL", "SIGKILL", "9" and "sigkill" all name SIGKILL.
import os from 'node:os';
import { InvalidArgumentError } from '../common/errors';

const SIGNALS = os.constants.signals as Record<string, number>;

// Returns the canonical "SIGxxx" name; throws for an unknown signal.
export function normalizeSignal(value: string): string {
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) {
    const number = Number(trimmed);
    const name = Object.keys(SIGNALS).find((key) => SIGNALS[key] === number);
    if (!name || number === 0) throw new InvalidArgumentError(`Invalid signal: ${value}`);
    return name;
  }
  const upper = trimmed.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  if (!(name in SIGNALS)) throw new InvalidArgumentError(`Invalid signal: ${value}`);
  return name;
}

export function signalNumber(name: string): number {
  return SIGNALS[normalizeSignal(name)];
}
