// Reads a container's resource usage from its cgroup files, the host's
// /proc/stat and the network devices of the container's network namespace,
// in the shape of Docker's stats JSON (GET /containers/{id}/stats).
// v1 and hybrid hosts read the v1 controllers, v2 hosts the unified tree.
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { hasErrorCode } from '../../common/errors';
import { cgroupDirectory, parseKeyedCounter, type CgroupLayout } from './cgroups';

// The kernel reports /proc/stat and cpuacct.stat in USER_HZ ticks, 100 per second on every Linux architecture Berth runs on.
const NANOSECONDS_PER_TICK = 1e9 / 100;

// v1 reports "no limit" as a page-aligned number near 2^63.
const V1_UNLIMITED_THRESHOLD = 2 ** 62;

export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

export interface CpuStats {
  cpu_usage: {
    total_usage: number;
    // Only cgroup v1 reports usage per CPU; Docker omits the field on v2.
    percpu_usage?: number[];
    usage_in_kernelmode: number;
    usage_in_usermode: number;
  };
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}

export interface NetworkStats {
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  rx_dropped: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
  tx_dropped: number;
}

// One sample without the fields the engine adds (read, preread, precpu_stats, name, id).
export interface CgroupSample {
  pids_stats: { current?: number; limit?: number };
  blkio_stats: {
    io_service_bytes_recursive: BlkioEntry[] | null;
    io_serviced_recursive: BlkioEntry[] | null;
    io_queue_recursive: null;
    io_service_time_recursive: null;
    io_wait_time_recursive: null;
    io_merged_recursive: null;
    io_time_recursive: null;
    sectors_recursive: null;
  };
  num_procs: number;
  storage_stats: Record<string, never>;
  cpu_stats: CpuStats;
  memory_stats: { usage?: number; max_usage?: number; failcnt?: number; stats?: Record<string, number>; limit?: number };
  networks?: Record<string, NetworkStats>;
}

export interface SampleSources {
  layout: CgroupLayout;
  // Absolute cgroup path such as /berth/<id>.
  cgroupPath: string;
  // The container's init process, for its network namespace; 0 when there is none.
  pid: number;
  // Defaults to /proc; tests point it at a fixture tree.
  procRoot?: string;
}

export async function readCgroupSample(sources: SampleSources): Promise<CgroupSample> {
  const procRoot = sources.procRoot ?? '/proc';
  const cgroup = sources.layout.mode === 'v2' ? await readV2(sources) : await readV1(sources);
  const systemUsage = await readSystemCpuUsage(procRoot);
  if (systemUsage !== null) cgroup.cpu_stats.system_cpu_usage = systemUsage;
  cgroup.cpu_stats.online_cpus = os.availableParallelism();
  if (sources.pid > 0) {
    const networks = await readNetworkDevices(path.join(procRoot, String(sources.pid), 'net', 'dev'));
    if (networks !== null) cgroup.networks = networks;
  }
  return cgroup;
}

async function readV1(sources: SampleSources): Promise<CgroupSample> {
  const directory = (controller: string) => cgroupDirectory(sources.layout, sources.cgroupPath, controller);
  const read = (controller: string, file: string) => readIfExists(path.join(directory(controller), file));

  const [usage, percpu, cpuacctStat, cpuStat, memoryUsage, memoryMax, memoryFailcnt, memoryLimit, memoryStat, pidsCurrent, pidsMax, ioBytes, ioServiced] = await Promise.all([
    read('cpuacct', 'cpuacct.usage'),
    read('cpuacct', 'cpuacct.usage_percpu'),
    read('cpuacct', 'cpuacct.stat'),
    read('cpu', 'cpu.stat'),
    read('memory', 'memory.usage_in_bytes'),
    read('memory', 'memory.max_usage_in_bytes'),
    read('memory', 'memory.failcnt'),
    read('memory', 'memory.limit_in_bytes'),
    read('memory', 'memory.stat'),
    read('pids', 'pids.current'),
    read('pids', 'pids.max'),
    read('blkio', 'blkio.throttle.io_service_bytes_recursive'),
    read('blkio', 'blkio.throttle.io_serviced_recursive'),
  ]);

  const sample = emptySample();
  const keyed = (text: string | null, key: string) => (text === null ? null : parseKeyedCounter(text, key));
  sample.cpu_stats.cpu_usage.total_usage = parseNumber(usage) ?? 0;
  if (percpu !== null) sample.cpu_stats.cpu_usage.percpu_usage = percpu.trim().split(/\s+/).filter(Boolean).map(Number);
  sample.cpu_stats.cpu_usage.usage_in_usermode = (keyed(cpuacctStat, 'user') ?? 0) * NANOSECONDS_PER_TICK;
  sample.cpu_stats.cpu_usage.usage_in_kernelmode = (keyed(cpuacctStat, 'system') ?? 0) * NANOSECONDS_PER_TICK;
  sample.cpu_stats.throttling_data = {
    periods: keyed(cpuStat, 'nr_periods') ?? 0,
    throttled_periods: keyed(cpuStat, 'nr_throttled') ?? 0,
    throttled_time: keyed(cpuStat, 'throttled_time') ?? 0,
  };

  if (memoryUsage !== null) {
    sample.memory_stats = {
      usage: parseNumber(memoryUsage) ?? 0,
      max_usage: parseNumber(memoryMax) ?? 0,
      failcnt: parseNumber(memoryFailcnt) ?? 0,
      stats: parseFlatKeyed(memoryStat ?? ''),
      limit: limitOrHostMemory(parseNumber(memoryLimit)),
    };
  }

  setPids(sample, pidsCurrent, pidsMax);
  if (ioBytes !== null) sample.blkio_stats.io_service_bytes_recursive = parseV1Blkio(ioBytes);
  if (ioServiced !== null) sample.blkio_stats.io_serviced_recursive = parseV1Blkio(ioServiced);
  return sample;
}

async function readV2(sources: SampleSources): Promise<CgroupSample> {
  const directory = cgroupDirectory(sources.layout, sources.cgroupPath, '');
  const read = (file: string) => readIfExists(path.join(directory, file));
  const [cpuStat, memoryCurrent, memoryMax, memoryStat, memoryEvents, pidsCurrent, pidsMax, ioStat] = await Promise.all([
    read('cpu.stat'),
    read('memory.current'),
    read('memory.max'),
    read('memory.stat'),
    read('memory.events'),
    read('pids.current'),
    read('pids.max'),
    read('io.stat'),
  ]);

  const sample = emptySample();
  const keyed = (text: string | null, key: string) => (text === null ? null : parseKeyedCounter(text, key));
  // cpu.stat counts microseconds; Docker reports nanoseconds.
  sample.cpu_stats.cpu_usage.total_usage = (keyed(cpuStat, 'usage_usec') ?? 0) * 1000;
  sample.cpu_stats.cpu_usage.usage_in_usermode = (keyed(cpuStat, 'user_usec') ?? 0) * 1000;
  sample.cpu_stats.cpu_usage.usage_in_kernelmode = (keyed(cpuStat, 'system_usec') ?? 0) * 1000;
  sample.cpu_stats.throttling_data = {
    periods: keyed(cpuStat, 'nr_periods') ?? 0,
    throttled_periods: keyed(cpuStat, 'nr_throttled') ?? 0,
    throttled_time: (keyed(cpuStat, 'throttled_usec') ?? 0) * 1000,
  };

  if (memoryCurrent !== null) {
    sample.memory_stats = {
      usage: parseNumber(memoryCurrent) ?? 0,
      stats: parseFlatKeyed(memoryStat ?? ''),
      limit: limitOrHostMemory(parseNumber(memoryMax)),
    };
    // v2 has no failure counter; Docker leaves failcnt out there. The oom count is the nearest figure and is kept in stats.
    const oom = keyed(memoryEvents, 'oom');
    if (oom !== null) sample.memory_stats.stats!.oom_events = oom;
  }

  setPids(sample, pidsCurrent, pidsMax);
  if (ioStat !== null) {
    const parsed = parseV2IoStat(ioStat);
    sample.blkio_stats.io_service_bytes_recursive = parsed.bytes;
    sample.blkio_stats.io_serviced_recursive = parsed.operations;
  }
  return sample;
}

function emptySample(): CgroupSample {
  return {
    pids_stats: {},
    blkio_stats: {
      io_service_bytes_recursive: null,
      io_serviced_recursive: null,
      io_queue_recursive: null,
      io_service_time_recursive: null,
      io_wait_time_recursive: null,
      io_merged_recursive: null,
      io_time_recursive: null,
      sectors_recursive: null,
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } },
    memory_stats: {},
  };
}

// Returns a zeroed sample, which Docker sends for a container that is not running.
export function emptyCgroupSample(): CgroupSample {
  return emptySample();
}

function setPids(sample: CgroupSample, current: string | null, max: string | null): void {
  const count = parseNumber(current);
  if (count !== null) sample.pids_stats.current = count;
  const limit = parseNumber(max);
  // "max" means no limit, which Docker reports by leaving the field out.
  if (limit !== null) sample.pids_stats.limit = limit;
}

// Docker caps an unlimited (or larger than the host) memory limit at the host's memory.
function limitOrHostMemory(limit: number | null): number {
  const hostMemory = os.totalmem();
  if (limit === null || limit >= V1_UNLIMITED_THRESHOLD || limit > hostMemory) return hostMemory;
  return limit;
}

function parseNumber(text: string | null): number | null {
  if (text === null) return null;
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'max') return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : null;
}

// Parses "key value" lines (memory.stat, cpu.stat).
export function parseFlatKeyed(text: string): Record<string, number> {
  const result: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (!key || value === undefined) continue;
    const number = Number(value);
    if (Number.isFinite(number)) result[key] = number;
  }
  return result;
}

// Parses v1 blkio lines "8:0 Read 4096"; the per-cgroup "Total" line has no device and is skipped.
export function parseV1Blkio(text: string): BlkioEntry[] {
  const entries: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length !== 3) continue;
    const [major, minor] = fields[0].split(':').map(Number);
    if (!Number.isFinite(major) || !Number.isFinite(minor)) continue;
    entries.push({ major, minor, op: fields[1].toLowerCase(), value: Number(fields[2]) });
  }
  return entries;
}

// Parses v2 io.stat lines "8:0 rbytes=4096 wbytes=0 rios=1 wios=0 ..." into Docker's read and write entries.
export function parseV2IoStat(text: string): { bytes: BlkioEntry[]; operations: BlkioEntry[] } {
  const bytes: BlkioEntry[] = [];
  const operations: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const [device, ...pairs] = line.trim().split(/\s+/);
    if (!device || !device.includes(':')) continue;
    const [major, minor] = device.split(':').map(Number);
    const values = new Map(pairs.map((pair) => pair.split('=') as [string, string]));
    const value = (key: string) => Number(values.get(key) ?? 0);
    bytes.push({ major, minor, op: 'read', value: value('rbytes') }, { major, minor, op: 'write', value: value('wbytes') });
    operations.push({ major, minor, op: 'read', value: value('rios') }, { major, minor, op: 'write', value: value('wios') });
  }
  return { bytes, operations };
}

// Returns the host's total CPU time in nanoseconds from the first line of /proc/stat, as Docker computes system_cpu_usage.
export async function readSystemCpuUsage(procRoot = '/proc'): Promise<number | null> {
  const text = await readIfExists(path.join(procRoot, 'stat'));
  if (text === null) return null;
  const line = text.split('\n').find((candidate) => candidate.startsWith('cpu '));
  if (!line) return null;
  // user nice system idle iowait irq softirq; steal and guest are left out, as Docker does.
  const ticks = line.trim().split(/\s+/).slice(1, 8).map(Number).reduce((sum, value) => sum + value, 0);
  return ticks * NANOSECONDS_PER_TICK;
}

// Parses /proc/<pid>/net/dev of the container's network namespace; the loopback device is left out, as Docker does.
export async function readNetworkDevices(file: string): Promise<Record<string, NetworkStats> | null> {
  const text = await readIfExists(file).catch(() => null);
  if (text === null) return null;
  const result: Record<string, NetworkStats> = {};
  for (const line of text.split('\n').slice(2)) {
    const separator = line.indexOf(':');
    if (separator < 0) continue;
    const name = line.slice(0, separator).trim();
    if (name === 'lo') continue;
    const fields = line.slice(separator + 1).trim().split(/\s+/).map(Number);
    if (fields.length < 12) continue;
    result[name] = {
      rx_bytes: fields[0],
      rx_packets: fields[1],
      rx_errors: fields[2],
      rx_dropped: fields[3],
      tx_bytes: fields[8],
      tx_packets: fields[9],
      tx_errors: fields[10],
      tx_dropped: fields[11],
    };
  }
  return result;
}

async function readIfExists(file: string): Promise<string | null> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (error) {
    if (hasErrorCode(error, 'ENOENT') || hasErrorCode(error, 'ESRCH')) return null;
    throw error;
  }
}
