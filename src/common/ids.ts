import { randomBytes } from 'node:crypto';

// Returns a random 64-character hex ID, the form Docker uses for containers, exec sessions and volumes.
export function newId(): string {
  return randomBytes(32).toString('hex');
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

export function isFullId(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value);
}
