// The container lifecycle: create, start, stop, kill, pause, remove, and what
// happens when a container exits (state, waiters, restart policy, --rm).
// Public methods take the container's lock for their read-modify-write steps;
// methods whose names end in "Locked" expect the caller to hold it. Waiting for
// an exit never happens under the lock, because the exit handler needs it.
import { EventEmitter } from 'node:events';
import { ConflictError, EngineError, InvalidArgumentError, NotModifiedError, errorMessage } from '../common/errors';
import { newId, shortId } from '../common/ids';
import { KeyedLock } from '../common/keyed-lock';
import type { Logger } from '../common/logger';
import type { DaemonConfig } from '../common/config';
import { randomContainerName } from '../container/names';
import type { ContainerRuntime } from '../container/runtime';
import { validateSpec } from '../container/runtime';
import { assertTransition, isActive } from '../container/state-machine';
import type { ContainerStore } from '../container/store';
import type { ContainerRecord, ContainerSpec } from '../container/types';
import type { ImageService } from '../image/service';
import type { VolumeStore } from '../volume/store';
import { buildContainerRecord, validateDaemonLimits } from './container-create';
import { mergeLogConfig, parseLogLimits } from '../container/runtime/log-limits';
import { copyImageContentIntoVolumes, resolveMounts } from './container-mounts';
import { normalizeNetworkMode, type ContainerNetworking } from './container-networking';
import type { ContainerStreams } from './container-streams';
import type { WaitCondition, WaitResult } from './engine';
import type { EventLog } from './events';
import type { HealthMonitor } from './health';
import { RestartBackoff, shouldRestart } from './restart-policy';
import { normalizeSignal, signalNumber } from './signals';

// How long stop and remove -f wait for the exit after SIGKILL before giving up.
const KILL_GRACE_MS = 15_000;

export interface ContainerServiceDependencies {
  config: DaemonConfig;
  logger: Logger;
  store: ContainerStore;
  images: ImageService;
  volumes: VolumeStore;
  runtime: ContainerRuntime;
  networking: ContainerNetworking;
  eventLog: EventLog;
}

export class ContainerService {
  readonly locks = new KeyedLock();
  // Emits "exit:<id>" with a WaitResult after an exit is recorded, and "removed:<id>" after removal.
  readonly events = new EventEmitter();
  private readonly backoff = new RestartBackoff();
  private readonly restartTimers = new Map<string, NodeJS.Timeout>();
  // Containers that, since their last start in this process, have no network sandbox: it was
  // released, or the network mode (none, host, container:) never made one. Releasing again would
  // re-apply the whole firewall (tens of ms) for nothing. After a berthd restart the set is empty,
  // so every container is released once.
  private readonly networkReleased = new Set<string>();
  private streams!: ContainerStreams;
  private readonly config: DaemonConfig;
  private readonly logger: Logger;
  private readonly store: ContainerStore;
  private readonly images: ImageService;
  private readonly volumes: VolumeStore;
  private readonly runtime: ContainerRuntime;
  private readonly networking: ContainerNetworking;
  readonly eventLog: EventLog;
  // Set by the engine once the exec service exists; health checks run as exec sessions.
  health: HealthMonitor | null = null;

  constructor(dependencies: ContainerServiceDependencies) {
    this.config = dependencies.config;
    this.logger = dependencies.logger;
    this.store = dependencies.store;
    this.images = dependencies.images;
    this.volumes = dependencies.volumes;
    this.runtime = dependencies.runtime;
    this.networking = dependencies.networking;
    this.eventLog = dependencies.eventLog;
    this.events.setMaxListeners(0);
  }

  attachStreams(streams: ContainerStreams): void {
    this.streams = streams;
  }

  async create(spec: ContainerSpec): Promise<{ id: string; warnings: string[] }> {
    validateDaemonLimits(spec);
    // inspect shows the merged options, as Docker's HostConfig.LogConfig does.
    spec.logConfig = mergeLogConfig(spec.logConfig, this.config.logOpts);
    parseLogLimits(spec.logConfig.config, spec.logConfig.type);
    validateSpec(spec);
    const image = this.images.resolve(spec.image);

    const id = newId();
    const requestedName = spec.name ? spec.name.replace(/^\//, '') : '';
    if (requestedName) {
      const owner = this.store.nameTaken(requestedName);
      if (owner) {
        throw new ConflictError(
          `Conflict. The container name "/${requestedName}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`,
        );
      }
    }
    const name = requestedName || randomContainerName((candidate) => this.store.nameTaken(candidate) !== undefined);

    spec.networkMode = normalizeNetworkMode(spec.networkMode);
    const networks = this.networking.networksAtCreate(spec);
    const record = buildContainerRecord({ id, name, spec, image, containerDirectory: this.store.directory(id), runtime: this.config.runtime });
    record.networks = networks;
    record.mounts = await resolveMounts(spec, image, this.volumes);
    await this.store.add(record);

    const warnings: string[] = [];
    this.logger.info({ container: id, name, image: image.id }, 'container created');
    this.eventLog.container(record, 'create');
    return { id, warnings };
  }

  find(idOrName: string): ContainerRecord {
    return this.store.find(idOrName);
  }

  list(): ContainerRecord[] {
    return this.store.all();
  }

  // Returns the ID of a container that uses the image, or null. Image removal calls it.
  containerUsingImage(imageId: string): string | null {
    return this.store.all().find((record) => record.imageId === imageId)?.id ?? null;
  }

  async start(idOrName: string): Promise<void> {
    const record = this.store.find(idOrName);
    await this.locks.run(record.id, async () => {
      if (record.state.status === 'running' || record.state.status === 'paused') {
        throw new NotModifiedError(`container ${record.id} is already started`);
      }
      this.cancelScheduledRestart(record.id);
      record.manuallyStopped = false;
      await this.startLocked(record);
    });
  }

  private async startLocked(record: ContainerRecord): Promise<void> {
    if (record.state.status === 'removing' || record.state.status === 'dead') {
      throw new ConflictError(`cannot start container ${record.id}: the container is marked for removal`);
    }
    assertTransition(record.id, record.state.status, 'running');
    const image = this.images.resolve(record.imageId);

    try {
      // The overlay mount and the network sandbox do not depend on each other, so they are set up together.
      // Both settle before a failure is handled, so that failStartLocked never races a half-done setup.
      this.networkReleased.delete(record.id);
      const [mounted, networked] = await Promise.allSettled([
        this.runtime.mountRootfs(record.id, this.images.lowerLayers(image.id)),
        this.networking.setUp(record, image),
      ]);
      if (mounted.status === 'rejected') throw mounted.reason;
      if (networked.status === 'rejected') throw networked.reason;
      if (networked.value.networkNamespacePath === null) this.networkReleased.add(record.id);
      if (!record.hasBeenStarted) await copyImageContentIntoVolumes(record, mounted.value, this.logger);
      await this.runtime.writeBundle(record, image, networked.value);
      const { pid } = await this.runtime.start(record, () => this.streams.connectPending(record));

      record.state = { ...record.state, status: 'running', pid, exitCode: 0, error: '', oomKilled: false, startedAt: new Date().toISOString() };
      record.hasBeenStarted = true;
      await this.store.save(record);
      this.logger.info({ container: record.id, pid }, 'container started');
      this.eventLog.networkEndpoints(record, 'connect');
      this.eventLog.volumeMounts(record, 'mount');
      this.eventLog.container(record, 'start');
      this.health?.startMonitor(record);
    } catch (error) {
      await this.failStartLocked(record, error);
      throw startError(record, error);
    }
  }

  // Records a failed start the way Docker does: exited, with 126 or 127 when the command could not run.
  private async failStartLocked(record: ContainerRecord, error: unknown): Promise<void> {
    const message = errorMessage(error);
    this.logger.error({ container: record.id, err: error }, 'container start failed');
    await this.runtime.kill(record.id, 'KILL').catch(() => undefined);
    await this.runtime.collectExit(record.id).catch(() => null);
    await this.releaseNetwork(record.id);
    await this.runtime.unmountRootfs(record.id).catch((unmountError: unknown) => {
      this.logger.warn({ container: record.id, err: unmountError }, 'unmount after failed start failed');
    });
    record.state = {
      ...record.state,
      status: 'exited',
      pid: 0,
      exitCode: commandExitCode(message),
      error: message,
      finishedAt: new Date().toISOString(),
    };
    await this.store.save(record);
    this.streams.finishPending(record.id);
    this.eventLog.container(record, 'die', { exitCode: String(record.state.exitCode) });
    this.events.emit(`exit:${record.id}`, { statusCode: record.state.exitCode, error: message } satisfies WaitResult);
    if (record.spec.autoRemove) await this.removeLocked(record, true);
  }

  async stop(idOrName: string, options: { signal: string | null; timeout: number | null }): Promise<void> {
    const record = this.store.find(idOrName);
    if (record.state.status === 'restarting') {
      await this.locks.run(record.id, async () => {
        this.cancelScheduledRestart(record.id);
        record.manuallyStopped = true;
        record.state = { ...record.state, status: 'exited' };
        await this.store.save(record);
      });
      return;
    }
    if (!isActive(record.state.status)) throw new NotModifiedError(`container ${record.id} is already stopped`);

    const signal = normalizeSignal(options.signal ?? record.effectiveStopSignal);
    const timeoutSeconds = options.timeout ?? record.spec.stopTimeout ?? this.config.stopTimeout;
    const exited = this.nextExit(record.id);
    await this.locks.run(record.id, async () => {
      record.manuallyStopped = true;
      await this.store.save(record);
      this.logger.info({ container: record.id, signal, timeoutSeconds }, 'stopping container');
      await this.runtime.kill(record.id, signal);
      this.eventLog.container(record, 'kill', { signal: String(signalNumber(signal)) });
      if (record.state.status === 'paused') await this.runtime.resume(record.id);
    });

    if (timeoutSeconds < 0) {
      await exited;
      this.eventLog.container(record, 'stop');
      return;
    }
    const graceful = await withTimeout(exited, timeoutSeconds * 1000);
    if (!graceful) {
      this.logger.info({ container: record.id, timeoutSeconds }, 'container did not stop in time, sending SIGKILL');
      await this.runtime.kill(record.id, 'SIGKILL');
      this.eventLog.container(record, 'kill', { signal: String(signalNumber('SIGKILL')) });
      if (!(await withTimeout(exited, KILL_GRACE_MS))) {
        throw new EngineError('internal', `stop container ${record.id}: no exit after SIGKILL within ${KILL_GRACE_MS / 1000} s`);
      }
    }
    this.eventLog.container(record, 'stop');
  }

  async restart(idOrName: string, options: { signal: string | null; timeout: number | null }): Promise<void> {
    const record = this.store.find(idOrName);
    try {
      await this.stop(record.id, options);
    } catch (error) {
      if (!(error instanceof NotModifiedError)) throw error;
    }
    await this.locks.run(record.id, async () => {
      this.cancelScheduledRestart(record.id);
      record.manuallyStopped = false;
      if (record.state.status !== 'running') await this.startLocked(record);
    });
    this.eventLog.container(record, 'restart');
  }

  async kill(idOrName: string, signalName: string): Promise<void> {
    const record = this.store.find(idOrName);
    const signal = normalizeSignal(signalName || 'SIGKILL');
    await this.locks.run(record.id, async () => {
      if (!isActive(record.state.status) || record.state.status === 'restarting') {
        throw new ConflictError(`cannot kill container: ${idOrName}: container ${record.id} is not running`);
      }
      // As in Docker, a killed container is not restarted by its restart policy.
      record.manuallyStopped = true;
      await this.store.save(record);
      this.logger.info({ container: record.id, signal }, 'killing container');
      await this.runtime.kill(record.id, signal);
      this.eventLog.container(record, 'kill', { signal: String(signalNumber(signal)) });
    });
  }

  async pause(idOrName: string): Promise<void> {
    const record = this.store.find(idOrName);
    await this.locks.run(record.id, async () => {
      if (record.state.status === 'paused') throw new ConflictError(`container ${record.id} is already paused`);
      if (record.state.status !== 'running') throw new ConflictError(`container ${record.id} is not running`);
      await this.runtime.pause(record.id);
      record.state = { ...record.state, status: 'paused' };
      await this.store.save(record);
      this.logger.info({ container: record.id }, 'container paused');
      this.eventLog.container(record, 'pause');
    });
  }

  async unpause(idOrName: string): Promise<void> {
    const record = this.store.find(idOrName);
    await this.locks.run(record.id, async () => {
      if (record.state.status !== 'paused') throw new ConflictError(`container ${record.id} is not paused`);
      await this.runtime.resume(record.id);
      record.state = { ...record.state, status: 'running' };
      await this.store.save(record);
      this.logger.info({ container: record.id }, 'container unpaused');
      this.eventLog.container(record, 'unpause');
    });
  }

  async remove(idOrName: string, options: { force: boolean; volumes: boolean }): Promise<void> {
    const record = this.store.find(idOrName);
    if (isActive(record.state.status) && record.state.status !== 'restarting') {
      if (!options.force) {
        throw new ConflictError(`cannot remove container "/${record.name}": container is running: stop the container before removing or force remove`);
      }
      const exited = this.nextExit(record.id);
      await this.locks.run(record.id, async () => {
        record.manuallyStopped = true;
        await this.store.save(record);
        await this.runtime.kill(record.id, 'SIGKILL');
        this.eventLog.container(record, 'kill', { signal: String(signalNumber('SIGKILL')) });
        if (record.state.status === 'paused') await this.runtime.resume(record.id);
      });
      if (!(await withTimeout(exited, KILL_GRACE_MS))) {
        throw new EngineError('internal', `remove container ${record.id}: no exit after SIGKILL within ${KILL_GRACE_MS / 1000} s`);
      }
    }
    await this.locks.run(record.id, async () => {
      if (!this.stillStored(record)) return;
      this.cancelScheduledRestart(record.id);
      await this.removeLocked(record, options.volumes);
    });
  }

  private async removeLocked(record: ContainerRecord, removeAnonymousVolumes: boolean): Promise<void> {
    record.state = { ...record.state, status: 'removing' };
    this.streams.finishPending(record.id);
    await Promise.all([
      this.releaseNetwork(record.id),
      this.runtime.unmountRootfs(record.id).catch((error: unknown) => {
        this.logger.warn({ container: record.id, err: error }, 'unmount during removal failed');
      }),
    ]);
    await this.runtime.cleanup(record.id);
    await this.store.remove(record);
    this.backoff.forget(record.id);
    this.networkReleased.delete(record.id);

    if (removeAnonymousVolumes) {
      for (const mount of record.mounts) {
        if (mount.type !== 'volume') continue;
        const volume = this.volumes.find(mount.name);
        if (!volume?.anonymous) continue;
        const users = this.containersUsingVolume(volume.name);
        await this.volumes.remove(volume.name, users, false).catch((error: unknown) => {
          this.logger.warn({ container: record.id, volume: volume.name, err: error }, 'could not remove anonymous volume');
        });
      }
    }
    this.logger.info({ container: record.id }, 'container removed');
    this.eventLog.container(record, 'destroy');
    this.events.emit(`removed:${record.id}`, { statusCode: record.state.exitCode, error: null } satisfies WaitResult);
  }

  containersUsingVolume(name: string): string[] {
    return this.store.all().filter((record) => record.mounts.some((mount) => mount.type === 'volume' && mount.name === name)).map((record) => record.id);
  }

  async rename(idOrName: string, newName: string): Promise<void> {
    const record = this.store.find(idOrName);
    const name = newName.replace(/^\//, '');
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(name)) {
      throw new InvalidArgumentError(`Invalid container name (${newName}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    }
    if (name === record.name) throw new InvalidArgumentError('Renaming a container with the same name as its current name');
    const oldName = record.name;
    await this.locks.run(record.id, () => this.store.rename(record, name));
    this.eventLog.container(record, 'rename', { oldName: `/${oldName}` });
  }

  async wait(idOrName: string, condition: WaitCondition, abort?: AbortSignal): Promise<WaitResult> {
    const record = this.store.find(idOrName);
    if (condition === 'not-running' && !isActive(record.state.status)) {
      return { statusCode: record.state.exitCode, error: null };
    }
    const event = condition === 'removed' ? `removed:${record.id}` : `exit:${record.id}`;
    return new Promise<WaitResult>((resolve, reject) => {
      const onEvent = (result: WaitResult) => {
        abort?.removeEventListener('abort', onAbort);
        resolve(result);
      };
      const onAbort = () => {
        this.events.off(event, onEvent);
        reject(new EngineError('unavailable', `wait for container ${record.id}: the client went away`));
      };
      this.events.once(event, onEvent);
      abort?.addEventListener('abort', onAbort, { once: true });
    });
  }

  // Resolves after the next exit of the container has been recorded.
  private nextExit(id: string): Promise<WaitResult> {
    return new Promise((resolve) => this.events.once(`exit:${id}`, resolve));
  }

  // Records an exit reported by the runtime, then restarts or removes the container as its restart policy and --rm require.
  async handleExit(id: string): Promise<void> {
    let record: ContainerRecord;
    try {
      record = this.store.find(id);
    } catch {
      await this.runtime.cleanup(id).catch(() => undefined);
      return;
    }
    await this.locks.run(record.id, async () => {
      if (!this.stillStored(record) || !isActive(record.state.status)) return;
      const exit = await this.runtime.collectExit(record.id);
      if (!exit) return;
      await this.recordExitLocked(record, exit.exitCode, exit.oomKilled, exit.finishedAt);
    });
  }

  async recordExitLocked(record: ContainerRecord, exitCode: number, oomKilled: boolean, finishedAt: string): Promise<void> {
    await Promise.all([
      this.releaseNetwork(record.id),
      this.runtime.unmountRootfs(record.id).catch((error: unknown) => {
        this.logger.warn({ container: record.id, err: error }, 'unmount after exit failed');
      }),
    ]);
    const restart = shouldRestart(record, exitCode);
    record.state = { ...record.state, status: restart ? 'restarting' : 'exited', pid: 0, exitCode, oomKilled, finishedAt };
    if (restart) record.restartCount += 1;
    // An --rm container's record is deleted next, so writing its exited state would only cost two fsyncs.
    // If berthd dies before the removal ends, recovery finds the record still "running" with no runc state and removes it.
    const removeNext = !restart && record.spec.autoRemove;
    if (!removeNext) await this.store.save(record);
    this.logger.info({ container: record.id, exitCode, oomKilled, restart }, 'container exited');
    this.health?.stopMonitor(record.id);
    this.emitExitEvents(record, exitCode, oomKilled, finishedAt);
    this.events.emit(`exit:${record.id}`, { statusCode: exitCode, error: null } satisfies WaitResult);

    if (restart) {
      const runMs = Date.parse(finishedAt) - Date.parse(record.state.startedAt);
      this.scheduleRestart(record, this.backoff.next(record.id, Number.isFinite(runMs) ? runMs : 0));
    } else if (removeNext) {
      await this.removeLocked(record, true);
    }
  }

  private emitExitEvents(record: ContainerRecord, exitCode: number, oomKilled: boolean, finishedAt: string): void {
    if (oomKilled) this.eventLog.container(record, 'oom');
    const runMs = Date.parse(finishedAt) - Date.parse(record.state.startedAt);
    const execDuration = Number.isFinite(runMs) ? String(Math.max(0, Math.floor(runMs / 1000))) : '0';
    this.eventLog.container(record, 'die', { exitCode: String(exitCode), execDuration });
    this.eventLog.networkEndpoints(record, 'disconnect');
    this.eventLog.volumeMounts(record, 'unmount');
  }

  // tearDown logs its own failures and never rejects.
  private async releaseNetwork(id: string): Promise<void> {
    if (this.networkReleased.has(id)) return;
    await this.networking.tearDown(id);
    this.networkReleased.add(id);
  }

  scheduleRestart(record: ContainerRecord, delayMs: number): void {
    this.cancelScheduledRestart(record.id);
    this.logger.info({ container: record.id, delayMs, restartCount: record.restartCount }, 'restarting container after delay');
    const timer = setTimeout(() => {
      this.restartTimers.delete(record.id);
      void this.locks
        .run(record.id, async () => {
          if (!this.stillStored(record) || record.state.status !== 'restarting') return;
          await this.startLocked(record);
        })
        .catch((error: unknown) => this.logger.error({ container: record.id, err: error }, 'restart failed'));
    }, delayMs);
    this.restartTimers.set(record.id, timer);
  }

  private cancelScheduledRestart(id: string): void {
    const timer = this.restartTimers.get(id);
    if (timer) clearTimeout(timer);
    this.restartTimers.delete(id);
  }

  private stillStored(record: ContainerRecord): boolean {
    try {
      return this.store.find(record.id) === record;
    } catch {
      return false;
    }
  }

  shutdown(): void {
    this.health?.stopAll();
    for (const timer of this.restartTimers.values()) clearTimeout(timer);
    this.restartTimers.clear();
  }
}

// Docker's exit codes for a command that could not run: 127 not found, 126 not executable.
export function commandExitCode(message: string): number {
  if (/executable file not found|no such file or directory|not found in \$PATH/i.test(message)) return 127;
  if (/permission denied|exec format error|not executable/i.test(message)) return 126;
  return 128;
}

function startError(record: ContainerRecord, error: unknown): Error {
  if (error instanceof EngineError) return error;
  const message = `failed to create task for container ${shortId(record.id)}: OCI runtime create failed: ${errorMessage(error)}`;
  const code = commandExitCode(errorMessage(error));
  return code === 128 ? new EngineError('internal', message, { cause: error }) : new InvalidArgumentError(message, { cause: error });
}

async function withTimeout<T>(promise: Promise<T>, milliseconds: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), milliseconds);
  });
  const result = await Promise.race([promise.then(() => true as const), timeout]);
  if (timer) clearTimeout(timer);
  return result;
}

