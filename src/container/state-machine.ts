// Container states and the transitions between them, in one table. Docker
// reports these status names; the engine rejects any other transition with
// an error naming both states.
import { ConflictError } from '../common/errors';
import type { ContainerStatus } from './types';

const TRANSITIONS: Record<ContainerStatus, readonly ContainerStatus[]> = {
  created: ['running', 'removing', 'exited'],
  running: ['paused', 'exited', 'restarting', 'dead'],
  paused: ['running', 'exited', 'dead'],
  restarting: ['running', 'exited', 'removing', 'dead'],
  exited: ['running', 'restarting', 'removing'],
  removing: ['dead'],
  dead: ['removing'],
};

export function canTransition(from: ContainerStatus, to: ContainerStatus): boolean {
  return from === to || TRANSITIONS[from].includes(to);
}

export function assertTransition(containerId: string, from: ContainerStatus, to: ContainerStatus): void {
  if (!canTransition(from, to)) {
    throw new ConflictError(`container ${containerId.slice(0, 12)}: cannot change state from ${from} to ${to}`);
  }
}

export function isActive(status: ContainerStatus): boolean {
  return status === 'running' || status === 'paused' || status === 'restarting';
}
