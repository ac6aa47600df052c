// Starts and finds the resolver process of an instance and hands it new
// records. The process is detached from berthd and found again after a
// berthd restart through its PID file.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import { openSync, closeSync } from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic } from '../../common/atomic-file';
import { hasErrorCode } from '../../common/errors';
import { subsystemLogger } from '../../common/logger';
import type { ResolverRecords } from './records';

const log = subsystemLogger('dns-supervisor');

export const RESOLVER_PROGRAM = path.join(__dirname, 'resolver-main.js');

export class ResolverSupervisor {
  private readonly recordsFile: string;
  private readonly pidFile: string;

  constructor(private readonly directory: string) {
    this.recordsFile = path.join(directory, 'records.json');
    this.pidFile = path.join(directory, 'resolver.pid');
  }

  // The records of the last successful writeRecords(), serialized, or null before the first.
  private written: string | null = null;

  // Writes the records file and sends SIGHUP to a running resolver so that it rereads
  // the file. Records equal to the last written ones are skipped, because most container
  // starts (those on the default bridge) change no name, and the atomic write costs two
  // fsync calls.
  async writeRecords(records: ResolverRecords): Promise<void> {
    const serialized = JSON.stringify(records);
    if (serialized === this.written) return;

    await fs.mkdir(this.directory, { recursive: true, mode: 0o700 });
    await writeJsonAtomic(this.recordsFile, records, 0o644);
    this.written = serialized;
    const pid = await this.runningPid();
    // A resolver that is still starting has no SIGHUP handler yet and would die of the signal.
    // It reads the records by itself once it runs, and every second after that.
    if (pid && (await catchesHangup(pid))) process.kill(pid, 'SIGHUP');
  }

  // Starts the resolver unless it already runs; returns its PID.
  async ensureRunning(): Promise<number> {
    const running = await this.runningPid();
    if (running) return running;

    await fs.mkdir(this.directory, { recursive: true, mode: 0o700 });
    const logFd = openSync(path.join(this.directory, 'resolver.log'), 'a');
    try {
      const child = spawn(process.execPath, [RESOLVER_PROGRAM, this.directory], { detached: true, stdio: ['ignore', logFd, logFd] });
      child.unref();
      if (!child.pid) throw new Error(`start resolver ${RESOLVER_PROGRAM}: no process ID`);
      await fs.writeFile(this.pidFile, `${child.pid}\n`);
      log.info({ pid: child.pid, directory: this.directory }, 'started resolver');
      return child.pid;
    } finally {
      closeSync(logFd);
    }
  }

  // Stops the resolver that this instance started, found through its PID file.
  async stop(): Promise<void> {
    const pid = await this.runningPid();
    if (pid) {
      process.kill(pid, 'SIGTERM');
      for (let attempt = 0; attempt < 50 && (await this.isResolver(pid)); attempt++) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await fs.rm(this.pidFile, { force: true });
  }

  // Returns the PID from the PID file when that process is this instance's resolver, or null.
  async runningPid(): Promise<number | null> {
    let text: string;
    try {
      text = await fs.readFile(this.pidFile, 'utf8');
    } catch (error) {
      if (hasErrorCode(error, 'ENOENT')) return null;
      throw error;
    }
    const pid = Number(text.trim());
    return Number.isInteger(pid) && pid > 0 && (await this.isResolver(pid)) ? pid : null;
  }

  // Checks the command line too, because a PID from an old file may now belong to another process.
  private async isResolver(pid: number): Promise<boolean> {
    try {
      const commandLine = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
      const status = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
      const zombie = / Z /.test(status.slice(status.lastIndexOf(')')));
      return !zombie && commandLine.includes(RESOLVER_PROGRAM) && commandLine.includes(this.directory);
    } catch (error) {
      if (hasErrorCode(error, 'ENOENT') || hasErrorCode(error, 'ESRCH')) return false;
      throw error;
    }
  }
}

// Reads the caught-signals mask (SigCgt, hexadecimal) of /proc/PID/status; SIGHUP is signal 1, bit 0.
async function catchesHangup(pid: number): Promise<boolean> {
  try {
    const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
    const mask = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status)?.[1];
    return mask !== undefined && (BigInt(`0x${mask}`) & 1n) === 1n;
  } catch (error) {
    if (hasErrorCode(error, 'ENOENT')) return false;
    throw error;
  }
}
