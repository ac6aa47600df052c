// The engine's own description of a container: what was requested at create
// time (ContainerSpec) and what the engine records about it (ContainerRecord).
// These are internal types; the API layer maps Docker's Config and HostConfig
// to a ContainerSpec and a ContainerRecord back to Docker's ContainerJSON.

export type RestartPolicyName = 'no' | 'always' | 'on-failure' | 'unless-stopped';

export interface RestartPolicy {
  name: RestartPolicyName;
  // Only for on-failure: the number of restarts after which the engine gives up; 0 means no limit.
  maximumRetryCount: number;
}

export interface Ulimit {
  name: string;
  soft: number;
  hard: number;
}

export interface DeviceMapping {
  pathOnHost: string;
  pathInContainer: string;
  // Any of "r", "w" and "m", as in Docker's --device host:container:rwm.
  cgroupPermissions: string;
}

export interface Resources {
  // Bytes; 0 means no limit.
  memory: number;
  // Bytes of memory plus swap; 0 means unset (twice memory, as Docker does), -1 unlimited swap.
  memorySwap: number;
  // CPU quota in units of 1e-9 CPUs (--cpus 1.5 is 1500000000); 0 means no limit.
  nanoCpus: number;
  // Relative weight (cgroup v1 cpu.shares); 0 means the default.
  cpuShares: number;
  // Maximum number of processes; 0 or -1 means no limit, null means unset.
  pidsLimit: number | null;
  ulimits: Ulimit[];
  devices: DeviceMapping[];
}

export type MountType = 'bind' | 'volume' | 'tmpfs';

export interface MountSpec {
  type: MountType;
  // Host path for bind mounts, volume name for volumes (empty for an anonymous volume), empty for tmpfs.
  source: string;
  target: string;
  readOnly: boolean;
  // Bind mounts: rprivate (default), private, rshared, shared, rslave, slave.
  bindPropagation?: string;
  // Bind mounts given with --mount: fail when the source is missing instead of creating it (-v creates it).
  createSourceIfMissing?: boolean;
  // Volumes: do not copy the image's content at the target into a new volume.
  volumeNoCopy?: boolean;
  volumeDriver?: string;
  volumeLabels?: Record<string, string>;
  // tmpfs: size in bytes (0 for the kernel default) and mode.
  tmpfsSize?: number;
  tmpfsMode?: number;
  // tmpfs given with --tmpfs: raw mount options such as "rw,noexec,size=64m".
  tmpfsOptions?: string;
}

// "none", "host", "bridge" (the default network) or the name or ID of a user-defined network.
export type NetworkMode = 'none' | 'host' | 'bridge' | string;

// Settings of one network endpoint requested at create time or by network connect.
export interface NetworkAttachment {
  aliases: string[];
  // Requested IPv4 address (--ip); empty for one chosen by IPAM.
  ipv4Address: string;
}

// A -p request: host address and port range to container port range. hostPort 0 requests a free port.
export interface PortPublishSpec {
  hostIp: string;
  hostPort: number;
  // Last host port of a range; equal to hostPort for a single port.
  hostPortEnd: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
}

export interface LogConfig {
  type: string;
  config: Record<string, string>;
}

export interface ContainerSpec {
  name?: string;
  // The image reference exactly as the client gave it.
  image: string;
  // null means "use the image's value"; an empty array clears it.
  cmd: string[] | null;
  entrypoint: string[] | null;
  env: string[];
  workingDir: string;
  user: string;
  groupAdd: string[];
  hostname: string;
  domainname: string;
  labels: Record<string, string>;
  tty: boolean;
  openStdin: boolean;
  stdinOnce: boolean;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  stopSignal: string | null;
  // Seconds; null means the daemon default.
  stopTimeout: number | null;
  init: boolean;
  readOnlyRootfs: boolean;
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  // Raw --security-opt values, for example "no-new-privileges" or "seccomp=unconfined".
  securityOpt: string[];
  // Content of a seccomp profile given with seccomp=FILE (the CLI sends the file's content).
  resources: Resources;
  // Bytes; 0 means the default of 64 MiB.
  shmSize: number;
  sysctls: Record<string, string>;
  pidMode: '' | 'host';
  ipcMode: '' | 'host' | 'private' | 'shareable';
  restartPolicy: RestartPolicy;
  autoRemove: boolean;
  mounts: MountSpec[];
  networkMode: NetworkMode;
  // Endpoint settings for the network named by networkMode (aliases, --ip); absent means none given.
  networkAttachment?: NetworkAttachment;
  portBindings?: PortPublishSpec[];
  // -P: publish every exposed port (image EXPOSE and --expose) on a free host port.
  publishAllPorts?: boolean;
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  // --add-host values, "name:address". "host-gateway" means the default bridge's gateway.
  extraHosts?: string[];
  // [height, width] of the terminal when tty is true.
  consoleSize: [number, number] | null;
  exposedPorts: string[];
  logConfig: LogConfig;
  // The request's health check; absent when the request has none, so the image's HEALTHCHECK applies.
  healthcheck?: HealthcheckSpec;
  // Docker API fields the engine stores and reports but does not act on yet.
  extra: Record<string, unknown>;
}

// Docker's HealthConfig. Durations are nanoseconds; 0 inherits the image's value, then dockerd's default.
export interface HealthcheckSpec {
  // ["NONE"] disables the check, ["CMD", arg...] or ["CMD-SHELL", line] sets it, [] inherits the image's test.
  test: string[];
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  // Consecutive failures that make the container unhealthy; 0 inherits, then dockerd's default of 3.
  retries: number;
}

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerState {
  status: ContainerStatus;
  pid: number;
  exitCode: number;
  error: string;
  oomKilled: boolean;
  // ISO 8601 timestamps; "0001-01-01T00:00:00Z" when never set, as Docker reports.
  startedAt: string;
  finishedAt: string;
  // Present only for containers with a health check; the engine's health monitor updates it.
  health?: HealthState;
}

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

// One health check probe; times are RFC 3339 with nanoseconds.
export interface HealthProbeResult {
  start: string;
  end: string;
  // -1 when the probe could not run or timed out.
  exitCode: number;
  output: string;
}

export interface HealthState {
  status: HealthStatus;
  failingStreak: number;
  // The last probes, oldest first (at most 5, as dockerd keeps).
  log: HealthProbeResult[];
}

export interface ResolvedMount {
  type: MountType;
  name: string;
  source: string;
  destination: string;
  driver: string;
  mode: string;
  rw: boolean;
  propagation: string;
}

export interface ContainerRecord {
  id: string;
  name: string;
  created: string;
  // The image ID (sha256:...) resolved at create time.
  imageId: string;
  spec: ContainerSpec;
  // Command line after merging the image's Entrypoint/Cmd with the spec: path and arguments.
  path: string;
  args: string[];
  // Image config values merged in at create time, so inspect shows what will run.
  effectiveEnv: string[];
  effectiveWorkingDir: string;
  effectiveUser: string;
  effectiveStopSignal: string;
  state: ContainerState;
  restartCount: number;
  // True once a user stopped the container; unless-stopped and a daemon restart look at it.
  manuallyStopped: boolean;
  hasBeenStarted: boolean;
  mounts: ResolvedMount[];
  // Paths the engine manages for this container.
  logPath: string;
  hostnamePath: string;
  hostsPath: string;
  resolvConfPath: string;
  // The log driver really in use, reported by inspect.
  logDriver: string;
  runtime: string;
  driver: string;
  // Networks the container joins when it starts, by network ID, with their endpoint settings.
  // Absent in records written before bridge networking existed; those use spec.networkMode.
  networks?: Record<string, NetworkAttachment & { name: string }>;
}
