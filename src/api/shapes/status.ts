// The human-readable container status of `docker ps` ("Up 3 seconds",
// "Exited (0) 2 minutes ago"), with the duration wording of Docker's
// go-units HumanDuration.
import type { ContainerState } from '../../container/types';

// Docker reports never-set timestamps as Go's zero time.
export const ZERO_TIME = '0001-01-01T00:00:00Z';

export function isZeroTime(timestamp: string): boolean {
  return timestamp === '' || timestamp.startsWith('0001-01-01');
}

// Returns an approximate duration such as "Less than a second", "About a minute" or "3 weeks".
export function humanDuration(milliseconds: number): string {
  const seconds = Math.floor(milliseconds / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;

  const minutes = Math.floor(milliseconds / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;

  // Hours round to the nearest hour from here on, as go-units does.
  const hours = Math.floor(milliseconds / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(milliseconds / 3_600_000 / 24 / 365)} years`;
}

function since(timestamp: string, now: number): number {
  return Math.max(0, now - Date.parse(timestamp));
}

// Returns the Status column of `docker ps` for a container state at time `now` (epoch milliseconds).
export function containerStatusText(state: ContainerState, now: number): string {
  switch (state.status) {
    case 'running':
      return `Up ${humanDuration(since(state.startedAt, now))}${healthSuffix(state)}`;
    case 'paused':
      return `Up ${humanDuration(since(state.startedAt, now))} (Paused)`;
    case 'restarting':
      return `Restarting (${state.exitCode}) ${humanDuration(since(state.finishedAt, now))} ago`;
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    case 'created':
      return 'Created';
    case 'exited':
      if (isZeroTime(state.startedAt)) return 'Created';
      if (isZeroTime(state.finishedAt)) return '';
      return `Exited (${state.exitCode}) ${humanDuration(since(state.finishedAt, now))} ago`;
  }
}

// The health part of a running container's status, as `docker ps` shows it.
function healthSuffix(state: ContainerState): string {
  if (!state.health) return '';
  return state.health.status === 'starting' ? ' (health: starting)' : ` (${state.health.status})`;
}
