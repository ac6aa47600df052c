// The daemon's PID file doubles as a lock: a second berthd for the same
// instance fails at start while the first one runs.
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import { ConflictError } from '../common/errors';

export async function claimPidFile(file: string): Promise<void> {
  try {
    const previous = Number((await fs.readFile(file, 'utf8')).trim());
    if (Number.isInteger(previous) && previous > 0 && previous !== process.pid && isBerthd(previous)) {
      throw new ConflictError(`berthd is already running with PID ${previous} (PID file ${file})`);
    }
  } catch (error) {
    if (error instanceof ConflictError) throw error;
  }
  await fs.writeFile(file, `${process.pid}\n`, { mode: 0o644 });
}

export async function releasePidFile(file: string): Promise<void> {
  try {
    if (Number((await fs.readFile(file, 'utf8')).trim()) === process.pid) await fs.rm(file, { force: true });
  } catch {
    // Nothing to release.
  }
}

function isBerthd(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('berthd');
  } catch {
    return false;
  }
}
