// BerthEngine implements the Engine interface by composing the stores and
// services: images, volumes, container records, the runtime, and the
// container, stream and exec services built on them.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { storePaths, type DaemonConfig } from '../common/config';
import { ConflictError, ForbiddenError, NotFoundError } from '../common/errors';
import { shortId } from '../common/ids';
import type { Logger } from '../common/logger';
import { ContainerRuntime } from '../container/runtime';
import { isActive } from '../container/state-machine';
import { ContainerStore } from '../container/store';
import type { ContainerRecord, ContainerSpec, NetworkAttachment } from '../container/types';
import { NetworkService } from '../network/service';
import type { NetworkRecord } from '../network/types';
import { ContainerNetworking } from './container-networking';
import { ImageService } from '../image/service';
import { parseRegistryAuth } from '../image/distribution/auth';
import { checkLogin } from '../image/distribution/login';
import type { ImageRecord, ImageRuntimeConfig } from '../image/types';
import { VolumeStore, directorySize } from '../volume/store';
import type { VolumeRecord } from '../volume/types';
import { ContainerService } from './container-service';
import { ContainerStreams } from './container-streams';
import { ContainerFilesystem } from './container-filesystem';
import { ContainerArchive } from './container-archive';
import { sampleContainerStats } from './container-stats';
import { updateContainer } from './container-update';
import type {
  AttachOptions,
  CommitOptions,
  ContainerChange,
  ContainerPathStat,
  ContainerStats,
  ContainerUpdate,
  PutArchiveOptions,
  PruneImagesOptions,
  PruneImagesResult,
  PruneContainersOptions,
  PruneContainersResult,
  BuildCacheRecord,
  DiskUsage,
  ContainerDetails,
  ContainerNetworkState,
  NetworkCreateRequest,
  NetworkInfo,
  ContainerSize,
  Engine,
  EngineInfo,
  ExecRecord,
  ExecSpec,
  ImageHistoryItem,
  ListContainersOptions,
  LogOptions,
  ProcessTable,
  RemoveImageResult,
  StdioSession,
  WaitCondition,
  WaitResult,
  EngineEvent,
} from './engine';
import { ExecService } from './exec-service';
import { EventLog, type EventListener } from './events';
import { HealthMonitor } from './health';
import { familiarReference, imageEventIdentity } from './image-events';
import { recoverContainers } from './recovery';
import { pruneContainers } from './container-prune';
import { measureDiskUsage } from './disk-usage';
import { parseLogLimits } from '../container/runtime/log-limits';
import { EngineBuildHost } from './build-host';
import { recoverBuilds } from './build-recovery';
import type { BuildProgress, BuildRequest, BuildResult } from '../builder/types';
import { readEngineId, readOperatingSystem } from './host-info';

export const BERTH_VERSION = '0.1.0';

export class BerthEngine implements Engine {
  readonly images: ImageService;
  readonly volumes: VolumeStore;
  readonly runtime: ContainerRuntime;
  readonly containers: ContainerService;
  readonly networks: NetworkService;
  private readonly networking: ContainerNetworking;
  private readonly store: ContainerStore;
  private readonly streams: ContainerStreams;
  private readonly execs: ExecService;
  readonly eventLog: EventLog;
  private readonly health: HealthMonitor;
  private engineId = '';
  private containerFilesystem: ContainerFilesystem | null = null;
  private containerArchive: ContainerArchive | null = null;
  readonly buildHost: EngineBuildHost;

  constructor(
    private readonly config: DaemonConfig,
    private readonly logger: Logger,
  ) {
    // Invalid default log options stop berthd at start, as they stop dockerd.
    parseLogLimits(config.logOpts);
    const paths = storePaths(config);
    this.images = new ImageService(paths.images, logger.child({ subsystem: 'image' }));
    this.volumes = new VolumeStore(paths.volumes, logger.child({ subsystem: 'volume' }));
    this.runtime = new ContainerRuntime(config, logger.child({ subsystem: 'runtime' }));
    this.networks = new NetworkService({
      instance: config.instance,
      stateRoot: path.join(config.dataRoot, 'network'),
      runRoot: path.join(config.runRoot, 'network'),
      dnsUpstreams: config.dns,
      addressPools: config.defaultAddressPools,
    });
    this.networking = new ContainerNetworking(this.networks, config, logger.child({ subsystem: 'network' }));
    this.store = new ContainerStore(paths.containers, logger.child({ subsystem: 'container' }));
    const containerLogger = logger.child({ subsystem: 'container' });
    this.eventLog = new EventLog(logger.child({ subsystem: 'events' }));
    this.containers = new ContainerService({
      config,
      logger: containerLogger,
      store: this.store,
      images: this.images,
      volumes: this.volumes,
      runtime: this.runtime,
      networking: this.networking,
      eventLog: this.eventLog,
    });
    this.streams = new ContainerStreams(this.store, this.runtime, containerLogger);
    this.containers.attachStreams(this.streams);
    this.execs = new ExecService(this.store, this.runtime, logger.child({ subsystem: 'exec' }), this.eventLog);
    this.health = new HealthMonitor({
      execs: this.execs,
      imageConfig: (imageId) => this.imageRuntimeConfig(imageId),
      save: (record) => this.containers.locks.run(record.id, () => this.store.save(record)),
      eventLog: this.eventLog,
      logger: logger.child({ subsystem: 'health' }),
    });
    this.containers.health = this.health;
    this.buildHost = new EngineBuildHost({
      config,
      images: this.images,
      containers: this.containers,
      runtime: this.runtime,
      attach: (containerId, options) => this.attachContainer(containerId, options),
      pull: (reference, options, onProgress) => this.pullImage(reference, options, onProgress),
      tag: (imageId, reference) => this.tagImage(imageId, reference),
      logger: logger.child({ subsystem: 'build' }),
    });
  }

  async init(): Promise<void> {
    await fs.mkdir(this.config.dataRoot, { recursive: true, mode: 0o711 });
    await fs.mkdir(this.config.runRoot, { recursive: true, mode: 0o711 });
    this.engineId = await readEngineId(this.config.dataRoot);
    await this.images.init();
    await this.volumes.load();
    await this.store.load();
    await this.runtime.init();
    await this.networks.init();
    this.runtime.watchExits((id) => {
      this.containers.handleExit(id).catch((error: unknown) => this.logger.error({ container: id, err: error }, 'handling container exit failed'));
    });
    await recoverContainers(this.containers, this.store, this.runtime, this.logger.child({ subsystem: 'recovery' }));
    await this.buildHost.init();
    await recoverBuilds(this.containers, this.buildHost.temporaryDirectory, this.logger.child({ subsystem: 'recovery' }));
    // Health checks resume for containers that kept running while berthd was down.
    for (const record of this.store.all()) {
      if (record.state.status === 'running' || record.state.status === 'paused') this.health.startMonitor(record);
    }
  }

  subscribeEvents(listener: EventListener): { history: EngineEvent[]; unsubscribe: () => void } {
    return { history: this.eventLog.snapshot(), unsubscribe: this.eventLog.subscribe(listener) };
  }

  private imageRuntimeConfig(imageId: string): ImageRuntimeConfig | null {
    try {
      return this.images.resolve(imageId).config.config ?? null;
    } catch {
      // Image removed with force: only the request's health check applies.
      return null;
    }
  }

  private emitImageEvent(action: string, reference: string): void {
    const { actorId, attributes } = imageEventIdentity(action, reference, (value) => this.images.resolve(value));
    this.eventLog.emit('image', action, actorId, attributes);
  }

  shutdown(): void {
    this.containers.shutdown();
    this.runtime.close();
  }

  async info(): Promise<EngineInfo> {
    const records = this.store.all();
    return {
      id: this.engineId,
      name: os.hostname(),
      containers: records.length,
      running: records.filter((record) => record.state.status === 'running' || record.state.status === 'restarting').length,
      paused: records.filter((record) => record.state.status === 'paused').length,
      stopped: records.filter((record) => !isActive(record.state.status)).length,
      images: this.images.list().length,
      dataRoot: this.config.dataRoot,
      runtime: this.config.runtime,
      cgroupVersion: this.runtime.cgroupVersion(),
      cgroupDriver: 'cgroupfs',
      kernelVersion: os.release(),
      operatingSystem: await readOperatingSystem(),
      architecture: os.machine(),
      cpus: os.availableParallelism(),
      memoryBytes: os.totalmem(),
      defaultNetwork: 'bridge',
      securityOptions: ['name=seccomp,profile=builtin'],
      version: BERTH_VERSION,
      initPath: this.config.initPath,
    };
  }

  async listImages(): Promise<ImageRecord[]> {
    return this.images.list();
  }

  async getImage(reference: string): Promise<ImageRecord> {
    return this.images.resolve(reference);
  }

  async tagImage(source: string, target: string): Promise<void> {
    await this.images.tag(source, target);
    const image = this.images.resolve(target);
    this.eventLog.emit('image', 'tag', image.id, { ...(image.config.config?.Labels ?? {}), name: familiarReference(target) });
  }

  async removeImage(reference: string, options: { force: boolean; noPrune: boolean }): Promise<RemoveImageResult> {
    const image = this.images.resolve(reference);
    const result = await this.images.remove(reference, options, (imageId) => this.containers.containerUsingImage(imageId));
    const labels = image.config.config?.Labels ?? {};
    for (const untagged of result.untagged) this.eventLog.emit('image', 'untag', image.id, { ...labels, name: familiarReference(untagged) });
    for (const deleted of result.deletedImages) {
      const deletedLabels = deleted === image.id ? labels : {};
      this.eventLog.emit('image', 'delete', deleted, { ...deletedLabels, name: deleted });
    }
    return { untagged: result.untagged, deleted: result.deleted };
  }

  async loadImages(archive: Readable, onLoaded: (message: string) => void): Promise<void> {
    await this.images.load(archive, (message) => {
      onLoaded(message);
      const loaded = /^Loaded image(?: ID)?: (.+)$/.exec(message.trim());
      if (loaded) this.emitImageEvent('load', loaded[1]);
    });
  }

  async importImage(archive: Readable, options: { reference: string | null; changes: string[]; message: string }): Promise<string> {
    const imageId = await this.images.importRootfs(archive, options);
    this.eventLog.emit('image', 'import', imageId, { name: options.reference ?? imageId });
    return imageId;
  }

  async pullImage(reference: string, options: { registryAuth: string | null; platform: string | null }, onProgress: (message: object) => void): Promise<void> {
    await this.images.pull(
      reference,
      {
        credentials: parseRegistryAuth(options.registryAuth),
        platform: options.platform,
        registry: this.config.registry,
        certsDirectories: this.config.registry.certsDirectories,
      },
      onProgress,
    );
    this.emitImageEvent('pull', reference);
  }

  async pushImage(name: string, options: { tag: string | null; registryAuth: string | null }, onProgress: (message: object) => void): Promise<void> {
    const pushOptions = { credentials: parseRegistryAuth(options.registryAuth), registry: this.config.registry, certsDirectories: this.config.registry.certsDirectories };
    await this.images.push(name, options.tag, pushOptions, onProgress);
    this.emitImageEvent('push', options.tag ? `${name}:${options.tag}` : name);
  }

  async saveImages(names: string[]): Promise<Readable> {
    const archive = await this.images.save(names);
    for (const name of names) this.emitImageEvent('save', name);
    return archive;
  }

  // Follows dockerd: entries pair with layers in order, skipping empty_layer ones, and only the newest entry names the image.
  async imageHistory(reference: string): Promise<ImageHistoryItem[]> {
    const image = this.images.resolve(reference);
    const layers = this.images.imageLayers(image.id);
    const history = image.config.history ?? [];
    const items: ImageHistoryItem[] = [];
    let layerIndex = 0;
    for (const entry of history) {
      let size = 0;
      if (!entry.empty_layer) {
        const layer = layers[layerIndex];
        if (!layer) throw new ConflictError(`history of image ${image.id}: too many non-empty layers in the History section`);
        size = layer.size;
        layerIndex++;
      }
      const created = Date.parse(entry.created ?? '');
      items.unshift({ id: '<missing>', created: Number.isNaN(created) ? 0 : Math.floor(created / 1000), createdBy: entry.created_by ?? '', tags: [], size, comment: entry.comment ?? '' });
    }
    this.nameHistoryRows(items, image);
    return items;
  }

  // Walks the Parent chain as dockerd does: the newest history row of each local image in the chain gets
  // that image's ID and tags, and rows no local image owns stay "<missing>". items is newest first.
  private nameHistoryRows(items: ImageHistoryItem[], image: ImageRecord): void {
    const visited = new Set<string>();
    let current: ImageRecord | null = image;
    while (current && !visited.has(current.id)) {
      visited.add(current.id);
      const row = items[items.length - (current.config.history ?? []).length];
      // A parent with as many rows as its child (a step that added no history) leaves the child's ID in place.
      if (row && row.id === '<missing>') {
        row.id = current.id;
        row.tags = current.repoTags;
      }

      const parentId: string | undefined = current.parent;
      current = parentId ? this.localImage(parentId) : null;
    }
  }

  private localImage(imageId: string): ImageRecord | null {
    try {
      return this.images.resolve(imageId);
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
  }

  async checkRegistryLogin(login: { username: string; password: string; serverAddress: string; identityToken: string }): Promise<void> {
    const credentials = login.identityToken
      ? { kind: 'identity-token' as const, identityToken: login.identityToken }
      : { kind: 'basic' as const, username: login.username, password: login.password };
    const options = { registry: this.config.registry, certsDirectories: this.config.registry.certsDirectories };
    await checkLogin(login.serverAddress, credentials, options, this.logger.child({ subsystem: 'distribution' }));
  }

  createContainer(spec: ContainerSpec): Promise<{ id: string; warnings: string[] }> {
    return this.containers.create(spec);
  }

  async listContainers(options: ListContainersOptions): Promise<ContainerRecord[]> {
    const records = this.containers.list();
    return options.all ? records : records.filter((record) => isActive(record.state.status));
  }

  async getContainer(idOrName: string): Promise<ContainerRecord> {
    return this.containers.find(idOrName);
  }

  async containerDetails(idOrName: string): Promise<ContainerDetails> {
    const record = this.containers.find(idOrName);
    const paths = this.runtime.pathsFor(record.id);
    let lowerDirs: string[] = [];
    try {
      lowerDirs = this.images.lowerLayers(record.imageId).absoluteLowerDirs;
    } catch {
      // The image was removed with force; the container keeps its mounted layers until it stops.
    }
    return { execIds: this.execs.idsFor(record.id), lowerDirs, upperDir: paths.upperDir, workDir: paths.workDir, mergedDir: paths.rootfsDir };
  }

  async containerNetworks(idOrName: string): Promise<ContainerNetworkState> {
    const record = this.containers.find(idOrName);
    let image: ImageRecord | null = null;
    try {
      image = this.images.resolve(record.imageId);
    } catch {
      // Image removed with force: only the request's exposed ports are known.
    }
    return this.networking.state(record, image);
  }

  async listNetworks(): Promise<NetworkInfo[]> {
    return this.networks.list().map((record) => this.networkInfo(record));
  }

  async getNetwork(idOrName: string): Promise<NetworkInfo> {
    return this.networkInfo(this.findNetwork(idOrName));
  }

  async createNetwork(request: NetworkCreateRequest): Promise<NetworkRecord> {
    if (this.networks.list().some((network) => network.name === request.name)) {
      throw new ConflictError(`network with name ${request.name} already exists`);
    }
    const record = await this.networks.create({
      name: request.name,
      driver: request.driver || 'bridge',
      subnet: request.subnet ?? undefined,
      gateway: request.gateway ?? undefined,
      ipRange: request.ipRange ?? undefined,
      internal: request.internal,
      attachable: request.attachable,
      labels: request.labels,
      options: request.options,
    });
    this.logger.info({ network: record.id, name: record.name }, 'network created');
    this.eventLog.emit('network', 'create', record.id, { name: record.name, type: record.driver });
    return record;
  }

  async removeNetwork(idOrName: string): Promise<void> {
    const network = this.findNetwork(idOrName);
    if (network.builtIn) throw new ForbiddenError(`${network.name} is a pre-defined network and cannot be removed`);
    const users = this.containers.list().filter((record) => record.networks?.[network.id]);
    if (users.length > 0 || Object.keys(network.endpoints).length > 0) {
      throw new ConflictError(`error while removing network: network ${network.name} id ${network.id} has active endpoints`);
    }
    await this.networks.remove(network.id);
    this.logger.info({ network: network.id, name: network.name }, 'network removed');
    this.eventLog.emit('network', 'destroy', network.id, { name: network.name, type: network.driver });
  }

  async pruneNetworks(options: { labels: string[]; until?: number | null }): Promise<string[]> {
    const removed: string[] = [];
    const until = options.until ?? null;
    for (const network of this.networks.list()) {
      if (network.builtIn || !matchesLabels(network.labels, options.labels)) continue;
      if (until !== null && Date.parse(network.created) / 1000 >= until) continue;
      if (Object.keys(network.endpoints).length > 0) continue;
      if (this.containers.list().some((record) => record.networks?.[network.id])) continue;
      await this.networks.remove(network.id);
      this.eventLog.emit('network', 'destroy', network.id, { name: network.name, type: network.driver });
      removed.push(network.name);
    }
    return removed;
  }

  async connectNetwork(network: string, container: string, attachment: NetworkAttachment): Promise<void> {
    const record = this.containers.find(container);
    await this.containers.locks.run(record.id, async () => {
      const running = record.state.status === 'running' || record.state.status === 'paused';
      await this.networking.connect(record, network, attachment, running);
      await this.store.save(record);
    });
    const joined = this.findNetwork(network);
    this.eventLog.emit('network', 'connect', joined.id, { container: record.id, name: joined.name, type: joined.driver });
  }

  async disconnectNetwork(network: string, container: string, force: boolean): Promise<void> {
    const record = this.containers.find(container);
    await this.containers.locks.run(record.id, async () => {
      const running = record.state.status === 'running' || record.state.status === 'paused';
      const left = this.findNetwork(network);
      await this.networking.disconnect(record, network, running, force);
      await this.store.save(record);
      this.eventLog.emit('network', 'disconnect', left.id, { container: record.id, name: left.name, type: left.driver });
    });
  }

  private findNetwork(idOrName: string): NetworkRecord {
    try {
      return this.networks.get(idOrName);
    } catch (error) {
      throw new NotFoundError(`network ${idOrName} not found`, { cause: error });
    }
  }

  private networkInfo(record: NetworkRecord): NetworkInfo {
    const endpoints = Object.values(record.endpoints).map((endpoint) => {
      let containerName = endpoint.name;
      try {
        containerName = this.containers.find(endpoint.containerId).name;
      } catch {
        // An endpoint left by a container that is gone keeps the name it was created with.
      }
      return { containerId: endpoint.containerId, containerName, endpoint };
    });
    return { record, endpoints };
  }

  async containerSize(idOrName: string): Promise<ContainerSize> {
    const record = this.containers.find(idOrName);
    const sizeRw = await directorySize(this.runtime.pathsFor(record.id).upperDir);
    let imageSize = 0;
    try {
      imageSize = this.images.resolve(record.imageId).size;
    } catch {
      // Image removed with force: only the writable layer counts.
    }
    return { sizeRw, sizeRootFs: sizeRw + imageSize };
  }

  startContainer(idOrName: string): Promise<void> {
    return this.containers.start(idOrName);
  }

  stopContainer(idOrName: string, options: { signal: string | null; timeout: number | null }): Promise<void> {
    return this.containers.stop(idOrName, options);
  }

  restartContainer(idOrName: string, options: { signal: string | null; timeout: number | null }): Promise<void> {
    return this.containers.restart(idOrName, options);
  }

  killContainer(idOrName: string, signal: string): Promise<void> {
    return this.containers.kill(idOrName, signal);
  }

  pauseContainer(idOrName: string): Promise<void> {
    return this.containers.pause(idOrName);
  }

  unpauseContainer(idOrName: string): Promise<void> {
    return this.containers.unpause(idOrName);
  }

  async removeContainer(idOrName: string, options: { force: boolean; volumes: boolean }): Promise<void> {
    const record = this.containers.find(idOrName);
    await this.containers.remove(record.id, options);
    this.execs.forget(record.id);
  }

  renameContainer(idOrName: string, newName: string): Promise<void> {
    return this.containers.rename(idOrName, newName);
  }

  waitContainer(idOrName: string, condition: WaitCondition, signal?: AbortSignal): Promise<WaitResult> {
    return this.containers.wait(idOrName, condition, signal);
  }

  containerLogs(idOrName: string, options: LogOptions, signal?: AbortSignal): Promise<Readable> {
    return this.streams.logs(idOrName, options, signal);
  }

  async attachContainer(idOrName: string, options: AttachOptions): Promise<StdioSession> {
    const session = await this.streams.attach(idOrName, options);
    this.eventLog.container(this.containers.find(idOrName), 'attach');
    return session;
  }

  resizeContainer(idOrName: string, height: number, width: number): Promise<void> {
    return this.streams.resize(idOrName, height, width);
  }

  topContainer(idOrName: string, psArgs: string): Promise<ProcessTable> {
    return this.streams.top(idOrName, psArgs);
  }

  async createExec(idOrName: string, spec: ExecSpec): Promise<string> {
    return this.execs.create(idOrName, spec);
  }

  startExec(execId: string, options: { detach: boolean; consoleSize: [number, number] | null }): Promise<StdioSession | null> {
    return this.execs.start(execId, options);
  }

  resizeExec(execId: string, height: number, width: number): Promise<void> {
    return this.execs.resize(execId, height, width);
  }

  async inspectExec(execId: string): Promise<ExecRecord> {
    return this.execs.inspect(execId);
  }

  async createVolume(options: { name: string; driver: string; labels: Record<string, string>; driverOptions: Record<string, string> }): Promise<VolumeRecord> {
    const volume = await this.volumes.create(options);
    this.eventLog.emit('volume', 'create', volume.name, { driver: volume.driver });
    return volume;
  }

  async listVolumes(): Promise<VolumeRecord[]> {
    return this.volumes.list();
  }

  async getVolume(name: string): Promise<VolumeRecord> {
    return this.volumes.get(name);
  }

  async removeVolume(name: string, options: { force: boolean }): Promise<void> {
    const users = this.containers.containersUsingVolume(name);
    const driver = this.volumes.find(name)?.driver ?? 'local';
    await this.volumes.remove(name, users.map(shortId), options.force);
    this.eventLog.emit('volume', 'destroy', name, { driver });
  }

  // Removes unused volumes: anonymous ones only, unless all is set (Docker's behaviour since API 1.42).
  async pruneVolumes(options: { all: boolean; labels: string[] }): Promise<{ deleted: string[]; spaceReclaimed: number }> {
    const deleted: string[] = [];
    let spaceReclaimed = 0;
    for (const volume of this.volumes.list()) {
      if (!options.all && !volume.anonymous) continue;
      if (!matchesLabels(volume.labels, options.labels)) continue;
      if (this.containers.containersUsingVolume(volume.name).length > 0) continue;
      try {
        const size = await this.volumes.size(volume.name);
        await this.volumes.remove(volume.name, [], false);
        this.eventLog.emit('volume', 'destroy', volume.name, { driver: volume.driver });
        deleted.push(volume.name);
        spaceReclaimed += size;
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
      }
    }
    return { deleted, spaceReclaimed };
  }

  containerChanges(idOrName: string): Promise<ContainerChange[]> {
    return this.filesystem().changes(idOrName);
  }

  exportContainer(idOrName: string): Promise<Readable> {
    return this.filesystem().export(idOrName);
  }

  commitContainer(idOrName: string, options: CommitOptions): Promise<string> {
    return this.filesystem().commit(idOrName, options);
  }

  pruneImages(options: PruneImagesOptions): Promise<PruneImagesResult> {
    return this.images.prune(options, (imageId) => this.containers.containerUsingImage(imageId));
  }

  pruneContainers(options: PruneContainersOptions): Promise<PruneContainersResult> {
    return pruneContainers(this.containers, this.eventLog, this.logger, (id) => this.runtime.pathsFor(id).upperDir, options);
  }

  diskUsage(): Promise<DiskUsage> {
    return measureDiskUsage({ images: this.images, volumes: this.volumes, containers: this.containers.list(), upperDir: (id) => this.runtime.pathsFor(id).upperDir });
  }

  // The builder is loaded on the first build, so that a daemon that never builds does not load it.
  async build(request: BuildRequest, progress: BuildProgress): Promise<BuildResult> {
    const { runBuild } = await import('../builder/index');
    return runBuild(this.buildHost, request, progress, this.logger.child({ subsystem: 'build' }));
  }

  async pruneBuildCache(options: { all: boolean }): Promise<{ cachesDeleted: string[]; spaceReclaimed: number }> {
    const { pruneBuildCache } = await import('../builder/index');
    return pruneBuildCache(this.buildHost, options);
  }

  async buildCacheUsage(): Promise<BuildCacheRecord[]> {
    const { buildCacheUsage } = await import('../builder/index');
    return buildCacheUsage(this.buildHost);
  }

  containerStats(idOrName: string): Promise<ContainerStats> {
    return sampleContainerStats(this.containers, this.runtime, idOrName);
  }

  updateContainer(idOrName: string, update: ContainerUpdate): Promise<{ warnings: string[] }> {
    return updateContainer({ containers: this.containers, runtime: this.runtime, save: (record) => this.store.save(record) }, idOrName, update);
  }

  statContainerPath(idOrName: string, containerPath: string): Promise<ContainerPathStat> {
    return this.archive().stat(idOrName, containerPath);
  }

  getContainerArchive(idOrName: string, containerPath: string): Promise<{ stat: ContainerPathStat; archive: Readable }> {
    return this.archive().get(idOrName, containerPath);
  }

  putContainerArchive(idOrName: string, containerPath: string, archive: Readable, options: PutArchiveOptions): Promise<void> {
    return this.archive().put(idOrName, containerPath, archive, options);
  }

  private archive(): ContainerArchive {
    this.containerArchive ??= new ContainerArchive(this.containers, this.filesystem(), this.logger.child({ subsystem: 'archive' }));
    return this.containerArchive;
  }

  // Created on first use, so the constructor stays as the other services need it.
  private filesystem(): ContainerFilesystem {
    this.containerFilesystem ??= new ContainerFilesystem(this.config, this.images, this.runtime, this.containers, this.logger.child({ subsystem: 'filesystem' }));
    return this.containerFilesystem;
  }
}

// Label filters as Docker writes them: "key", "key=value", "!key", "key!=value".
function matchesLabels(labels: Record<string, string>, filters: string[]): boolean {
  return filters.every((filter) => {
    const negated = filter.startsWith('!') || filter.includes('!=');
    const [key, value] = filter.replace(/^!/, '').split(/!?=/, 2);
    const present = key in labels && (value === undefined || labels[key] === value);
    return negated ? !present : present;
  });
}
