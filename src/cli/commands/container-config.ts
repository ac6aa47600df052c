// Builds the body of POST /containers/create from run/create options, in the
// shape the docker CLI sends: Config fields, then HostConfig and
// NetworkingConfig, with the same zero values so the daemon receives the
// same request from either client.
import path from 'node:path';
import type { FlagValues } from '../flags';
import { parseRamBytes } from '../format/units';
import { healthcheckOf } from './health-flags';
import { parseMount, parseVolumeFlags } from './mount-options';
import {
  addExposedPort,
  addPublishedPort,
  expandEnvironmentVariable,
  keyValueMap,
  OptionError,
  parseDevice,
  parseLogOptions,
  parseMemorySwap,
  parseNanoCpus,
  parseRestartPolicy,
  parseSecurityOptions,
  parseSysctl,
  parseUlimit,
  readKeyValueFile,
  type PortSettings,
} from './option-parsers';
import { endpointsConfig } from './network-endpoint';

export interface CreateRequest {
  body: Record<string, unknown> & { HostConfig: Record<string, unknown> };
  name: string;
  platform: string;
  image: string;
}

const DEFAULT_ENDPOINT = {
  IPAMConfig: null,
  Links: null,
  Aliases: null,
  MacAddress: '',
  DriverOpts: null,
  GwPriority: 0,
  NetworkID: '',
  EndpointID: '',
  Gateway: '',
  IPAddress: '',
  IPPrefixLen: 0,
  IPv6Gateway: '',
  GlobalIPv6Address: '',
  GlobalIPv6PrefixLen: 0,
  DNSNames: null,
};

function listOrNull(values: string[]): string[] | null {
  return values.length > 0 ? values : null;
}

// Upper-cases capability names and adds the CAP_ prefix ("net_admin" → "CAP_NET_ADMIN"), keeping ALL, as the docker CLI sends them.
export function normalizeCapabilities(names: string[]): string[] {
  const normalized: string[] = [];
  for (const name of names) {
    let capability = name.trim().toUpperCase();
    if (capability !== 'ALL' && !capability.startsWith('CAP_')) capability = `CAP_${capability}`;
    if (!normalized.includes(capability)) normalized.push(capability);
  }
  return normalized;
}

function attachStreams(flags: FlagValues): { stdin: boolean; stdout: boolean; stderr: boolean } {
  const attach = flags.list('attach').map((stream) => stream.toLowerCase());
  const streams = { stdin: attach.includes('stdin'), stdout: attach.includes('stdout'), stderr: attach.includes('stderr') };
  if (flags.bool('interactive')) streams.stdin = true;
  // Without -a the container's stdout and stderr are attached.
  if (attach.length === 0) {
    streams.stdout = true;
    streams.stderr = true;
  }
  return streams;
}

function environmentOf(flags: FlagValues, environment: NodeJS.ProcessEnv): string[] | null {
  const fromFiles = flags.list('env-file').flatMap((file) => readKeyValueFile(file, (name) => environment[name]));
  const fromFlags = flags.list('env').map((value) => expandEnvironmentVariable(value, environment));
  return listOrNull([...fromFiles, ...fromFlags]);
}

function labelsOf(flags: FlagValues): Record<string, string> {
  const fromFiles = flags.list('label-file').flatMap((file) => readKeyValueFile(file, null));
  return keyValueMap([...fromFiles, ...flags.list('label')]);
}

function portsOf(flags: FlagValues): PortSettings {
  const settings: PortSettings = { exposed: {}, bindings: {} };
  for (const value of flags.list('publish')) addPublishedPort(settings, value);
  for (const value of flags.list('expose')) addExposedPort(settings, value);
  return settings;
}

function tmpfsOf(values: string[]): Record<string, string> | undefined {
  if (values.length === 0) return undefined;
  const tmpfs: Record<string, string> = {};
  for (const value of values) {
    const colon = value.indexOf(':');
    const target = colon === -1 ? value : value.slice(0, colon);
    if (!path.isAbsolute(target)) throw new OptionError(`invalid tmpfs mount path "${target}": the path must be absolute`);
    tmpfs[target] = colon === -1 ? '' : value.slice(colon + 1);
  }
  return tmpfs;
}

export interface CreateRequestOptions {
  environment: NodeJS.ProcessEnv;
  // [height, width] of the local terminal for -t, or null.
  consoleSize: [number, number] | null;
  // run attaches and sets StdinOnce for -i, while run -d and create attach nothing.
  mode: 'run' | 'run-detached' | 'create';
  cwd?: string;
}

// Builds the create request from the flags and the positional arguments
// (image first). Throws OptionError for an invalid option value.
export function buildCreateRequest(flags: FlagValues, args: string[], options: CreateRequestOptions): CreateRequest {
  try {
    return buildRequest(flags, args, options);
  } catch (error) {
    if (error instanceof OptionError) throw error;
    throw new OptionError((error as Error).message);
  }
}

function buildRequest(flags: FlagValues, args: string[], options: CreateRequestOptions): CreateRequest {
  const [image, ...command] = args;
  const streams = options.mode === 'run-detached' ? { stdin: false, stdout: false, stderr: false } : attachStreams(flags);
  const volumes = parseVolumeFlags(flags.list('volume'), options.cwd);
  const ports = portsOf(flags);
  const restartPolicy = parseRestartPolicy(flags.string('restart'));
  const autoRemove = flags.bool('rm');
  if (autoRemove && restartPolicy.Name !== '' && restartPolicy.Name !== 'no') throw new OptionError('conflicting options: cannot specify both --restart and --rm');

  const networkMode = flags.string('network') || flags.string('net') || 'default';
  let entrypoint: string[] | null = null;
  if (flags.isSet('entrypoint')) entrypoint = [flags.string('entrypoint')];

  const config: Record<string, unknown> = {
    Hostname: flags.string('hostname'),
    Domainname: flags.string('domainname'),
    User: flags.string('user'),
    AttachStdin: streams.stdin,
    AttachStdout: streams.stdout,
    AttachStderr: streams.stderr,
  };
  if (Object.keys(ports.exposed).length > 0) config.ExposedPorts = ports.exposed;
  Object.assign(config, {
    Tty: flags.bool('tty'),
    OpenStdin: flags.bool('interactive'),
    // With stdin attached (-i, not with run -d) the container's stdin closes when the attached stdin ends.
    StdinOnce: flags.bool('interactive') && streams.stdin,
    Env: environmentOf(flags, options.environment),
    Cmd: command.length > 0 ? command : null,
    Image: image,
    Volumes: Object.fromEntries(volumes.anonymous.map((target) => [target, {}])),
    WorkingDir: flags.string('workdir'),
    Entrypoint: entrypoint,
    OnBuild: null,
    Labels: labelsOf(flags),
  });
  if (flags.isSet('stop-signal')) config.StopSignal = flags.string('stop-signal');
  if (flags.isSet('stop-timeout')) config.StopTimeout = flags.int('stop-timeout');
  const healthcheck = healthcheckOf(flags);
  if (healthcheck) config.Healthcheck = healthcheck;

  const hostConfig: Record<string, unknown> = {
    Binds: listOrNull(volumes.binds),
    ContainerIDFile: flags.string('cidfile'),
    LogConfig: { Type: flags.string('log-driver'), Config: parseLogOptions(flags.list('log-opt')) },
    NetworkMode: networkMode,
    PortBindings: ports.bindings,
    RestartPolicy: restartPolicy,
    AutoRemove: autoRemove,
    VolumeDriver: '',
    VolumesFrom: listOrNull(flags.list('volumes-from')),
    ConsoleSize: options.consoleSize ?? [0, 0],
    CapAdd: listOrNull(normalizeCapabilities(flags.list('cap-add'))),
    CapDrop: listOrNull(normalizeCapabilities(flags.list('cap-drop'))),
    CgroupnsMode: flags.string('cgroupns'),
    Dns: flags.list('dns'),
    DnsOptions: flags.list('dns-option'),
    DnsSearch: flags.list('dns-search'),
    ExtraHosts: listOrNull(flags.list('add-host')),
    GroupAdd: listOrNull(flags.list('group-add')),
    IpcMode: flags.string('ipc'),
    Cgroup: '',
    Links: null,
    OomScoreAdj: flags.int('oom-score-adj'),
    PidMode: flags.string('pid'),
    Privileged: flags.bool('privileged'),
    PublishAllPorts: flags.bool('publish-all'),
    ReadonlyRootfs: flags.bool('read-only'),
    SecurityOpt: listOrNull(parseSecurityOptions(flags.list('security-opt'))),
    UTSMode: flags.string('uts'),
    UsernsMode: flags.string('userns'),
    ShmSize: flags.isSet('shm-size') ? parseRamBytes(flags.string('shm-size')) : 0,
    Isolation: '',
    CpuShares: flags.int('cpu-shares'),
    Memory: flags.isSet('memory') ? parseRamBytes(flags.string('memory')) : 0,
    NanoCpus: flags.isSet('cpus') ? parseNanoCpus(flags.string('cpus')) : 0,
    CgroupParent: flags.string('cgroup-parent'),
    BlkioWeight: 0,
    BlkioWeightDevice: [],
    BlkioDeviceReadBps: [],
    BlkioDeviceWriteBps: [],
    BlkioDeviceReadIOps: [],
    BlkioDeviceWriteIOps: [],
    CpuPeriod: flags.int('cpu-period'),
    CpuQuota: flags.int('cpu-quota'),
    CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0,
    CpusetCpus: flags.string('cpuset-cpus'),
    CpusetMems: flags.string('cpuset-mems'),
    Devices: flags.list('device').map(parseDevice),
    DeviceCgroupRules: null,
    DeviceRequests: null,
    MemoryReservation: flags.isSet('memory-reservation') ? parseRamBytes(flags.string('memory-reservation')) : 0,
    MemorySwap: flags.isSet('memory-swap') ? parseMemorySwap(flags.string('memory-swap')) : 0,
    MemorySwappiness: -1,
    OomKillDisable: flags.bool('oom-kill-disable'),
    PidsLimit: flags.int('pids-limit'),
    Ulimits: flags.list('ulimit').map(parseUlimit),
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    MaskedPaths: null,
    ReadonlyPaths: null,
  };
  const mounts = flags.list('mount').map((value) => parseMount(value, options.cwd));
  if (mounts.length > 0) hostConfig.Mounts = mounts;
  const tmpfs = tmpfsOf(flags.list('tmpfs'));
  if (tmpfs) hostConfig.Tmpfs = tmpfs;
  const sysctls = flags.list('sysctl').map(parseSysctl);
  if (sysctls.length > 0) hostConfig.Sysctls = Object.fromEntries(sysctls);
  if (flags.isSet('init')) hostConfig.Init = flags.bool('init');

  const endpoints = endpointsConfig(flags, networkMode, DEFAULT_ENDPOINT);
  const body = { ...config, HostConfig: hostConfig, NetworkingConfig: { EndpointsConfig: endpoints } };
  return { body, name: flags.string('name'), platform: flags.string('platform'), image };
}
