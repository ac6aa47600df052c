// A test double of the Engine interface for HTTP-layer unit tests of the
// API server only: it keeps containers, images, execs and volumes in memory
// and runs nothing. End-to-end behaviour is tested against the real daemon.
import { PassThrough, Readable } from 'node:stream';
import { ConflictError, NotFoundError, NotImplementedError } from '../../src/common/errors';
import type { ContainerRecord, ContainerSpec, ContainerStatus, NetworkAttachment } from '../../src/container/types';
import type {
  AttachOptions,
  Engine,
  EngineInfo,
  ExecRecord,
  ExecSpec,
  ListContainersOptions,
  LogEntry,
  LogOptions,
  OutputChunk,
  ProcessTable,
  ContainerDetails,
  EngineEvent,
  ContainerPathStat,
  ContainerStats,
  BuildCacheRecord,
  DiskUsage,
  PruneContainersOptions,
  PruneContainersResult,
  ContainerUpdate,
  PutArchiveOptions,
  CommitOptions,
  ContainerChange,
  ContainerNetworkState,
  ContainerSize,
  PruneImagesOptions,
  PruneImagesResult,
  NetworkCreateRequest,
  NetworkInfo,
  ImageHistoryItem,
  RemoveImageResult,
  StdioSession,
  WaitCondition,
  WaitResult,
} from '../../src/engine/engine';
import type { ImageRecord } from '../../src/image/types';
import type { NetworkRecord } from '../../src/network/types';
import type { VolumeRecord } from '../../src/volume/types';
import { NetworkDouble } from './network-double';
import type { BuildProgress, BuildRequest, BuildResult } from '../../src/builder/types';
import { defaultContainerSpec } from '../../src/container/spec-defaults';

export const BUSYBOX_ID = `sha256:${'b'.repeat(64)}`;

export function busyboxImage(): ImageRecord {
  return {
    id: BUSYBOX_ID,
    repoTags: ['docker.io/library/busybox:latest'],
    repoDigests: [],
    config: {
      created: '2024-09-26T21:31:42Z',
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: [`sha256:${'c'.repeat(64)}`] },
    },
    size: 4_261_550,
    loadedAt: '2024-10-01T00:00:00Z',
  };
}

// A session whose output the test writes and whose stdin the test reads back.
export class SessionDouble implements StdioSession {
  readonly output = new PassThrough({ objectMode: true });
  readonly stdin: Buffer[] = [];
  stdinClosed = false;
  closed = false;

  constructor(readonly hasStdin: boolean) {}

  emit(stream: OutputChunk['stream'], text: string): void {
    this.output.write({ stream, data: Buffer.from(text) } satisfies OutputChunk);
  }

  writeStdin(data: Buffer): void {
    this.stdin.push(Buffer.from(data));
  }

  closeStdin(): void {
    this.stdinClosed = true;
  }

  close(): void {
    this.closed = true;
  }

  stdinText(): string {
    return Buffer.concat(this.stdin).toString();
  }
}

const ZERO = '0001-01-01T00:00:00Z';

export class InMemoryEngineDouble implements Engine {
  readonly containers = new Map<string, ContainerRecord>();
  readonly images = new Map<string, ImageRecord>([[BUSYBOX_ID, busyboxImage()]]);
  readonly volumes = new Map<string, VolumeRecord>();
  readonly execs = new Map<string, ExecRecord>();
  readonly sessions: SessionDouble[] = [];
  readonly calls: { method: string; args: unknown[] }[] = [];
  readonly logs = new Map<string, LogEntry[]>();
  readonly networks = new NetworkDouble(() => [...this.containers.values()]);
  private nextId = 1;
  private readonly waiters = new Map<string, ((result: WaitResult) => void)[]>();

  private record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }

  private newId(): string {
    return (this.nextId++).toString(16).padStart(64, '0');
  }

  // Adds a container record directly, for list and inspect tests.
  addContainer(overrides: Omit<Partial<ContainerRecord>, 'spec'> & { spec?: Partial<ContainerSpec> }): ContainerRecord {
    const id = overrides.id ?? this.newId();
    const base: ContainerRecord = {
      id,
      name: `c${this.containers.size}`,
      created: new Date().toISOString(),
      imageId: BUSYBOX_ID,
      spec: { ...defaultSpec(), ...(overrides.spec ?? {}) },
      path: 'sh',
      args: [],
      effectiveEnv: ['PATH=/bin'],
      effectiveWorkingDir: '/',
      effectiveUser: '',
      effectiveStopSignal: 'SIGTERM',
      state: { status: 'created', pid: 0, exitCode: 0, error: '', oomKilled: false, startedAt: ZERO, finishedAt: ZERO },
      restartCount: 0,
      manuallyStopped: false,
      hasBeenStarted: false,
      mounts: [],
      logPath: `/logs/${id}.log`,
      hostnamePath: `/run/${id}/hostname`,
      hostsPath: `/run/${id}/hosts`,
      resolvConfPath: `/run/${id}/resolv.conf`,
      logDriver: 'k8s-file',
      runtime: 'runc',
      driver: 'overlay',
    };
    const { spec: _spec, ...rest } = overrides;
    const record = { ...base, ...rest, spec: base.spec };
    this.containers.set(id, record);
    return record;
  }

  setStatus(idOrName: string, status: ContainerStatus, exitCode = 0): void {
    const record = this.find(idOrName);
    const now = new Date().toISOString();
    record.state.status = status;
    record.state.exitCode = exitCode;
    if (status === 'running') {
      record.state.pid = 4242;
      record.state.startedAt = now;
    }
    if (status === 'exited') {
      record.state.pid = 0;
      record.state.finishedAt = now;
      for (const resolve of this.waiters.get(record.id) ?? []) resolve({ statusCode: exitCode, error: null });
      this.waiters.delete(record.id);
    }
  }

  private find(idOrName: string): ContainerRecord {
    const name = idOrName.replace(/^\//, '');
    const byId = this.containers.get(idOrName);
    if (byId) return byId;
    for (const record of this.containers.values()) {
      if (record.name === name || record.id.startsWith(idOrName)) return record;
    }
    throw new NotFoundError(`No such container: ${idOrName}`);
  }

  async info(): Promise<EngineInfo> {
    return {
      id: 'engine-double',
      name: 'test-host',
      containers: this.containers.size,
      running: [...this.containers.values()].filter((record) => record.state.status === 'running').length,
      paused: 0,
      stopped: 0,
      images: this.images.size,
      dataRoot: '/var/lib/berth-test',
      runtime: 'runc',
      cgroupVersion: '1',
      cgroupDriver: 'cgroupfs',
      kernelVersion: '6.1.0',
      operatingSystem: 'Debian GNU/Linux 12 (bookworm)',
      architecture: 'x86_64',
      cpus: 2,
      memoryBytes: 4 * 1024 ** 3,
      defaultNetwork: 'none',
      securityOptions: ['name=seccomp,profile=builtin'],
      version: '0.0.0-test',
      initPath: '/usr/bin/tini-static',
    };
  }

  async listImages(): Promise<ImageRecord[]> {
    return [...this.images.values()];
  }

  async getImage(reference: string): Promise<ImageRecord> {
    for (const image of this.images.values()) {
      const names = image.repoTags.map((tag) => tag.replace('docker.io/library/', ''));
      if (image.id === reference || names.includes(reference) || names.includes(`${reference}:latest`)) return image;
    }
    throw new NotFoundError(`No such image: ${reference}`);
  }

  async tagImage(source: string, target: string): Promise<void> {
    this.record('tagImage', source, target);
    const image = await this.getImage(source);
    image.repoTags.push(target.includes('/') ? target : `docker.io/library/${target}`);
  }

  async removeImage(reference: string, options: { force: boolean; noPrune: boolean }): Promise<RemoveImageResult> {
    this.record('removeImage', reference, options);
    const image = await this.getImage(reference);
    return { untagged: [...image.repoTags], deleted: [image.id] };
  }

  async loadImages(archive: Readable, onLoaded: (message: string) => void): Promise<void> {
    let bytes = 0;
    for await (const chunk of archive) bytes += (chunk as Buffer).length;
    this.record('loadImages', bytes);
    if (bytes === 0) throw new Error('load image archive: empty archive');
    onLoaded('docker.io/library/busybox:latest');
  }

  async importImage(archive: Readable, options: { reference: string | null; changes: string[]; message: string }): Promise<string> {
    let bytes = 0;
    for await (const chunk of archive) bytes += (chunk as Buffer).length;
    this.record('importImage', bytes, options);
    return `sha256:${'d'.repeat(64)}`;
  }

  async createContainer(spec: ContainerSpec): Promise<{ id: string; warnings: string[] }> {
    this.record('createContainer', spec);
    await this.getImage(spec.image);
    const record = this.addContainer({ name: spec.name ?? `auto${this.nextId}`, spec });
    return { id: record.id, warnings: [] };
  }

  async listContainers(options: ListContainersOptions): Promise<ContainerRecord[]> {
    this.record('listContainers', options);
    return [...this.containers.values()];
  }

  async getContainer(idOrName: string): Promise<ContainerRecord> {
    return this.find(idOrName);
  }

  async startContainer(idOrName: string): Promise<void> {
    this.record('startContainer', idOrName);
    this.setStatus(idOrName, 'running');
  }

  async stopContainer(idOrName: string, options: { signal: string | null; timeout: number | null }): Promise<void> {
    this.record('stopContainer', idOrName, options);
    this.setStatus(idOrName, 'exited', 137);
  }

  async restartContainer(idOrName: string, options: { signal: string | null; timeout: number | null }): Promise<void> {
    this.record('restartContainer', idOrName, options);
    this.setStatus(idOrName, 'running');
  }

  async killContainer(idOrName: string, signal: string): Promise<void> {
    this.record('killContainer', idOrName, signal);
    if (this.find(idOrName).state.status !== 'running') throw new ConflictError(`container ${idOrName} is not running`);
  }

  async pauseContainer(idOrName: string): Promise<void> {
    this.record('pauseContainer', idOrName);
  }

  async unpauseContainer(idOrName: string): Promise<void> {
    this.record('unpauseContainer', idOrName);
  }

  async removeContainer(idOrName: string, options: { force: boolean; volumes: boolean }): Promise<void> {
    this.record('removeContainer', idOrName, options);
    this.containers.delete(this.find(idOrName).id);
  }

  async renameContainer(idOrName: string, newName: string): Promise<void> {
    this.record('renameContainer', idOrName, newName);
    this.find(idOrName).name = newName;
  }

  waitContainer(idOrName: string, condition: WaitCondition, signal?: AbortSignal): Promise<WaitResult> {
    this.record('waitContainer', idOrName, condition);
    const record = this.find(idOrName);
    if (condition === 'not-running' && record.state.status === 'exited') {
      return Promise.resolve({ statusCode: record.state.exitCode, error: null });
    }
    return new Promise((resolve, reject) => {
      this.waiters.set(record.id, [...(this.waiters.get(record.id) ?? []), resolve]);
      signal?.addEventListener('abort', () => reject(new Error('wait aborted')));
    });
  }

  async containerLogs(idOrName: string, options: LogOptions): Promise<Readable> {
    this.record('containerLogs', idOrName, options);
    const entries = (this.logs.get(this.find(idOrName).id) ?? []).filter((entry) => (entry.stream === 'stdout' ? options.stdout : options.stderr));
    const selected = options.tail === null ? entries : entries.slice(Math.max(0, entries.length - options.tail));
    return Readable.from(selected);
  }

  async attachContainer(idOrName: string, options: AttachOptions): Promise<StdioSession> {
    this.record('attachContainer', idOrName, options);
    const record = this.find(idOrName);
    const session = new SessionDouble(options.stdin && record.spec.openStdin);
    this.sessions.push(session);
    return session;
  }

  async resizeContainer(idOrName: string, height: number, width: number): Promise<void> {
    this.record('resizeContainer', idOrName, height, width);
  }

  async topContainer(idOrName: string, psArgs: string): Promise<ProcessTable> {
    this.record('topContainer', idOrName, psArgs);
    return { titles: ['PID', 'CMD'], processes: [['1', 'sleep 100']] };
  }

  async pullImage(reference: string, options: { registryAuth: string | null; platform: string | null }): Promise<void> {
    this.record('pullImage', reference, options);
    throw new NotImplementedError(`pull ${reference}: the engine double has no registry`);
  }

  async pushImage(name: string, options: { tag: string | null; registryAuth: string | null }): Promise<void> {
    this.record('pushImage', name, options);
    throw new NotImplementedError(`push ${name}: the engine double has no registry`);
  }

  async saveImages(names: string[]): Promise<Readable> {
    this.record('saveImages', names);
    throw new NotImplementedError('save: the engine double has no image content');
  }

  async imageHistory(reference: string): Promise<ImageHistoryItem[]> {
    this.record('imageHistory', reference);
    return [];
  }

  async checkRegistryLogin(login: { username: string; password: string; serverAddress: string; identityToken: string }): Promise<void> {
    this.record('checkRegistryLogin', login.serverAddress);
  }

  async containerDetails(idOrName: string): Promise<ContainerDetails> {
    this.record('containerDetails', idOrName);
    return { execIds: [], lowerDirs: ['/store/l/A'], upperDir: '/store/upper', workDir: '/store/work', mergedDir: '/store/merged' };
  }

  async containerSize(idOrName: string): Promise<ContainerSize> {
    this.record('containerSize', idOrName);
    return { sizeRw: 0, sizeRootFs: 0 };
  }

  async createExec(idOrName: string, spec: ExecSpec): Promise<string> {
    this.record('createExec', idOrName, spec);
    const record = this.find(idOrName);
    const id = this.newId();
    this.execs.set(id, { id, containerId: record.id, spec, running: false, exitCode: null, pid: 0 });
    return id;
  }

  async startExec(execId: string, options: { detach: boolean; consoleSize: [number, number] | null }): Promise<StdioSession | null> {
    this.record('startExec', execId, options);
    const exec = await this.inspectExec(execId);
    exec.running = true;
    if (options.detach) return null;
    const session = new SessionDouble(exec.spec.attachStdin);
    this.sessions.push(session);
    return session;
  }

  async resizeExec(execId: string, height: number, width: number): Promise<void> {
    this.record('resizeExec', execId, height, width);
  }

  async inspectExec(execId: string): Promise<ExecRecord> {
    const exec = this.execs.get(execId);
    if (!exec) throw new NotFoundError(`No such exec instance: ${execId}`);
    return exec;
  }

  async createVolume(options: { name: string; driver: string; labels: Record<string, string>; driverOptions: Record<string, string> }): Promise<VolumeRecord> {
    this.record('createVolume', options);
    const name = options.name || this.newId();
    const volume: VolumeRecord = {
      name,
      driver: options.driver,
      mountpoint: `/volumes/${name}/_data`,
      createdAt: '2024-10-01T00:00:00Z',
      labels: options.labels,
      options: options.driverOptions,
      anonymous: options.name === '',
    };
    this.volumes.set(name, volume);
    return volume;
  }

  async listVolumes(): Promise<VolumeRecord[]> {
    return [...this.volumes.values()];
  }

  async getVolume(name: string): Promise<VolumeRecord> {
    const volume = this.volumes.get(name);
    if (!volume) throw new NotFoundError(`get ${name}: no such volume`);
    return volume;
  }

  async removeVolume(name: string, options: { force: boolean }): Promise<void> {
    this.record('removeVolume', name, options);
    await this.getVolume(name);
    this.volumes.delete(name);
  }

  async pruneVolumes(options: { all: boolean; labels: string[] }): Promise<{ deleted: string[]; spaceReclaimed: number }> {
    this.record('pruneVolumes', options);
    const deleted = [...this.volumes.values()].filter((volume) => options.all || volume.anonymous).map((volume) => volume.name);
    for (const name of deleted) this.volumes.delete(name);
    return { deleted, spaceReclaimed: 0 };
  }

  async containerNetworks(idOrName: string): Promise<ContainerNetworkState> {
    return this.networks.state(this.find(idOrName));
  }

  async listNetworks(): Promise<NetworkInfo[]> {
    return [...this.networks.networks.values()].map((network) => this.networks.info(network));
  }

  async getNetwork(idOrName: string): Promise<NetworkInfo> {
    return this.networks.info(this.networks.find(idOrName));
  }

  async createNetwork(request: NetworkCreateRequest): Promise<NetworkRecord> {
    this.record('createNetwork', request);
    return this.networks.create(request);
  }

  async removeNetwork(idOrName: string): Promise<void> {
    this.record('removeNetwork', idOrName);
    this.networks.remove(idOrName);
  }

  async pruneNetworks(options: { labels: string[] }): Promise<string[]> {
    this.record('pruneNetworks', options);
    const removed: string[] = [];
    for (const network of [...this.networks.networks.values()]) {
      if (network.builtIn || this.networks.inUse(network)) continue;
      const labelled = options.labels.every((label) => {
        const [key, value] = label.split('=', 2);
        return key in network.labels && (value === undefined || network.labels[key] === value);
      });
      if (!labelled) continue;
      this.networks.networks.delete(network.id);
      removed.push(network.name);
    }
    return removed;
  }

  async connectNetwork(network: string, container: string, attachment: NetworkAttachment): Promise<void> {
    this.record('connectNetwork', network, container, attachment);
    this.networks.connect(this.find(container), network, attachment);
  }

  async disconnectNetwork(network: string, container: string, force: boolean): Promise<void> {
    this.record('disconnectNetwork', network, container, force);
    this.networks.disconnect(this.find(container), network, force);
  }

  // The double records no events: the history is empty and nothing is delivered later.
  subscribeEvents(_listener: (event: EngineEvent) => void): { history: EngineEvent[]; unsubscribe: () => void } {
    this.record('subscribeEvents');
    return { history: [], unsubscribe: () => undefined };
  }

  // The double does not model container prune or disk usage, so both throw NotImplementedError (HTTP 501).
  async pruneContainers(options: PruneContainersOptions): Promise<PruneContainersResult> {
    this.record('pruneContainers', options);
    throw new NotImplementedError('the engine double does not model container prune');
  }

  async diskUsage(): Promise<DiskUsage> {
    this.record('diskUsage');
    throw new NotImplementedError('the engine double does not model disk usage');
  }

  // The double does not model resource usage, updates or file copies, so these throw NotImplementedError (HTTP 501).
  async containerStats(idOrName: string): Promise<ContainerStats> {
    this.record('containerStats', idOrName);
    throw new NotImplementedError('the engine double does not model container stats');
  }

  async updateContainer(idOrName: string, update: ContainerUpdate): Promise<{ warnings: string[] }> {
    this.record('updateContainer', idOrName, update);
    throw new NotImplementedError('the engine double does not model container updates');
  }

  async statContainerPath(idOrName: string, containerPath: string): Promise<ContainerPathStat> {
    this.record('statContainerPath', idOrName, containerPath);
    throw new NotImplementedError('the engine double does not model container files');
  }

  async getContainerArchive(idOrName: string, containerPath: string): Promise<{ stat: ContainerPathStat; archive: Readable }> {
    this.record('getContainerArchive', idOrName, containerPath);
    throw new NotImplementedError('the engine double does not model container files');
  }

  async putContainerArchive(idOrName: string, containerPath: string, _archive: Readable, options: PutArchiveOptions): Promise<void> {
    this.record('putContainerArchive', idOrName, containerPath, options);
    throw new NotImplementedError('the engine double does not model container files');
  }

  // The double does not model filesystem changes, export, commit or image prune, so these throw NotImplementedError (HTTP 501).
  async containerChanges(idOrName: string): Promise<ContainerChange[]> {
    this.record('containerChanges', idOrName);
    throw new NotImplementedError('the engine double does not model container changes');
  }

  async exportContainer(idOrName: string): Promise<Readable> {
    this.record('exportContainer', idOrName);
    throw new NotImplementedError('the engine double does not model container export');
  }

  async commitContainer(idOrName: string, options: CommitOptions): Promise<string> {
    this.record('commitContainer', idOrName, options);
    throw new NotImplementedError('the engine double does not model commit');
  }

  async pruneImages(options: PruneImagesOptions): Promise<PruneImagesResult> {
    this.record('pruneImages', options);
    throw new NotImplementedError('the engine double does not model image prune');
  }

  async build(request: BuildRequest, _progress: BuildProgress): Promise<BuildResult> {
    this.record('build', { dockerfile: request.dockerfile, tags: request.tags });
    throw new NotImplementedError('the engine double does not model builds');
  }

  async pruneBuildCache(options: { all: boolean }): Promise<{ cachesDeleted: string[]; spaceReclaimed: number }> {
    this.record('pruneBuildCache', options);
    throw new NotImplementedError('the engine double does not model the build cache');
  }

  async buildCacheUsage(): Promise<BuildCacheRecord[]> {
    this.record('buildCacheUsage');
    return [];
  }
}

export function defaultSpec(): ContainerSpec {
  return { ...defaultContainerSpec('busybox'), networkMode: 'none' };
}
