// Starts conmon (2.1.x, API version 1) and speaks its pipe protocol, as
// read in conmon 2.1.6's src/conmon.c and src/parent_pipe_fd.c.
//  - Start pipe (_OCI_STARTPIPE): conmon blocks reading it before it forks,
//    so the caller can first move it into another cgroup. An exec with
//    --exec-attach reads it a second time before running runc exec.
//  - Attach pipe (_OCI_ATTACHPIPE, exec only): conmon writes {"data": 0}
//    once its attach socket listens.
//  - Sync pipe (_OCI_SYNCPIPE): conmon writes {"data": <pid>} after runc
//    create or exec succeeded, or {"data": <negative>, "message": "..."} with
//    runc's error output. An exec session later gets {"data": <exit code>}.
// conmon forks once more and the first process exits at once, so the
// monitor runs in its own session, outside berthd's process group.
import { spawn, type ChildProcess } from 'node:child_process';
import fsp from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { InvalidArgumentError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { moveProcess } from './cgroups';
import { runcErrorMessage } from './runc';

const SYNC_FD = 3;
const START_FD = 4;
const ATTACH_FD = 5;
// How long runc create or exec may take before the start counts as failed.
const SYNC_TIMEOUT_MS = 60_000;
const MAX_STDERR = 8192;

export interface ConmonLaunchOptions {
  conmonPath: string;
  args: string[];
  cwd: string;
  // cgroup directories the monitor moves into before it forks. Empty when the
  // caller moves the monitor itself after the start (see moveMonitorLater).
  monitorCgroups: string[];
  // --exec-attach: conmon waits for the caller to attach before running the process.
  attachPipe: boolean;
  logger: Logger;
  // Id logged with every message: the container's, or the exec session's.
  logIds: Record<string, string>;
}

export class ConmonError extends Error {
  constructor(
    message: string,
    // Message from runc or conmon, without the operation prefix.
    readonly detail: string,
  ) {
    super(message);
    this.name = 'ConmonError';
  }
}

interface SyncMessage {
  data: number;
  message?: string;
}

// Line-delimited JSON messages from one of conmon's pipes.
class MessageReader {
  private buffer = '';
  private readonly queue: SyncMessage[] = [];
  private readonly waiters: { resolve: (message: SyncMessage) => void; reject: (error: Error) => void }[] = [];
  private ended: Error | null = null;

  constructor(stream: Readable, private readonly describeEnd: () => Error) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => this.push(chunk));
    stream.on('end', () => this.finish());
    stream.on('close', () => this.finish());
    stream.on('error', () => this.finish());
  }

  private push(chunk: string): void {
    this.buffer += chunk;
    let newline = this.buffer.indexOf('\n');
    while (newline >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line !== '') this.deliver(line);
      newline = this.buffer.indexOf('\n');
    }
  }

  private deliver(line: string): void {
    let message: SyncMessage;
    try {
      message = JSON.parse(line) as SyncMessage;
    } catch {
      message = { data: -1, message: `unreadable message from conmon: ${line}` };
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(message);
    else this.queue.push(message);
  }

  private finish(): void {
    if (this.ended) return;
    if (this.buffer.trim() !== '') this.deliver(this.buffer.trim());
    this.buffer = '';
    this.ended = this.describeEnd();
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.ended);
  }

  next(timeoutMs: number | null): Promise<SyncMessage> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      this.waiters.push(waiter);
      if (timeoutMs === null) return;
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new ConmonError(`conmon sent nothing within ${timeoutMs / 1000} s`, 'timed out'));
      }, timeoutMs);
      const clear = () => clearTimeout(timer);
      waiter.resolve = (message) => {
        clear();
        resolve(message);
      };
      waiter.reject = (error) => {
        clear();
        reject(error);
      };
    });
  }
}

// Moves a monitor into its cgroups; failures are logged, because a monitor left in berthd's cgroup still works.
async function moveMonitor(directories: string[], pid: number, options: Pick<ConmonLaunchOptions, 'logger' | 'logIds'>): Promise<void> {
  const failures = await moveProcess(directories, pid);
  for (const failure of failures) {
    options.logger.warn({ ...options.logIds, pid, cgroup: failure.directory, err: failure.error }, 'moving conmon into its cgroup failed, so it stays in berthd\'s cgroup');
  }
}

// Moves a container's monitor into its cgroups after runc create, in the
// background. Each first write to cgroup.procs after a quiet spell waits for
// an RCU grace period (10 to 30 ms measured on a 2-core VM with hybrid
// cgroups), so doing it before conmon forks put that wait on every start.
// conmon's first process writes the monitor's PID to the -P file (through a
// rename) right after its fork, normally long before runc create ends; a
// missing file is read again a few times.
export async function moveMonitorLater(directories: string[], pidFile: string, options: Pick<ConmonLaunchOptions, 'logger' | 'logIds'>): Promise<void> {
  if (directories.length === 0) return;
  try {
    const pid = await readPidFile(pidFile);
    await moveMonitor(directories, pid, options);
  } catch (error) {
    options.logger.warn({ ...options.logIds, pidFile, err: error }, 'moving conmon into its cgroup failed, so it stays in berthd\'s cgroup');
  }
}

const PID_FILE_ATTEMPTS = 20;
const PID_FILE_RETRY_MS = 10;

async function readPidFile(pidFile: string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      const text = await fsp.readFile(pidFile, 'utf8');
      const pid = Number(text.trim());
      if (!Number.isInteger(pid) || pid <= 0) throw new Error(`read conmon PID file ${pidFile}: not a PID: ${JSON.stringify(text)}`);
      return pid;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= PID_FILE_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, PID_FILE_RETRY_MS));
    }
  }
}

export class ConmonProcess {
  private stderr = '';
  private readonly sync: MessageReader;
  private readonly attach: MessageReader | null;

  private constructor(
    private readonly child: ChildProcess,
    private readonly options: ConmonLaunchOptions,
  ) {
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      if (this.stderr.length < MAX_STDERR) this.stderr += chunk;
    });
    const describeEnd = () => new ConmonError(`conmon ended without reporting (${this.stderr.trim() || 'no error output'})`, this.stderr.trim() || 'conmon ended without reporting');
    const pipes = child.stdio as unknown as (Readable | null)[];
    this.sync = new MessageReader(pipes[SYNC_FD]!, describeEnd);
    this.attach = options.attachPipe ? new MessageReader(pipes[ATTACH_FD]!, describeEnd) : null;
  }

  // Spawns conmon, moves it into the monitor cgroups and lets it go on.
  static async launch(options: ConmonLaunchOptions): Promise<ConmonProcess> {
    const stdio: ('ignore' | 'pipe')[] = ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'];
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      _OCI_SYNCPIPE: String(SYNC_FD),
      _OCI_STARTPIPE: String(START_FD),
    };
    if (options.attachPipe) {
      stdio.push('pipe');
      env._OCI_ATTACHPIPE = String(ATTACH_FD);
    }
    const child = spawn(options.conmonPath, options.args, { cwd: options.cwd, env, stdio, detached: true });
    // A conmon that exits early turns writes into EPIPE errors; the sync pipe reports the failure itself.
    for (const stream of child.stdio) {
      stream?.on('error', (error: Error) => options.logger.debug({ ...options.logIds, err: error }, 'conmon pipe failed'));
    }
    const conmon = new ConmonProcess(child, options);

    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error) => reject(new ConmonError(`run conmon ${options.conmonPath}: ${error.message}`, error.message)));
    });
    child.unref();

    if (options.monitorCgroups.length > 0) await moveMonitor(options.monitorCgroups, child.pid!, options);
    conmon.writeStart();
    return conmon;
  }

  get pid(): number {
    return this.child.pid!;
  }

  // One byte on the start pipe: the first lets conmon fork, the second (exec with attach) lets it run the process.
  writeStart(): void {
    (this.child.stdio[START_FD] as Writable).write(Buffer.from([0]));
  }

  async waitAttachReady(): Promise<void> {
    if (!this.attach) throw new Error('conmon was started without an attach pipe');
    const message = await this.attach.next(SYNC_TIMEOUT_MS);
    if (message.data < 0) throw this.failure(message, 'set up the attach socket');
  }

  // Resolves with the PID of the container or exec process.
  async readPid(operation: string): Promise<number> {
    const message = await this.sync.next(SYNC_TIMEOUT_MS);
    if (message.data <= 0) throw this.failure(message, operation);
    return message.data;
  }

  // Resolves with the exit code of an exec process (128 + signal when killed).
  async readExitCode(): Promise<number> {
    const message = await this.sync.next(null);
    if (message.message) {
      this.options.logger.warn({ ...this.options.logIds, message: message.message }, 'conmon reported a problem with the exec session');
    }
    return message.data;
  }

  private failure(message: SyncMessage, operation: string): ConmonError {
    const detail = message.message ? runcErrorMessage(message.message) : this.stderr.trim() || `conmon reported ${message.data}`;
    return new ConmonError(`${operation}: ${detail}`, detail);
  }

  // Stops listening to conmon, which keeps running with the container.
  release(): void {
    for (const stream of this.child.stdio) {
      stream?.destroy();
    }
  }

  // Keeps the sync pipe open (for an exec exit code) without holding berthd's event loop open.
  unrefPipes(): void {
    for (const stream of this.child.stdio) {
      (stream as unknown as { unref?: () => void } | null)?.unref?.();
    }
  }
}

// Turns a failed create or start into the error the engine reports, with
// Docker's prefix ("OCI runtime create failed: ...").
export function startFailure(prefix: string, error: unknown): Error {
  const detail = error instanceof ConmonError ? error.detail : (error as Error).message;
  const message = `${prefix}: ${detail}`;
  // Docker reports a command that cannot run as an invalid request.
  if (/executable file not found|no such file or directory|permission denied/i.test(detail)) {
    return new InvalidArgumentError(message, { cause: error });
  }
  return new Error(message, { cause: error });
}
