// The daemon's event log (`docker events`): a bounded in-memory history of
// container, image, volume and network events plus live subscribers. As in
// dockerd, the history is lost when berthd restarts.
import type { Logger } from '../common/logger';
import type { ContainerRecord } from '../container/types';

export type EventType = 'container' | 'image' | 'volume' | 'network';

export interface EngineEvent {
  type: EventType;
  action: string;
  // Container ID, image reference or ID, volume name or network ID.
  actorId: string;
  attributes: Record<string, string>;
  // Nanoseconds since the Unix epoch.
  timeNano: bigint;
}

export type EventListener = (event: EngineEvent) => void;

// dockerd keeps the last 256 events; a longer history lets `--since` reach further back.
export const DEFAULT_HISTORY_SIZE = 1000;

export class EventLog {
  private readonly history: EngineEvent[] = [];
  private readonly listeners = new Set<EventListener>();
  // Keeps timeNano strictly increasing, so that replay order and `until` bounds are exact.
  private lastTimeNano = 0n;

  constructor(
    private readonly logger: Logger,
    private readonly historySize = DEFAULT_HISTORY_SIZE,
  ) {}

  emit(type: EventType, action: string, actorId: string, attributes: Record<string, string>): void {
    const now = BigInt(Date.now()) * 1_000_000n + process.hrtime.bigint() % 1_000_000n;
    const timeNano = now > this.lastTimeNano ? now : this.lastTimeNano + 1n;
    this.lastTimeNano = timeNano;
    const event: EngineEvent = { type, action, actorId, attributes, timeNano };

    this.history.push(event);
    if (this.history.length > this.historySize) this.history.shift();
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.warn({ err: error, type, action, actor: actorId }, 'event subscriber failed');
      }
    }
  }

  // Emits a container event with the attributes Docker gives every one of them: the labels, name and image.
  container(record: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    this.emit('container', action, record.id, { ...record.spec.labels, image: record.spec.image, name: record.name, ...extra });
  }

  // Emits volume mount or unmount events for the container's named and anonymous volumes, as dockerd does at start and exit.
  volumeMounts(record: ContainerRecord, action: 'mount' | 'unmount'): void {
    for (const mount of record.mounts) {
      if (mount.type !== 'volume') continue;
      const attributes: Record<string, string> = { container: record.id, driver: mount.driver || 'local' };
      if (action === 'mount') Object.assign(attributes, { destination: mount.destination, 'read/write': String(mount.rw), propagation: mount.propagation });
      this.emit('volume', action, mount.name, attributes);
    }
  }

  // Emits network connect or disconnect events for the networks the container joins at start.
  networkEndpoints(record: ContainerRecord, action: 'connect' | 'disconnect'): void {
    for (const [networkId, attachment] of Object.entries(record.networks ?? {})) {
      this.emit('network', action, networkId, { container: record.id, name: attachment.name, type: 'bridge' });
    }
  }

  // Returns the stored events, oldest first.
  snapshot(): EngineEvent[] {
    return [...this.history];
  }

  // Registers a listener for new events; the returned function removes it.
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
