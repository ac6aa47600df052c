// Builds the OCI runtime spec (bundle config.json) of a container from its
// record, following Docker's defaults: namespaces, capabilities, seccomp,
// masked paths, cgroup resources, rlimits and mounts.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { DaemonConfig } from '../../common/config';
import { InvalidArgumentError } from '../../common/errors';
import type { ContainerRecord } from '../types';
import { computeCapabilities, daemonBoundingSet } from './capabilities';
import { deviceSettings, type OciDevice } from './devices';
import { buildResources, buildRlimits, RLIM_INFINITY, type OciResources, type OciRlimit } from './limits';
import { buildMounts, INIT_DESTINATION, MASKED_PATHS, READONLY_PATHS, rootPropagation, type OciMount } from './mounts';
import { applyDockerDefaults, convertSeccompProfile, hostPlatform, loadProfileFile, type HostPlatform, type OciSeccomp } from './seccomp';
import { parseSecurityOptions } from './security-options';
import type { ResolvedUser } from './user';

export interface OciProcess {
  terminal: boolean;
  consoleSize?: { height: number; width: number };
  user: { uid: number; gid: number; additionalGids?: number[] };
  args: string[];
  env: string[];
  cwd: string;
  capabilities: { bounding: string[]; effective: string[]; permitted: string[] };
  rlimits: OciRlimit[];
  noNewPrivileges: boolean;
  oomScoreAdj?: number;
}

export interface OciSpec {
  ociVersion: string;
  process: OciProcess;
  root: { path: string; readonly: boolean };
  hostname: string;
  domainname?: string;
  mounts: OciMount[];
  linux: {
    namespaces: { type: string; path?: string }[];
    cgroupsPath: string;
    resources: OciResources;
    devices: OciDevice[];
    sysctl?: Record<string, string>;
    maskedPaths?: string[];
    readonlyPaths?: string[];
    seccomp?: OciSeccomp;
    rootfsPropagation?: string;
  };
}

export interface SpecInputs {
  record: ContainerRecord;
  config: DaemonConfig;
  rootfsDir: string;
  user: ResolvedUser;
  hostname: string;
  // A network namespace the engine prepared (bridge networking). With null the container gets a new one.
  networkNamespacePath: string | null;
  cgroupVersion: '1' | '2';
  platform?: HostPlatform;
}

// Docker's PATH for containers whose image sets none.
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// The hostname a container gets: the requested one, the host's with host
// networking, otherwise the short container ID.
export function containerHostname(record: ContainerRecord): string {
  if (record.spec.hostname) return record.spec.hostname;
  if (record.spec.networkMode === 'host') return os.hostname();
  return record.id.slice(0, 12);
}

// Docker's order: PATH, HOSTNAME and TERM first, then the container's values, which replace same-named ones.
export function containerEnvironment(base: readonly string[], overrides: readonly string[]): string[] {
  const result: string[] = [];
  const indexByName = new Map<string, number>();
  for (const entry of [...base, ...overrides]) {
    const name = entry.includes('=') ? entry.slice(0, entry.indexOf('=')) : entry;
    const existing = indexByName.get(name);
    if (existing === undefined) {
      indexByName.set(name, result.length);
      result.push(entry);
    } else {
      result[existing] = entry;
    }
  }
  return result;
}

export function cgroupsPathFor(config: DaemonConfig, containerId: string): string {
  return path.posix.join('/', config.cgroupParent, containerId);
}

function processArgs(record: ContainerRecord): string[] {
  if (!record.path) throw new InvalidArgumentError(`start container ${record.id}: no command specified`);
  const command = [record.path, ...record.args];
  return record.spec.init ? [INIT_DESTINATION, '--', ...command] : command;
}

function namespaces(inputs: SpecInputs): { type: string; path?: string }[] {
  const { spec } = inputs.record;
  const result: { type: string; path?: string }[] = [{ type: 'mount' }, { type: 'uts' }];
  if (spec.pidMode !== 'host') result.push({ type: 'pid' });
  if (spec.ipcMode !== 'host') result.push({ type: 'ipc' });
  if (spec.networkMode !== 'host') {
    result.push(inputs.networkNamespacePath ? { type: 'network', path: inputs.networkNamespacePath } : { type: 'network' });
  }
  // Docker gives containers a private cgroup namespace on cgroup v2 hosts only.
  if (inputs.cgroupVersion === '2') result.push({ type: 'cgroup' });
  return result;
}

function seccompFor(inputs: SpecInputs, capabilities: readonly string[], choice: ReturnType<typeof parseSecurityOptions>['seccomp']): OciSeccomp | undefined {
  if (inputs.record.spec.privileged || choice.mode === 'unconfined') return undefined;
  const granted = new Set(capabilities);
  const platform = inputs.platform ?? hostPlatform();
  if (choice.mode === 'custom') return convertSeccompProfile(choice.profile, granted, platform);
  const converted = convertSeccompProfile(loadProfileFile(inputs.config.seccompProfile), granted, platform);
  return applyDockerDefaults(converted, granted, platform);
}

export function buildOciSpec(inputs: SpecInputs): OciSpec {
  const { record } = inputs;
  const { spec } = record;
  const security = parseSecurityOptions(spec.securityOpt);
  const capabilities = computeCapabilities(spec, daemonBoundingSet());

  const baseEnv = [`PATH=${DEFAULT_PATH}`, `HOSTNAME=${inputs.hostname}`];
  if (spec.tty) baseEnv.push('TERM=xterm');
  const process: OciProcess = {
    terminal: spec.tty,
    user: { uid: inputs.user.uid, gid: inputs.user.gid, additionalGids: inputs.user.additionalGids },
    args: processArgs(record),
    env: containerEnvironment(baseEnv, record.effectiveEnv),
    cwd: record.effectiveWorkingDir || '/',
    capabilities: { bounding: capabilities, effective: capabilities, permitted: capabilities },
    rlimits: buildRlimits(spec.resources.ulimits),
    noNewPrivileges: security.noNewPrivileges,
    oomScoreAdj: 0,
  };
  if (spec.tty && spec.consoleSize) process.consoleSize = { height: spec.consoleSize[0], width: spec.consoleSize[1] };

  const mounts = buildMounts({ record, initPath: inputs.config.initPath });
  const devices = deviceSettings({ privileged: spec.privileged, mappings: spec.resources.devices });
  const result: OciSpec = {
    ociVersion: '1.0.2',
    process,
    root: { path: inputs.rootfsDir, readonly: spec.readOnlyRootfs },
    hostname: inputs.hostname,
    mounts,
    linux: {
      namespaces: namespaces(inputs),
      cgroupsPath: cgroupsPathFor(inputs.config, record.id),
      resources: { devices: devices.rules, ...buildResources(spec.resources) },
      devices: devices.devices,
    },
  };
  if (spec.domainname) result.domainname = spec.domainname;
  if (Object.keys(spec.sysctls).length > 0) result.linux.sysctl = { ...spec.sysctls };
  if (!spec.privileged && !security.systemPathsUnconfined) {
    result.linux.maskedPaths = [...MASKED_PATHS];
    result.linux.readonlyPaths = [...READONLY_PATHS];
  }
  const seccomp = seccompFor(inputs, capabilities, security.seccomp);
  if (seccomp) result.linux.seccomp = seccomp;
  const propagation = rootPropagation(mounts);
  if (propagation) result.linux.rootfsPropagation = propagation;
  return result;
}

const UINT64_MAX = '18446744073709551615';

// JSON for config.json: rlimit values marked RLIM_INFINITY become 2^64 - 1,
// which no JavaScript number represents exactly. A random token replaces
// them while stringifying, so no other string in the spec can be mistaken.
export function serializeSpec(value: unknown): string {
  const token = `berth-uint64-max-${randomBytes(8).toString('hex')}`;
  const json = JSON.stringify(value, (key, item: unknown) => ((key === 'hard' || key === 'soft') && item === RLIM_INFINITY ? token : item));
  return json.split(`"${token}"`).join(UINT64_MAX);
}
