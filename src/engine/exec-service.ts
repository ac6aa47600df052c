// Exec sessions: processes started inside a running container. The records
// live in memory, as in Docker, and go away with their container.
import { PassThrough } from 'node:stream';
import { ConflictError, NotFoundError } from '../common/errors';
import { newId } from '../common/ids';
import type { Logger } from '../common/logger';
import type { ContainerRuntime } from '../container/runtime';
import type { ContainerStore } from '../container/store';
import type { ExecRecord, ExecSpec, StdioSession } from './engine';
import type { EventLog } from './events';

// How long the end of an exec's output may wait for its exit code to arrive.
const EXIT_CODE_WAIT_MS = 5_000;

interface ExecEntry extends ExecRecord {
  started: boolean;
  exited: Promise<void>;
  markExited: () => void;
}

export class ExecService {
  private readonly execs = new Map<string, ExecEntry>();

  constructor(
    private readonly store: ContainerStore,
    private readonly runtime: ContainerRuntime,
    private readonly logger: Logger,
    private readonly eventLog: EventLog,
  ) {}

  create(idOrName: string, spec: ExecSpec): string {
    const record = this.store.find(idOrName);
    if (record.state.status === 'paused') throw new ConflictError(`container ${record.id} is paused, unpause the container before exec`);
    if (record.state.status !== 'running') throw new ConflictError(`container ${record.id} is not running`);

    const id = newId();
    let markExited!: () => void;
    const exited = new Promise<void>((resolve) => {
      markExited = resolve;
    });
    this.execs.set(id, { id, containerId: record.id, spec, running: false, exitCode: null, pid: 0, started: false, exited, markExited });
    this.eventLog.container(record, `exec_create: ${spec.cmd.join(' ')}`, { execID: id });
    return id;
  }

  inspect(execId: string): ExecRecord {
    const entry = this.get(execId);
    return { id: entry.id, containerId: entry.containerId, spec: entry.spec, running: entry.running, exitCode: entry.exitCode, pid: entry.pid };
  }

  idsFor(containerId: string): string[] {
    return [...this.execs.values()].filter((entry) => entry.containerId === containerId).map((entry) => entry.id);
  }

  forget(containerId: string): void {
    for (const id of this.idsFor(containerId)) this.execs.delete(id);
  }

  // Drops one exec record, for sessions the engine ran itself (health check probes).
  discard(execId: string): void {
    this.execs.delete(execId);
  }

  // Sends SIGKILL to a running exec's process, for a health check probe that timed out.
  killExec(execId: string): void {
    const entry = this.execs.get(execId);
    if (!entry || !entry.running || entry.pid <= 0) return;
    try {
      process.kill(entry.pid, 'SIGKILL');
    } catch (error) {
      this.logger.warn({ container: entry.containerId, exec: execId, pid: entry.pid, err: error }, 'killing exec process failed');
    }
  }

  async start(execId: string, options: { detach: boolean; consoleSize: [number, number] | null }): Promise<StdioSession | null> {
    const entry = this.get(execId);
    if (entry.started) throw new ConflictError(`exec ${execId} has already been started`);
    const record = this.store.find(entry.containerId);
    if (record.state.status !== 'running') throw new ConflictError(`container ${record.id} is not running`);
    entry.started = true;

    const onExit = (exitCode: number) => {
      entry.running = false;
      entry.exitCode = exitCode;
      entry.markExited();
      this.logger.debug({ container: record.id, exec: execId, exitCode }, 'exec session exited');
      this.eventLog.container(record, 'exec_die', { execID: execId, exitCode: String(exitCode) });
    };
    // Emitted before the process runs, so that exec_die can never come first.
    this.eventLog.container(record, `exec_start: ${entry.spec.cmd.join(' ')}`, { execID: execId });
    let started;
    try {
      started = await this.runtime.exec(record, execId, entry.spec, options.consoleSize ?? entry.spec.consoleSize, options.detach, onExit);
    } catch (error) {
      // A process that never ran exits 126 unless the runtime already knew better (127: not found).
      if (entry.exitCode === null) onExit(126);
      throw error;
    }
    const { pid, session } = started;
    if (entry.exitCode === null) entry.running = true;
    entry.pid = pid;
    this.logger.debug({ container: record.id, exec: execId, pid }, 'exec session started');
    return session ? this.holdOutputUntilExit(session, entry) : null;
  }

  async resize(execId: string, height: number, width: number): Promise<void> {
    const entry = this.get(execId);
    if (!entry.running) throw new ConflictError(`exec ${execId} is not running`);
    await this.runtime.resizeExec(execId, height, width);
  }

  // Clients read the exit code right after the output ends (docker exec does),
  // so the output ends only once the exit code is known.
  private holdOutputUntilExit(session: StdioSession, entry: ExecEntry): StdioSession {
    const output = new PassThrough({ objectMode: true });
    session.output.on('data', (chunk) => output.write(chunk));
    const end = () => {
      const timer = setTimeout(() => output.end(), EXIT_CODE_WAIT_MS);
      void entry.exited.then(() => {
        clearTimeout(timer);
        output.end();
      });
    };
    session.output.on('end', end);
    session.output.on('error', (error) => {
      this.logger.warn({ container: entry.containerId, exec: entry.id, err: error }, 'exec output failed');
      end();
    });
    return {
      output,
      hasStdin: session.hasStdin,
      writeStdin: (data) => session.writeStdin(data),
      closeStdin: () => session.closeStdin(),
      close: () => session.close(),
    };
  }

  private get(execId: string): ExecEntry {
    const entry = this.execs.get(execId);
    if (!entry) throw new NotFoundError(`No such exec instance: ${execId}`);
    return entry;
  }
}
