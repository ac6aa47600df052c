// Process resource limits (setrlimit) and cgroup resource settings of a
// container, plus the checks Docker makes on them at create time.
import fs from 'node:fs';
import os from 'node:os';
import { InvalidArgumentError } from '../../common/errors';
import type { Resources, Ulimit } from '../types';

// Marks a 64-bit "unlimited" value (2^64 - 1), which a JavaScript number
// cannot represent exactly. serializeSpec writes it as digits.
export const RLIM_INFINITY = 'RLIM_INFINITY';
export type RlimitValue = number | typeof RLIM_INFINITY;

export interface OciRlimit {
  type: string;
  hard: RlimitValue;
  soft: RlimitValue;
}

// Row labels of /proc/self/limits and the resource each one shows.
const PROC_LIMIT_ROWS: Record<string, string> = {
  'Max cpu time': 'RLIMIT_CPU', 'Max file size': 'RLIMIT_FSIZE', 'Max data size': 'RLIMIT_DATA',
  'Max stack size': 'RLIMIT_STACK', 'Max core file size': 'RLIMIT_CORE', 'Max resident set': 'RLIMIT_RSS',
  'Max processes': 'RLIMIT_NPROC', 'Max open files': 'RLIMIT_NOFILE', 'Max locked memory': 'RLIMIT_MEMLOCK',
  'Max address space': 'RLIMIT_AS', 'Max file locks': 'RLIMIT_LOCKS', 'Max pending signals': 'RLIMIT_SIGPENDING',
  'Max msgqueue size': 'RLIMIT_MSGQUEUE', 'Max nice priority': 'RLIMIT_NICE', 'Max realtime priority': 'RLIMIT_RTPRIO',
  'Max realtime timeout': 'RLIMIT_RTTIME',
};

const ULIMIT_NAMES = new Set(Object.values(PROC_LIMIT_ROWS).map((type) => type.slice('RLIMIT_'.length).toLowerCase()));

// Docker's default open-files limit for containers.
const DEFAULT_NOFILE = 1048576;

// Hard limits by resource, with RLIM_INFINITY for no limit.
export type HostLimits = Map<string, RlimitValue>;

export function parseProcLimits(text: string): HostLimits {
  const limits: HostLimits = new Map();
  for (const line of text.split('\n')) {
    const label = Object.keys(PROC_LIMIT_ROWS).find((row) => line.startsWith(row));
    if (!label) continue;
    const columns = line.slice(label.length).trim().split(/\s+/);
    const hard = columns[1];
    if (hard === undefined) continue;
    limits.set(PROC_LIMIT_ROWS[label], hard === 'unlimited' ? RLIM_INFINITY : Number(hard));
  }
  return limits;
}

let daemonLimits: HostLimits | undefined;

// berthd's own hard limits, read once: without CAP_SYS_RESOURCE a container
// cannot get a hard limit above them.
export function daemonHardLimits(): HostLimits {
  daemonLimits ??= parseProcLimits(fs.readFileSync('/proc/self/limits', 'utf8'));
  return daemonLimits;
}

function minimum(value: RlimitValue, ceiling: RlimitValue | undefined): RlimitValue {
  if (ceiling === undefined || ceiling === RLIM_INFINITY) return value;
  if (value === RLIM_INFINITY) return ceiling;
  return Math.min(value, ceiling);
}

function toRlimitValue(value: number): RlimitValue {
  return value < 0 ? RLIM_INFINITY : value;
}

export function validateUlimits(ulimits: readonly Ulimit[]): void {
  for (const ulimit of ulimits) {
    if (!ULIMIT_NAMES.has(ulimit.name.toLowerCase())) {
      throw new InvalidArgumentError(`invalid ulimit type: ${ulimit.name}`);
    }
    if (ulimit.soft >= 0 && ulimit.hard >= 0 && ulimit.soft > ulimit.hard) {
      throw new InvalidArgumentError(`invalid ulimit ${ulimit.name}: soft limit ${ulimit.soft} is greater than hard limit ${ulimit.hard}`);
    }
  }
}

// Builds process.rlimits: Docker's open-files default plus --ulimit values,
// each clamped to berthd's hard limit and with soft <= hard.
export function buildRlimits(ulimits: readonly Ulimit[], hostLimits: HostLimits = daemonHardLimits()): OciRlimit[] {
  const byType = new Map<string, OciRlimit>();
  byType.set('RLIMIT_NOFILE', { type: 'RLIMIT_NOFILE', hard: DEFAULT_NOFILE, soft: DEFAULT_NOFILE });
  for (const ulimit of ulimits) {
    const type = `RLIMIT_${ulimit.name.toUpperCase()}`;
    byType.set(type, { type, hard: toRlimitValue(ulimit.hard), soft: toRlimitValue(ulimit.soft) });
  }
  return [...byType.values()].map((limit) => {
    const hard = minimum(limit.hard, hostLimits.get(limit.type));
    const soft = minimum(limit.soft, hard);
    return { type: limit.type, hard, soft };
  });
}

// Smallest memory limit Docker accepts (6 MiB).
const MINIMUM_MEMORY = 6 * 1024 * 1024;
const CPU_PERIOD = 100000;

export function validateResources(resources: Resources): void {
  if (resources.memory > 0 && resources.memory < MINIMUM_MEMORY) {
    throw new InvalidArgumentError('Minimum memory limit allowed is 6MB');
  }
  if (resources.memorySwap > 0 && resources.memory === 0) {
    throw new InvalidArgumentError('You should always set the Memory limit when using Memoryswap limit, see usage');
  }
  if (resources.memorySwap > 0 && resources.memorySwap < resources.memory) {
    throw new InvalidArgumentError('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (resources.nanoCpus < 0) throw new InvalidArgumentError(`invalid NanoCPUs ${resources.nanoCpus}: the value must not be negative`);
  const cpus = os.availableParallelism();
  if (resources.nanoCpus > cpus * 1e9) {
    throw new InvalidArgumentError(`Range of CPUs is from 0.01 to ${cpus}.00, as there are only ${cpus} CPUs available`);
  }
  if (resources.nanoCpus > 0 && resources.nanoCpus < 1e7) {
    throw new InvalidArgumentError('Range of CPUs is from 0.01 to the number of CPUs available');
  }
  if (resources.cpuShares < 0) throw new InvalidArgumentError(`invalid CPU shares ${resources.cpuShares}: the value must not be negative`);
  validateUlimits(resources.ulimits);
}

export interface OciDeviceRule {
  allow: boolean;
  type?: string;
  major?: number;
  minor?: number;
  access?: string;
}

export interface OciResources {
  devices: OciDeviceRule[];
  memory?: { limit?: number; swap?: number };
  cpu?: { shares?: number; quota?: number; period?: number };
  pids?: { limit: number };
}

// linux.resources without the device rules, which devices.ts computes.
export function buildResources(resources: Resources): Omit<OciResources, 'devices'> {
  const result: Omit<OciResources, 'devices'> = {};
  if (resources.memory > 0) {
    // Unset swap means twice the memory, as in Docker, and -1 means unlimited swap.
    const swap = resources.memorySwap === 0 ? resources.memory * 2 : resources.memorySwap;
    result.memory = { limit: resources.memory, swap };
  }
  if (resources.nanoCpus > 0 || resources.cpuShares > 0) {
    result.cpu = {};
    if (resources.cpuShares > 0) result.cpu.shares = resources.cpuShares;
    if (resources.nanoCpus > 0) {
      result.cpu.period = CPU_PERIOD;
      result.cpu.quota = Math.round((resources.nanoCpus * CPU_PERIOD) / 1e9);
    }
  }
  if (resources.pidsLimit !== null) {
    result.pids = { limit: resources.pidsLimit > 0 ? resources.pidsLimit : -1 };
  }
  return result;
}

// Sysctls a container may set because the kernel namespaces them (IPC and
// network namespaces), as Docker allows.
const NAMESPACED_IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

export function validateSysctls(sysctls: Record<string, string>, options: { hostNetwork: boolean; hostIpc: boolean }): void {
  for (const name of Object.keys(sysctls)) {
    const ipc = NAMESPACED_IPC_SYSCTLS.has(name) || name.startsWith('fs.mqueue.');
    const network = name.startsWith('net.');
    if (!ipc && !network) {
      throw new InvalidArgumentError(`invalid sysctl "${name}": it is not namespaced, so a container cannot set it. Only net.*, fs.mqueue.*, kernel.msg*, kernel.sem and kernel.shm* are allowed`);
    }
    if (ipc && options.hostIpc) {
      throw new InvalidArgumentError(`invalid sysctl "${name}": not allowed with --ipc=host, because it would change the host's IPC namespace`);
    }
    if (network && options.hostNetwork) {
      throw new InvalidArgumentError(`invalid sysctl "${name}": not allowed with --network=host, because it would change the host's network namespace`);
    }
  }
}
