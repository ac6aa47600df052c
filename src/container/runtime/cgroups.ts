// Cgroup layout detection and the few cgroup files the runtime reads or
// writes itself: the OOM kill count and memory figures of a container, and
// the membership of conmon monitors. runc creates and removes the container
// cgroups. With the cgroupfs driver it puts a container at
// <cgroupParent>/<id> under each v1 controller, or under the single v2 tree.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { hasErrorCode } from '../../common/errors';

// v1: only v1 hierarchies. hybrid: v1 controllers plus an empty v2 tree at
// <root>/unified (systemd's tracking tree), where runc uses the v1 controllers.
// v2: one unified tree at <root>.
export type CgroupMode = 'v1' | 'hybrid' | 'v2';

export interface CgroupLayout {
  mode: CgroupMode;
  // Mount point of the cgroup file systems, normally /sys/fs/cgroup.
  root: string;
}

const CGROUP2_SUPER_MAGIC = 0x63677270;

// v1 hierarchies a conmon monitor is moved into, so that limits on berthd's
// own cgroup never apply to the monitors. "systemd" is the named hierarchy
// that systemd uses to track (and stop) a service's processes.
const MONITOR_V1_HIERARCHIES = ['memory', 'pids', 'cpu', 'systemd'];

export function detectCgroupLayout(root = '/sys/fs/cgroup'): CgroupLayout {
  if (isCgroup2(root)) return { mode: 'v2', root };
  if (isCgroup2(path.join(root, 'unified'))) return { mode: 'hybrid', root };
  return { mode: 'v1', root };
}

function isCgroup2(directory: string): boolean {
  try {
    return fs.statfsSync(directory).type === CGROUP2_SUPER_MAGIC;
  } catch {
    return false;
  }
}

// The cgroup version runc uses for container controllers: hybrid hosts count as v1.
export function controllerVersion(layout: CgroupLayout): '1' | '2' {
  return layout.mode === 'v2' ? '2' : '1';
}

// Directory of a cgroup (an absolute cgroup path such as /berth/<id>) for a
// v1 controller, or in the v2 tree when the host is v2.
export function cgroupDirectory(layout: CgroupLayout, cgroupPath: string, v1Controller: string): string {
  const relative = cgroupPath.replace(/^\/+/, '');
  if (layout.mode === 'v2') return path.join(layout.root, relative);
  return path.join(layout.root, v1Controller, relative);
}

// Returns how many processes the kernel OOM killer killed in the cgroup, or
// null when the cgroup or the counter does not exist. v1 reads
// memory.oom_control ("oom_kill N", Linux 4.13 and later), and v2 reads
// memory.events.
export async function readOomKillCount(layout: CgroupLayout, cgroupPath: string): Promise<number | null> {
  const file = layout.mode === 'v2'
    ? path.join(cgroupDirectory(layout, cgroupPath, 'memory'), 'memory.events')
    : path.join(cgroupDirectory(layout, cgroupPath, 'memory'), 'memory.oom_control');
  const text = await readIfExists(file);
  if (text === null) return null;
  return parseKeyedCounter(text, 'oom_kill');
}

export interface MemoryFigures {
  // Bytes, or null when unlimited or unknown.
  limit: number | null;
  usage: number | null;
}

export async function readMemoryFigures(layout: CgroupLayout, cgroupPath: string): Promise<MemoryFigures> {
  const directory = cgroupDirectory(layout, cgroupPath, 'memory');
  const [limitText, usageText] = layout.mode === 'v2'
    ? await Promise.all([readIfExists(path.join(directory, 'memory.max')), readIfExists(path.join(directory, 'memory.current'))])
    : await Promise.all([readIfExists(path.join(directory, 'memory.limit_in_bytes')), readIfExists(path.join(directory, 'memory.usage_in_bytes'))]);
  return { limit: parseLimit(limitText), usage: parseLimit(usageText) };
}

// v1 reports "no limit" as a huge page-aligned number (about 2^63), v2 as "max".
const V1_UNLIMITED_THRESHOLD = 2 ** 62;

function parseLimit(text: string | null): number | null {
  if (text === null) return null;
  const trimmed = text.trim();
  if (trimmed === 'max' || trimmed === '') return null;
  const value = Number(trimmed);
  if (!Number.isFinite(value) || value >= V1_UNLIMITED_THRESHOLD) return null;
  return value;
}

export function parseKeyedCounter(text: string, key: string): number | null {
  for (const line of text.split('\n')) {
    const [name, value] = line.trim().split(/\s+/);
    if (name === key && value !== undefined) {
      const count = Number(value);
      return Number.isFinite(count) ? count : null;
    }
  }
  return null;
}

async function readIfExists(file: string): Promise<string | null> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (error) {
    if (hasErrorCode(error, 'ENOENT')) return null;
    throw error;
  }
}

// Directories a monitor cgroup lives in: the v2 tree on v2 hosts, or the
// chosen v1 hierarchies plus systemd's v2 tracking tree on v1 and hybrid hosts.
export function monitorCgroupDirectories(layout: CgroupLayout, cgroupPath: string): string[] {
  const relative = cgroupPath.replace(/^\/+/, '');
  if (layout.mode === 'v2') return [path.join(layout.root, relative)];
  const directories = MONITOR_V1_HIERARCHIES
    .map((hierarchy) => path.join(layout.root, hierarchy))
    .filter((mountPoint) => fs.existsSync(mountPoint))
    .map((mountPoint) => path.join(mountPoint, relative));
  if (layout.mode === 'hybrid') directories.push(path.join(layout.root, 'unified', relative));
  return directories;
}

export async function createCgroups(directories: string[]): Promise<void> {
  await Promise.all(directories.map((directory) => fsp.mkdir(directory, { recursive: true })));
}

// Moves a process into every given cgroup directory. Returns the directories
// where the move failed, with the error, so the caller can log them. A
// monitor left in berthd's cgroup still works.
export async function moveProcess(directories: string[], pid: number): Promise<{ directory: string; error: unknown }[]> {
  const failures: { directory: string; error: unknown }[] = [];
  await Promise.all(directories.map(async (directory) => {
    try {
      await fsp.writeFile(path.join(directory, 'cgroup.procs'), `${pid}\n`);
    } catch (error) {
      failures.push({ directory, error });
    }
  }));
  return failures;
}
