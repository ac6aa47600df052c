// A container's standard streams seen from clients: attach sessions (held
// until the container starts when needed), logs, terminal resize and top.
import type { Readable } from 'node:stream';
import { ConflictError } from '../common/errors';
import type { Logger } from '../common/logger';
import type { ContainerRuntime } from '../container/runtime';
import { isActive } from '../container/state-machine';
import type { ContainerStore } from '../container/store';
import type { ContainerRecord } from '../container/types';
import { AttachRelay } from './attach-relay';
import type { AttachOptions, LogEntry, LogOptions, OutputStreamName, ProcessTable, StdioSession } from './engine';

export class ContainerStreams {
  // Relays waiting for their container to start, by container ID.
  private readonly pending = new Map<string, Set<AttachRelay>>();

  constructor(
    private readonly store: ContainerStore,
    private readonly runtime: ContainerRuntime,
    private readonly logger: Logger,
  ) {}

  async attach(idOrName: string, options: AttachOptions): Promise<StdioSession> {
    const record = this.store.find(idOrName);
    const streams = new Set<OutputStreamName>();
    if (options.stdout) streams.add('stdout');
    if (options.stderr) streams.add('stderr');
    const relay = new AttachRelay(options.stdin && record.spec.openStdin, streams, (closed) => this.pending.get(record.id)?.delete(closed));

    if (options.logs) {
      const replay = this.runtime.readLogs(record, { follow: false, stdout: options.stdout, stderr: options.stderr, since: 0, until: 0, tail: null }, () => false);
      for await (const entry of replay as AsyncIterable<LogEntry>) relay.push({ stream: entry.stream, data: entry.data });
    }
    if (!options.stream) {
      relay.finish();
      return relay;
    }

    if (record.state.status === 'running' || record.state.status === 'paused') {
      relay.connect(await this.runtime.attach(record.id, { stdin: relay.hasStdin }));
      return relay;
    }
    let waiting = this.pending.get(record.id);
    if (!waiting) {
      waiting = new Set();
      this.pending.set(record.id, waiting);
    }
    waiting.add(relay);
    return relay;
  }

  // Connects the relays waiting for this container; the runtime calls it between create and start.
  async connectPending(record: ContainerRecord): Promise<void> {
    const waiting = this.pending.get(record.id);
    if (!waiting) return;
    this.pending.delete(record.id);
    for (const relay of waiting) {
      if (relay.isClosed) continue;
      try {
        relay.connect(await this.runtime.attach(record.id, { stdin: relay.hasStdin }));
      } catch (error) {
        this.logger.error({ container: record.id, err: error }, 'attach at start failed');
        relay.finish();
      }
    }
  }

  finishPending(containerId: string): void {
    const waiting = this.pending.get(containerId);
    this.pending.delete(containerId);
    for (const relay of waiting ?? []) relay.finish();
  }

  async logs(idOrName: string, options: LogOptions, signal?: AbortSignal): Promise<Readable> {
    const record = this.store.find(idOrName);
    const isRunning = () => {
      try {
        return isActive(this.store.find(record.id).state.status);
      } catch {
        return false;
      }
    };
    return this.runtime.readLogs(record, options, isRunning, signal);
  }

  async resize(idOrName: string, height: number, width: number): Promise<void> {
    const record = this.store.find(idOrName);
    if (!isActive(record.state.status)) throw new ConflictError(`cannot resize container ${record.id}: container is not running`);
    await this.runtime.resize(record.id, height, width);
  }

  async top(idOrName: string, psArgs: string): Promise<ProcessTable> {
    const record = this.store.find(idOrName);
    if (record.state.status !== 'running' && record.state.status !== 'paused') {
      throw new ConflictError(`container ${record.id} is not running`);
    }
    return this.runtime.top(record.id, psArgs);
  }
}
