// berthd's settings. Every host object the engine creates (directories, the
// socket, the runc state root, the cgroup parent, later bridges and firewall
// chains) is named from one instance name, so two instances, or Berth and
// Docker, run side by side without touching each other's objects.
//
// Precedence, lowest first: built-in defaults, the JSON config file
// (BERTH_CONFIG, default /etc/berth/berthd.json; a missing file is fine),
// environment variables, then command-line flags given to berthd.
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from './errors';
import type { LogLevel } from './logger';

export interface RegistrySettings {
  // Mirrors tried in order for docker.io pulls, as "http://host:port" or "https://host:port".
  mirrors: string[];
  // When true, docker.io is never contacted: a pull that no mirror serves fails.
  mirrorsOnly: boolean;
  insecureRegistries: string[];
  // Directories holding per-registry CA files as <dir>/<host:port>/*.crt, searched in order.
  certsDirectories: string[];
}

export interface DaemonConfig {
  instance: string;
  // Persistent state: images, layers, containers, volumes.
  dataRoot: string;
  // Runtime state that a reboot clears: sockets, runc state, conmon sockets, mounts.
  runRoot: string;
  socketPath: string;
  // Group allowed to use the socket besides root; null keeps it root-only (mode 0600).
  socketGroup: string | null;
  runtime: string;
  runtimePath: string | null;
  conmonPath: string;
  initPath: string;
  seccompProfile: string;
  cgroupParent: string;
  logLevel: LogLevel;
  logFile: string | null;
  registry: RegistrySettings;
  // Default for `docker stop` when neither the request nor the container sets one, in seconds.
  stopTimeout: number;
  // DNS settings for containers that set none (dockerd's dns, dns-search, dns-opts). The embedded
  // resolver of user networks forwards to dns too; empty means the host's /etc/resolv.conf servers.
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  // Ranges that bridge networks without --subnet take their subnets from, each split into networks of size bits.
  defaultAddressPools: { base: string; size: number }[];
  // Default --log-opt values for containers that do not set the key (dockerd's log-opts), such as
  // { "max-size": "10m", "max-file": "3" }. The config file may spell the key "log-opts" as daemon.json does.
  logOpts: Record<string, string>;
}

export const DEFAULT_INSTANCE = 'berth';
const INSTANCE_PATTERN = /^[a-z][a-z0-9-]{0,23}$/;

export function defaultConfig(instance = DEFAULT_INSTANCE, root?: string): DaemonConfig {
  const dataRoot = root ? path.join(root, 'data') : `/var/lib/${instance}`;
  const runRoot = root ? path.join(root, 'run') : `/run/${instance}`;
  return {
    instance,
    dataRoot,
    runRoot,
    socketPath: path.join(runRoot, `${instance === DEFAULT_INSTANCE ? 'berth' : instance}.sock`),
    socketGroup: null,
    runtime: 'runc',
    runtimePath: null,
    conmonPath: '/usr/bin/conmon',
    initPath: '/usr/bin/tini-static',
    seccompProfile: '/usr/share/containers/seccomp.json',
    cgroupParent: `/${instance}`,
    logLevel: 'info',
    logFile: null,
    registry: { mirrors: [], mirrorsOnly: false, insecureRegistries: [], certsDirectories: ['/etc/berth/certs.d', '/etc/docker/certs.d'] },
    stopTimeout: 10,
    dns: [],
    dnsSearch: [],
    dnsOptions: [],
    defaultAddressPools: [{ base: '10.210.0.0/16', size: 24 }],
    logOpts: {},
  };
}

type PartialConfig = Partial<Omit<DaemonConfig, 'registry'>> & { registry?: Partial<RegistrySettings>; root?: string };

const ENVIRONMENT_KEYS: Record<string, keyof DaemonConfig> = {
  BERTH_DATA_ROOT: 'dataRoot',
  BERTH_RUN_ROOT: 'runRoot',
  BERTH_SOCKET: 'socketPath',
  BERTH_RUNTIME: 'runtime',
  BERTH_LOG_LEVEL: 'logLevel',
  BERTH_LOG_FILE: 'logFile',
  BERTH_CGROUP_PARENT: 'cgroupParent',
};

// Reads settings from the config file and the environment, then applies overrides (from flags).
export function loadConfig(environment: NodeJS.ProcessEnv = process.env, overrides: PartialConfig = {}): DaemonConfig {
  const configFile = environment.BERTH_CONFIG ?? '/etc/berth/berthd.json';
  const fromFile = readConfigFile(configFile);

  const instance = overrides.instance ?? environment.BERTH_INSTANCE ?? fromFile.instance ?? DEFAULT_INSTANCE;
  if (!INSTANCE_PATTERN.test(instance)) {
    throw new InvalidArgumentError(`invalid instance name "${instance}": use 1 to 24 lowercase letters, digits or dashes, starting with a letter`);
  }
  const root = overrides.root ?? environment.BERTH_ROOT ?? fromFile.root;
  const config = defaultConfig(instance, root);

  applyPartial(config, fromFile);
  for (const [variable, key] of Object.entries(ENVIRONMENT_KEYS)) {
    const value = environment[variable];
    if (value !== undefined && value !== '') (config as unknown as Record<string, unknown>)[key] = value;
  }
  if (environment.BERTH_REGISTRY_MIRRORS) {
    config.registry.mirrors = environment.BERTH_REGISTRY_MIRRORS.split(',').map((mirror) => mirror.trim()).filter(Boolean);
  }
  if (environment.BERTH_REGISTRY_MIRRORS_ONLY) {
    config.registry.mirrorsOnly = environment.BERTH_REGISTRY_MIRRORS_ONLY === '1' || environment.BERTH_REGISTRY_MIRRORS_ONLY === 'true';
  }
  for (const [variable, key] of [['BERTH_DNS', 'dns'], ['BERTH_DNS_SEARCH', 'dnsSearch'], ['BERTH_DNS_OPTIONS', 'dnsOptions']] as const) {
    const value = environment[variable];
    if (value) config[key] = value.split(',').map((item) => item.trim()).filter(Boolean);
  }
  if (environment.BERTH_DEFAULT_ADDRESS_POOLS) {
    config.defaultAddressPools = parseAddressPools(environment.BERTH_DEFAULT_ADDRESS_POOLS);
  }
  if (environment.BERTH_LOG_OPTS) config.logOpts = parseKeyValueList(environment.BERTH_LOG_OPTS, 'BERTH_LOG_OPTS');
  if (environment.BERTH_REGISTRY_CERTS_DIRECTORIES) {
    config.registry.certsDirectories = environment.BERTH_REGISTRY_CERTS_DIRECTORIES.split(':').filter(Boolean);
  }
  if (environment.BERTH_INSECURE_REGISTRIES) {
    config.registry.insecureRegistries = environment.BERTH_INSECURE_REGISTRIES.split(',').map((registry) => registry.trim()).filter(Boolean);
  }
  applyPartial(config, overrides);
  validate(config);
  return config;
}

function readConfigFile(file: string): PartialConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new InvalidArgumentError(`read config file ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('expected a JSON object');
    const { 'log-opts': logOpts, ...rest } = parsed as PartialConfig & { 'log-opts'?: Record<string, string> };
    return logOpts === undefined ? rest : { ...rest, logOpts };
  } catch (error) {
    throw new InvalidArgumentError(`parse config file ${file}: ${(error as Error).message}`, { cause: error });
  }
}

function applyPartial(config: DaemonConfig, partial: PartialConfig): void {
  const { registry, root: _root, instance: _instance, ...rest } = partial;
  for (const [key, value] of Object.entries(rest)) {
    if (value !== undefined && key in config) (config as unknown as Record<string, unknown>)[key] = value;
  }
  if (registry) config.registry = { ...config.registry, ...registry };
}

// Parses "max-size=10m,max-file=3" into an object.
function parseKeyValueList(text: string, source: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const item of text.split(',').map((entry) => entry.trim()).filter(Boolean)) {
    const equals = item.indexOf('=');
    if (equals <= 0) throw new InvalidArgumentError(`invalid ${source} entry "${item}": use KEY=VALUE`);
    result[item.slice(0, equals)] = item.slice(equals + 1);
  }
  return result;
}

// Parses "10.210.0.0/16:24,10.211.0.0/16:26": base ranges and the prefix length of the networks cut from them.
function parseAddressPools(text: string): { base: string; size: number }[] {
  return text.split(',').filter(Boolean).map((entry) => {
    const match = /^(\d+\.\d+\.\d+\.\d+\/\d+):(\d+)$/.exec(entry.trim());
    if (!match) throw new InvalidArgumentError(`invalid address pool "${entry}": use BASE/PREFIX:SIZE, such as 10.210.0.0/16:24`);
    return { base: match[1], size: Number(match[2]) };
  });
}

const LOG_LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

function validate(config: DaemonConfig): void {
  if (!LOG_LEVELS.has(config.logLevel)) {
    throw new InvalidArgumentError(`invalid log level "${config.logLevel}": use one of ${[...LOG_LEVELS].join(', ')}`);
  }
  if (!['runc', 'crun'].includes(config.runtime)) {
    throw new InvalidArgumentError(`invalid runtime "${config.runtime}": use runc or crun`);
  }
  const logOpts: unknown = config.logOpts;
  if (typeof logOpts !== 'object' || logOpts === null || Array.isArray(logOpts) || Object.values(logOpts).some((value) => typeof value !== 'string')) {
    throw new InvalidArgumentError('invalid log-opts: use an object of string values, such as {"max-size": "10m", "max-file": "3"}');
  }
  for (const key of ['dataRoot', 'runRoot', 'socketPath'] as const) {
    if (!path.isAbsolute(config[key])) throw new InvalidArgumentError(`invalid ${key} "${config[key]}": the path must be absolute`);
  }
  // A unix socket path must fit in sockaddr_un (108 bytes with the terminating NUL).
  if (Buffer.byteLength(config.socketPath) > 107) {
    throw new InvalidArgumentError(`invalid socket path "${config.socketPath}": longer than 107 bytes`);
  }
}

// Directory layout under dataRoot and runRoot, in one place so every module names the same paths.
export function storePaths(config: DaemonConfig) {
  return {
    images: path.join(config.dataRoot, 'image'),
    containers: path.join(config.dataRoot, 'containers'),
    volumes: path.join(config.dataRoot, 'volumes'),
    runtimeRoot: path.join(config.runRoot, config.runtime),
    conmonSockets: path.join(config.runRoot, 'sockets'),
    exits: path.join(config.runRoot, 'exits'),
    containerRuns: path.join(config.runRoot, 'containers'),
    pidFile: path.join(config.runRoot, 'berthd.pid'),
  };
}
