// The engine's public interface: everything the API layer may call. It speaks
// in the engine's own types (ContainerSpec, ContainerRecord, ImageRecord);
// the API layer translates Docker's JSON shapes to and from them.
import type { Readable } from 'node:stream';
import type { ContainerRecord, ContainerSpec, NetworkAttachment, RestartPolicy } from '../container/types';
import type { ImageRecord, ImageRuntimeConfig } from '../image/types';
import type { VolumeRecord } from '../volume/types';
import type { EndpointRecord, NetworkRecord, PortBinding } from '../network/types';
import type { EngineEvent } from './events';

export type { EngineEvent, EventType } from './events';
import type { CgroupSample } from '../container/runtime/stats';
import type { BuildProgress, BuildRequest, BuildResult } from '../builder/types';
import type { BuildCacheRecord } from '../builder/executor/cache-usage';
export type { BuildCacheRecord } from '../builder/executor/cache-usage';

export type OutputStreamName = 'stdout' | 'stderr';

export interface OutputChunk {
  stream: OutputStreamName;
  data: Buffer;
}

// A live connection to a process's standard streams (attach or exec).
export interface StdioSession {
  // Object-mode stream of OutputChunk; with a TTY every chunk is 'stdout'. Ends when the process's output ends.
  readonly output: Readable;
  // False when the session has no stdin (the container or exec was created without it).
  readonly hasStdin: boolean;
  writeStdin(data: Buffer): void;
  // Closes the process's stdin (end of file), as docker attach does when its input ends with --stdin-once.
  closeStdin(): void;
  // Detaches from the process without affecting it.
  close(): void;
}

export interface AttachOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  // Replay the container's log before live output.
  logs: boolean;
  // Deliver live output; without it only the replayed logs are sent.
  stream: boolean;
}

export interface LogEntry {
  stream: OutputStreamName;
  // RFC 3339 with nanoseconds, in UTC.
  time: string;
  // Bytes of one line including its trailing newline, or a partial line without one.
  data: Buffer;
}

export interface LogOptions {
  follow: boolean;
  stdout: boolean;
  stderr: boolean;
  // Unix seconds (fractions allowed); 0 means no bound.
  since: number;
  until: number;
  // Number of lines from the end; null for all.
  tail: number | null;
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export interface WaitResult {
  statusCode: number;
  error: string | null;
}

export interface ExecSpec {
  cmd: string[];
  env: string[];
  workingDir: string;
  user: string;
  privileged: boolean;
  tty: boolean;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  detachKeys: string | null;
  consoleSize: [number, number] | null;
}

export interface ExecRecord {
  id: string;
  containerId: string;
  spec: ExecSpec;
  running: boolean;
  exitCode: number | null;
  pid: number;
}

export interface ListContainersOptions {
  all: boolean;
}

export interface RemoveImageResult {
  untagged: string[];
  deleted: string[];
}

export interface ProcessTable {
  titles: string[];
  processes: string[][];
}

// Facts about a container that its record does not hold, for inspect and ps -s.
export interface ContainerDetails {
  execIds: string[];
  // The overlay directories, for GraphDriver.Data.
  lowerDirs: string[];
  upperDir: string;
  workDir: string;
  mergedDir: string;
}

export interface ContainerSize {
  // Bytes written to the container's writable layer.
  sizeRw: number;
  // sizeRw plus the image's size.
  sizeRootFs: number;
}

// A network as the API reports it, with the endpoints of the containers attached to it.
export interface NetworkInfo {
  record: NetworkRecord;
  // Endpoints by container ID, with the container's name.
  endpoints: { containerId: string; containerName: string; endpoint: EndpointRecord }[];
}

export interface NetworkCreateRequest {
  name: string;
  driver: string;
  subnet: string | null;
  gateway: string | null;
  ipRange: string | null;
  internal: boolean;
  attachable: boolean;
  labels: Record<string, string>;
  options: Record<string, string>;
  // Docker's CheckDuplicate is always on since API 1.44: a duplicate name is a conflict.
}

// A container's network state for inspect and ps: one entry per joined network, and published ports.
export interface ContainerNetworkState {
  networks: {
    networkId: string;
    networkName: string;
    aliases: string[];
    requestedIpv4Address: string;
    // Null while the container is not running (no endpoint exists then).
    endpoint: EndpointRecord | null;
  }[];
  ports: PortBinding[];
  // Exposed ports ("80/tcp") from the image and the request, for NetworkSettings.Ports entries mapped to null.
  exposedPorts: string[];
}

export interface EngineInfo {
  id: string;
  name: string;
  containers: number;
  running: number;
  paused: number;
  stopped: number;
  images: number;
  dataRoot: string;
  runtime: string;
  cgroupVersion: '1' | '2';
  cgroupDriver: string;
  kernelVersion: string;
  operatingSystem: string;
  architecture: string;
  cpus: number;
  memoryBytes: number;
  defaultNetwork: string;
  securityOptions: string[];
  version: string;
  initPath: string;
}

// One entry of an image's history. id is the image ID on the newest entry and "<missing>" below it.
export interface ImageHistoryItem {
  id: string;
  // Unix time in seconds; 0 when the entry has no valid timestamp.
  created: number;
  createdBy: string;
  // Normalized references of the image, on the newest entry only.
  tags: string[];
  // Bytes of the layer the entry created; 0 for entries without a layer.
  size: number;
  comment: string;
}

// One entry of `docker diff`: kind 0 is modified, 1 added, 2 deleted.
export interface ContainerChange {
  path: string;
  kind: 0 | 1 | 2;
}

export interface CommitOptions {
  // Repository with optional tag for the new image, or null for none.
  reference: string | null;
  comment: string;
  author: string;
  // Pause a running container while its writable layer is read.
  pause: boolean;
  // Dockerfile instructions applied to the config (`docker commit --change`).
  changes: string[];
  // Config fields from the request body; they replace the container's values.
  config: ImageRuntimeConfig | null;
}

export type { PruneContainersOptions, PruneContainersResult } from './container-prune';
export type { DiskUsage, ImageUsage, ContainerUsage, VolumeUsage } from './disk-usage';
import type { PruneContainersOptions, PruneContainersResult } from './container-prune';
import type { DiskUsage } from './disk-usage';

export interface PruneImagesOptions {
  // False removes every image no container uses, not only untagged ones.
  danglingOnly: boolean;
  // Unix seconds; only images created before it are removed. null for no bound.
  until: number | null;
  // "key" or "key=value" conditions that must all hold (Docker's "label" filter).
  labels: string[];
  // "key" or "key=value" conditions of which none may hold (Docker's "label!" filter).
  excludedLabels: string[];
}

export interface PruneImagesResult {
  // Normalized references that were removed.
  untagged: string[];
  // Image IDs and layer chain IDs that were deleted.
  deleted: string[];
  spaceReclaimed: number;
}

// One stats sample in Docker's JSON field names, without precpu_stats and preread, which the API layer adds.
export type ContainerStats = CgroupSample & {
  // RFC 3339 time of the sample; Docker's zero time when the container is not running.
  read: string;
  // The container's name with its leading "/".
  name: string;
  id: string;
  running: boolean;
};

// Fields of POST /containers/{id}/update; null leaves a value unchanged.
export interface ContainerUpdate {
  memory: number | null;
  memorySwap: number | null;
  nanoCpus: number | null;
  cpuShares: number | null;
  cpuQuota: number | null;
  cpuPeriod: number | null;
  pidsLimit: number | null;
  restartPolicy: RestartPolicy | null;
}

// What `docker cp` learns about a path (X-Docker-Container-Path-Stat).
export interface ContainerPathStat {
  name: string;
  size: number;
  // Go's os.FileMode bits: permissions plus type bits such as 1<<31 for a directory.
  mode: number;
  // RFC 3339.
  mtime: string;
  // The target a symlink resolves to inside the container, or "".
  linkTarget: string;
}

export interface PutArchiveOptions {
  // Reject replacing a directory with a non-directory and the reverse.
  noOverwriteDirNonDir: boolean;
  // Keep the tar's owners; without it files belong to the container's user (root here).
  copyUIDGID: boolean;
}

export interface Engine {
  info(): Promise<EngineInfo>;

  listImages(): Promise<ImageRecord[]>;
  getImage(reference: string): Promise<ImageRecord>;
  tagImage(source: string, target: string): Promise<void>;
  removeImage(reference: string, options: { force: boolean; noPrune: boolean }): Promise<RemoveImageResult>;
  // Loads a docker-archive or OCI layout tar; reports each loaded reference or ID through onLoaded.
  loadImages(archive: Readable, onLoaded: (message: string) => void): Promise<void>;
  // Turns a root filesystem tar into a one-layer image; returns its ID.
  importImage(archive: Readable, options: { reference: string | null; changes: string[]; message: string }): Promise<string>;
  // Pulls an image from a registry. registryAuth is the X-Registry-Auth header as sent; platform is
  // "os/arch[/variant]" or null for the host's. onProgress receives Docker's JSON progress messages.
  pullImage(reference: string, options: { registryAuth: string | null; platform: string | null }, onProgress: (message: object) => void): Promise<void>;
  // Pushes a repository's tag, or all its tags when tag is null, with Docker's JSON progress messages.
  pushImage(name: string, options: { tag: string | null; registryAuth: string | null }, onProgress: (message: object) => void): Promise<void>;
  // Returns a docker-archive tar of the images (`docker save`).
  saveImages(names: string[]): Promise<Readable>;
  // Returns the image's history, newest first, as `docker history` lists it.
  imageHistory(reference: string): Promise<ImageHistoryItem[]>;
  // Checks credentials against a registry (POST /auth); throws an unauthorized error when it rejects them.
  checkRegistryLogin(login: { username: string; password: string; serverAddress: string; identityToken: string }): Promise<void>;

  createContainer(spec: ContainerSpec): Promise<{ id: string; warnings: string[] }>;
  listContainers(options: ListContainersOptions): Promise<ContainerRecord[]>;
  // Finds a container by full ID, unique ID prefix or name (with or without a leading "/").
  getContainer(idOrName: string): Promise<ContainerRecord>;
  startContainer(idOrName: string): Promise<void>;
  stopContainer(idOrName: string, options: { signal: string | null; timeout: number | null }): Promise<void>;
  restartContainer(idOrName: string, options: { signal: string | null; timeout: number | null }): Promise<void>;
  killContainer(idOrName: string, signal: string): Promise<void>;
  pauseContainer(idOrName: string): Promise<void>;
  unpauseContainer(idOrName: string): Promise<void>;
  removeContainer(idOrName: string, options: { force: boolean; volumes: boolean }): Promise<void>;
  renameContainer(idOrName: string, newName: string): Promise<void>;
  waitContainer(idOrName: string, condition: WaitCondition, signal?: AbortSignal): Promise<WaitResult>;
  containerLogs(idOrName: string, options: LogOptions, signal?: AbortSignal): Promise<Readable>;
  attachContainer(idOrName: string, options: AttachOptions): Promise<StdioSession>;
  resizeContainer(idOrName: string, height: number, width: number): Promise<void>;
  topContainer(idOrName: string, psArgs: string): Promise<ProcessTable>;
  containerDetails(idOrName: string): Promise<ContainerDetails>;
  containerNetworks(idOrName: string): Promise<ContainerNetworkState>;

  listNetworks(): Promise<NetworkInfo[]>;
  // Finds a network by full ID, name or unique ID prefix.
  getNetwork(idOrName: string): Promise<NetworkInfo>;
  createNetwork(request: NetworkCreateRequest): Promise<NetworkRecord>;
  // Built-in networks and networks with endpoints cannot be removed (Docker's 403 and 409).
  removeNetwork(idOrName: string): Promise<void>;
  // Removes user-defined networks without endpoints; returns their names. until is in Unix
  // seconds: only networks created before it are removed.
  pruneNetworks(options: { labels: string[]; until?: number | null }): Promise<string[]>;
  connectNetwork(network: string, container: string, attachment: NetworkAttachment): Promise<void>;
  disconnectNetwork(network: string, container: string, force: boolean): Promise<void>;
  containerSize(idOrName: string): Promise<ContainerSize>;

  createExec(idOrName: string, spec: ExecSpec): Promise<string>;
  // Starts an exec session; returns null when detached.
  startExec(execId: string, options: { detach: boolean; consoleSize: [number, number] | null }): Promise<StdioSession | null>;
  resizeExec(execId: string, height: number, width: number): Promise<void>;
  inspectExec(execId: string): Promise<ExecRecord>;

  createVolume(options: { name: string; driver: string; labels: Record<string, string>; driverOptions: Record<string, string> }): Promise<VolumeRecord>;
  listVolumes(): Promise<VolumeRecord[]>;
  getVolume(name: string): Promise<VolumeRecord>;
  removeVolume(name: string, options: { force: boolean }): Promise<void>;
  pruneVolumes(options: { all: boolean; labels: string[] }): Promise<{ deleted: string[]; spaceReclaimed: number }>;

  // Lists what the container changed in its filesystem, as `docker diff` does.
  containerChanges(idOrName: string): Promise<ContainerChange[]>;
  // Returns a tar of the container's whole filesystem (`docker export`).
  exportContainer(idOrName: string): Promise<Readable>;
  // Creates an image from the container's changes (`docker commit`); returns its ID.
  commitContainer(idOrName: string, options: CommitOptions): Promise<string>;
  // Returns one resource-usage sample; a container that is not running gives zeros.
  containerStats(idOrName: string): Promise<ContainerStats>;
  // Changes resource limits (through the runtime when running) and the restart policy; returns warnings.
  updateContainer(idOrName: string, update: ContainerUpdate): Promise<{ warnings: string[] }>;
  // Describes a path inside the container, following symlinks only in its parent directories.
  statContainerPath(idOrName: string, containerPath: string): Promise<ContainerPathStat>;
  // Returns a tar of the path, as `docker cp` from a container reads it.
  getContainerArchive(idOrName: string, containerPath: string): Promise<{ stat: ContainerPathStat; archive: Readable }>;
  // Extracts a tar into the directory at containerPath.
  putContainerArchive(idOrName: string, containerPath: string, archive: Readable, options: PutArchiveOptions): Promise<void>;
  // Removes images no container uses: untagged ones, or all with danglingOnly false.
  pruneImages(options: PruneImagesOptions): Promise<PruneImagesResult>;
  // Removes stopped containers that match the filters (`docker container prune`).
  pruneContainers(options: PruneContainersOptions): Promise<PruneContainersResult>;
  // Measures images, containers and volumes for `docker system df`.
  diskUsage(): Promise<DiskUsage>;

  // Builds an image from a Dockerfile and context (POST /build); progress receives Docker's JSON
  // messages. A failed build throws the builder's BuildError, whose code is the failing RUN's exit code or 1.
  build(request: BuildRequest, progress: BuildProgress): Promise<BuildResult>;
  // Removes the build cache (POST /build/prune): entries of removed images, or all of them with all set.
  pruneBuildCache(options: { all: boolean }): Promise<{ cachesDeleted: string[]; spaceReclaimed: number }>;
  // Lists the build cache objects that pruneBuildCache with all set removes (GET /system/df BuildCache).
  buildCacheUsage(): Promise<BuildCacheRecord[]>;

  // Returns the stored event history and subscribes to later events in one step, so that no event is
  // missed or delivered twice between the two. The caller must call unsubscribe when done.
  subscribeEvents(listener: (event: EngineEvent) => void): { history: EngineEvent[]; unsubscribe: () => void };
}
