// Docker's restart policies: which exits restart a container, and how long to
// wait first. The delay starts at 100 ms and doubles on every restart, capped
// at one minute, and goes back to 100 ms once a run lasted at least 10 s.
import type { ContainerRecord } from '../container/types';

const INITIAL_DELAY_MS = 100;
const MAX_DELAY_MS = 60_000;
const RESET_AFTER_MS = 10_000;

export function shouldRestart(record: ContainerRecord, exitCode: number): boolean {
  const policy = record.spec.restartPolicy;
  if (record.manuallyStopped) return false;
  switch (policy.name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      if (exitCode === 0) return false;
      return policy.maximumRetryCount === 0 || record.restartCount < policy.maximumRetryCount;
    default:
      return false;
  }
}

export class RestartBackoff {
  private readonly delays = new Map<string, number>();

  // Returns the delay before the next restart of a container whose last run lasted runMs.
  next(containerId: string, runMs: number): number {
    const previous = this.delays.get(containerId);
    const delay = previous === undefined || runMs >= RESET_AFTER_MS ? INITIAL_DELAY_MS : Math.min(previous * 2, MAX_DELAY_MS);
    this.delays.set(containerId, delay);
    return delay;
  }

  forget(containerId: string): void {
    this.delays.delete(containerId);
  }
}
