// Keeps the older log files of containers with max-file above 1.
//
// conmon 2.1.6 enforces max-size itself (--log-size-max): before a write
// that would pass the limit it opens "<log>.tmp" empty and renames it over
// "<log>", so the old file's inode loses its last name. It has no option to
// keep older files, so berthd keeps a second hard link, "<log>.held", to
// the inode conmon writes. When conmon replaces "<log>", the held inode is
// the previous file, and berthd renames it to "<log>.1" after shifting
// "<log>.1".."<log>.(max-file - 2)" up by one and dropping the oldest.
//
// The size bound never depends on berthd: without it, conmon still
// replaces "<log>" at max-size, and at most the held file and the kept files
// stay besides it. What berthd's absence costs is history: files conmon
// replaces while no keeper runs are lost, except the one that was held.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { hasErrorCode } from '../../common/errors';
import type { Logger } from '../../common/logger';

// How often a keeper checks the file when no watch event arrives.
const POLL_MS = 1000;

export function heldLogPath(logPath: string): string {
  return `${logPath}.held`;
}

// Kept older files, oldest first: "<log>.(maxFile - 1)" down to "<log>.1".
export function keptLogPaths(logPath: string, maxFile: number): string[] {
  const paths: string[] = [];
  for (let index = maxFile - 1; index >= 1; index--) paths.push(`${logPath}.${index}`);
  return paths;
}

async function inodeOf(file: string): Promise<number | null> {
  try {
    return (await fsp.lstat(file)).ino;
  } catch (error) {
    if (hasErrorCode(error, 'ENOENT')) return null;
    throw error;
  }
}

async function ignoreMissing(operation: Promise<void>): Promise<void> {
  try {
    await operation;
  } catch (error) {
    if (!hasErrorCode(error, 'ENOENT')) throw error;
  }
}

// Brings the kept files up to date with what conmon did since the last call.
// Returns true when it moved a replaced file into "<log>.1".
export async function keepReplacedLog(logPath: string, maxFile: number): Promise<boolean> {
  const heldPath = heldLogPath(logPath);
  if (maxFile <= 1) {
    await fsp.rm(heldPath, { force: true });
    return false;
  }

  const current = await inodeOf(logPath);
  if (current === null) return false;
  const heldInode = await inodeOf(heldPath);
  if (heldInode === current) return false;

  let moved = false;
  if (heldInode !== null) {
    // conmon replaced the file: the held inode is the previous one.
    await fsp.rm(`${logPath}.${maxFile - 1}`, { force: true });
    for (let index = maxFile - 2; index >= 1; index--) {
      await ignoreMissing(fsp.rename(`${logPath}.${index}`, `${logPath}.${index + 1}`));
    }
    await fsp.rename(heldPath, `${logPath}.1`);
    moved = true;
  }

  // conmon may replace the file between the lstat and this link. Then the
  // newer inode is held and the one between them is lost: history, not disk.
  await ignoreMissing(fsp.link(logPath, heldPath));
  return moved;
}

// Runs keepReplacedLog for each running container that keeps older files,
// on directory watch events and on a slow poll.
export class LogKeeper {
  private readonly watched = new Map<string, { stop: () => void }>();

  constructor(private readonly logger: Logger) {}

  start(containerId: string, logPath: string, maxFile: number): void {
    this.stop(containerId);
    if (maxFile <= 1) return;

    let running = false;
    let again = false;
    const check = async () => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          await keepReplacedLog(logPath, maxFile);
        } while (again);
      } catch (error) {
        this.logger.warn({ container: containerId, logPath, err: error }, 'keeping the replaced log file failed');
      } finally {
        running = false;
      }
    };

    const name = path.basename(logPath);
    let watcher: fs.FSWatcher | null = null;
    try {
      watcher = fs.watch(path.dirname(logPath), { persistent: false }, (_event, file) => {
        if (file === null || file === name) void check();
      });
      watcher.on('error', (error) => this.logger.debug({ container: containerId, err: error }, 'log directory watch failed, polling only'));
    } catch (error) {
      this.logger.debug({ container: containerId, err: error }, 'log directory watch failed, polling only');
    }
    const timer = setInterval(() => void check(), POLL_MS);
    timer.unref();
    void check();
    this.watched.set(containerId, {
      stop: () => {
        clearInterval(timer);
        watcher?.close();
        // A last check keeps the file conmon replaced just before the container stopped.
        void check();
      },
    });
  }

  stop(containerId: string): void {
    this.watched.get(containerId)?.stop();
    this.watched.delete(containerId);
  }

  stopAll(): void {
    for (const id of [...this.watched.keys()]) this.stop(id);
  }
}
