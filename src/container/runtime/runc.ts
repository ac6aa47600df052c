// runc commands that berthd runs directly (conmon runs create and exec).
// Every command uses berthd's own state root, so it cannot reach containers
// of another instance or of Docker.
import fs from 'node:fs';
import path from 'node:path';
import { run, SubprocessError } from '../../common/subprocess';

export type RuncStatus = 'creating' | 'created' | 'running' | 'pausing' | 'paused' | 'stopped';

export interface RuncState {
  id: string;
  pid: number;
  status: RuncStatus;
}

// runc's messages for a container it has no state for, or that has no live process.
const GONE_PATTERNS = [/container .* does not exist/i, /container does not exist/i, /not running/i, /no such process/i, /container not running/i, /process already finished/i];

export function isContainerGone(error: unknown): boolean {
  return error instanceof SubprocessError && GONE_PATTERNS.some((pattern) => pattern.test(error.stderr));
}

// Pulls the message out of runc's log lines (--log-format=json or logfmt), so
// errors read "exec: \"foo\": executable file not found in $PATH" rather
// than a whole log record.
export function runcErrorMessage(output: string): string {
  const messages: string[] = [];
  for (const line of output.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (trimmed.startsWith('{')) {
      try {
        const record = JSON.parse(trimmed) as { msg?: string; level?: string };
        if (record.msg && (record.level === undefined || record.level === 'error' || record.level === 'fatal')) messages.push(record.msg);
        continue;
      } catch {
        // Not JSON after all, so the line is kept as it is.
      }
    }
    const logfmt = /level=(error|fatal) msg="((?:[^"\\]|\\.)*)"/.exec(trimmed);
    messages.push(logfmt ? logfmt[2].replace(/\\"/g, '"') : trimmed);
  }
  return messages.join('; ');
}

export function findExecutable(name: string, searchPath = process.env.PATH ?? ''): string | null {
  if (name.includes('/')) return fs.existsSync(name) ? name : null;
  const directories = [...searchPath.split(':'), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  for (const directory of directories) {
    if (!directory) continue;
    const candidate = path.join(directory, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return null;
}

export class Runc {
  constructor(
    readonly binary: string,
    readonly stateRoot: string,
  ) {}

  globalArgs(): string[] {
    return [`--root=${this.stateRoot}`, '--log-format=json'];
  }

  private async invoke(args: string[], timeoutMs = 30_000): Promise<string> {
    const result = await run(this.binary, [`--root=${this.stateRoot}`, ...args], { timeoutMs });
    return result.stdout;
  }

  async start(id: string): Promise<void> {
    await this.invoke(['start', id]);
  }

  // Sends a signal, given as a name ("TERM", "SIGKILL") or a number.
  async kill(id: string, signal: string | number, all = false): Promise<void> {
    await this.invoke(['kill', ...(all ? ['--all'] : []), id, String(signal)]);
  }

  async pause(id: string): Promise<void> {
    await this.invoke(['pause', id]);
  }

  async resume(id: string): Promise<void> {
    await this.invoke(['resume', id]);
  }

  async delete(id: string): Promise<void> {
    await this.invoke(['delete', '--force', id]);
  }

  // Returns null when runc has no state for the container.
  async state(id: string): Promise<RuncState | null> {
    if (!this.hasState(id)) return null;
    try {
      return JSON.parse(await this.invoke(['state', id])) as RuncState;
    } catch (error) {
      if (isContainerGone(error)) return null;
      throw error;
    }
  }

  // Returns true when runc's state directory for the container exists, a cheap check before spawning runc.
  hasState(id: string): boolean {
    return fs.existsSync(path.join(this.stateRoot, id));
  }

  // Applies OCI linux.resources (memory, cpu, pids) to a running container; runc reads them as JSON from stdin.
  async update(id: string, resources: object): Promise<void> {
    await run(this.binary, [`--root=${this.stateRoot}`, 'update', '--resources', '-', id], { input: JSON.stringify(resources), timeoutMs: 30_000 });
  }

  async processIds(id: string): Promise<number[]> {
    return JSON.parse(await this.invoke(['ps', '--format', 'json', id])) as number[];
  }
}
