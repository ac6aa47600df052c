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
import type { ImageRecord } from '../image/types';
import { VolumeStore, directorySize } from '../volume/store';
import type { VolumeRecord } from '../volume/types';
import { ContainerService } from './container-service';
import { ContainerStreams } from './container-streams';
import { ContainerFilesystem } from './container-filesystem';
import type {
  AttachOptions,
  CommitOptions,
  ContainerChange,
  PruneImagesOptions,
  PruneImagesResult,
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
} from './engine';
import { ExecService } from './exec-service';
import { recoverContainers } from './recovery';
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
  private engineId = '';
  private containerFilesystem: ContainerFilesystem | null = null;

  constructor(
    private readonly config: DaemonConfig,
    private readonly logger: Logger,
  ) {
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
    this.containers = new ContainerService({
      config,
      logger: containerLogger,
      store: this.store,
      images: this.images,
      volumes: this.volumes,
      runtime: this.runtime,
      networking: this.networking,
    });
    this.streams = new ContainerStreams(this.store, this.runtime, containerLogger);
    this.containers.attachStreams(this.streams);
    this.execs = new ExecService(this.store, this.runtime, logger.child({ subsystem: 'exec' }));
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
  }

  async removeImage(reference: string, options: { force: boolean; noPrune: boolean }): Promise<RemoveImageResult> {
    return this.images.remove(reference, options, (imageId) => this.containers.containerUsingImage(imageId));
  }

  async loadImages(archive: Readable, onLoaded: (message: string) => void): Promise<void> {
    await this.images.load(archive, onLoaded);
  }

  async importImage(archive: Readable, options: { reference: string | null; changes: string[]; message: string }): Promise<string> {
    return this.images.importRootfs(archive, options);
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
  }

  async pushImage(name: string, options: { tag: string | null; registryAuth: string | null }, onProgress: (message: object) => void): Promise<void> {
    const pushOptions = { credentials: parseRegistryAuth(options.registryAuth), registry: this.config.registry, certsDirectories: this.config.registry.certsDirectories };
    await this.images.push(name, options.tag, pushOptions, onProgress);
  }

  saveImages(names: string[]): Promise<Readable> {
    return this.images.save(names);
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
    if (items.length > 0) {
      items[0].id = image.id;
      items[0].tags = image.repoTags;
    }
    return items;
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
  }

  async pruneNetworks(options: { labels: string[] }): Promise<string[]> {
    const removed: string[] = [];
    for (const network of this.networks.list()) {
      if (network.builtIn || !matchesLabels(network.labels, options.labels)) continue;
      if (Object.keys(network.endpoints).length > 0) continue;
      if (this.containers.list().some((record) => record.networks?.[network.id])) continue;
      await this.networks.remove(network.id);
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
  }

  async disconnectNetwork(network: string, container: string, force: boolean): Promise<void> {
    const record = this.containers.find(container);
    await this.containers.locks.run(record.id, async () => {
      const running = record.state.status === 'running' || record.state.status === 'paused';
      await this.networking.disconnect(record, network, running, force);
      await this.store.save(record);
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

  attachContainer(idOrName: string, options: AttachOptions): Promise<StdioSession> {
    return this.streams.attach(idOrName, options);
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

  createVolume(options: { name: string; driver: string; labels: Record<string, string>; driverOptions: Record<string, string> }): Promise<VolumeRecord> {
    return this.volumes.create(options);
  }

  async listVolumes(): Promise<VolumeRecord[]> {
    return this.volumes.list();
  }

  async getVolume(name: string): Promise<VolumeRecord> {
    return this.volumes.get(name);
  }

  async removeVolume(name: string, options: { force: boolean }): Promise<void> {
    const users = this.containers.containersUsingVolume(name);
    await this.volumes.remove(name, users.map(shortId), options.force);
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
