// The mounts of a container's OCI spec: Docker's default file systems
// (/proc, /dev, /sys and friends), the /etc files the engine writes, tmpfs
// mounts, bind mounts and volumes. A user mount replaces a default mount at
// the same destination, as in Docker.
import path from 'node:path';
import { InvalidArgumentError } from '../../common/errors';
import type { ContainerRecord, MountSpec } from '../types';

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

// Default size of /dev/shm (64 MiB), as in Docker.
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

// Where --init's binary appears inside the container, as in Docker.
export const INIT_DESTINATION = '/sbin/docker-init';

// Docker's masked and read-only paths for unprivileged containers.
export const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

const PROPAGATIONS = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']);

export interface MountInputs {
  record: ContainerRecord;
  initPath: string;
}

function defaultMounts(record: ContainerRecord): OciMount[] {
  const { spec } = record;
  const shmSize = spec.shmSize > 0 ? spec.shmSize : DEFAULT_SHM_SIZE;
  const sysOptions = ['nosuid', 'noexec', 'nodev', spec.privileged ? 'rw' : 'ro'];
  const mounts: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: sysOptions },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', spec.privileged ? 'rw' : 'ro'] },
  ];
  if (spec.ipcMode === 'host') {
    // The host's IPC namespace comes with the host's POSIX shared memory and message queues.
    mounts.push({ destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'rprivate'] });
    mounts.push({ destination: '/dev/mqueue', type: 'bind', source: '/dev/mqueue', options: ['rbind', 'rprivate'] });
  } else {
    mounts.push({ destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] });
    mounts.push({ destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shmSize}`] });
  }
  return mounts;
}

function etcMounts(record: ContainerRecord): OciMount[] {
  const options = ['rbind', 'rprivate'];
  return [
    { destination: '/etc/resolv.conf', type: 'bind', source: record.resolvConfPath, options: [...options] },
    { destination: '/etc/hostname', type: 'bind', source: record.hostnamePath, options: [...options] },
    { destination: '/etc/hosts', type: 'bind', source: record.hostsPath, options: [...options] },
  ];
}

// Merges tmpfs options left to right: a later flag overrides its opposite
// ("exec" after the default "noexec") and a later key=value its earlier value.
export function mergeTmpfsOptions(options: readonly string[]): string[] {
  const opposites: Record<string, string> = { exec: 'noexec', noexec: 'exec', suid: 'nosuid', nosuid: 'suid', dev: 'nodev', nodev: 'dev', ro: 'rw', rw: 'ro', atime: 'noatime', noatime: 'atime' };
  const merged: string[] = [];
  for (const raw of options) {
    const option = raw.trim();
    if (option === '') continue;
    const key = option.includes('=') ? option.slice(0, option.indexOf('=') + 1) : null;
    for (let index = merged.length - 1; index >= 0; index--) {
      const existing = merged[index];
      if (existing === option || (key && existing.startsWith(key)) || opposites[option] === existing) merged.splice(index, 1);
    }
    merged.push(option);
  }
  return merged;
}

const TMPFS_FLAGS = new Set(['exec', 'noexec', 'suid', 'nosuid', 'dev', 'nodev', 'ro', 'rw', 'atime', 'noatime', 'relatime', 'strictatime', 'nodiratime', 'diratime', 'sync', 'async', 'dirsync', 'mand', 'nomand']);
const TMPFS_KEYS = new Set(['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'mpol', 'huge']);

function checkTmpfsOptions(target: string, options: readonly string[]): void {
  for (const option of options) {
    const key = option.split('=')[0];
    if (option.includes('=') ? !TMPFS_KEYS.has(key) : !TMPFS_FLAGS.has(option)) {
      throw new InvalidArgumentError(`invalid tmpfs option "${option}" for ${target}`);
    }
  }
}

export function tmpfsOptions(mount: MountSpec): string[] {
  const options = ['noexec', 'nosuid', 'nodev'];
  if (mount.tmpfsSize) options.push(`size=${mount.tmpfsSize}`);
  if (mount.tmpfsMode) options.push(`mode=${mount.tmpfsMode.toString(8)}`);
  if (mount.tmpfsOptions) options.push(...mount.tmpfsOptions.split(','));
  if (mount.readOnly) options.push('ro');
  const merged = mergeTmpfsOptions(options);
  checkTmpfsOptions(mount.target, merged.filter((option) => !['noexec', 'nosuid', 'nodev'].includes(option)));
  return merged;
}

export function validateMounts(mounts: readonly MountSpec[]): void {
  const seen = new Set<string>();
  for (const mount of mounts) {
    if (!path.isAbsolute(mount.target)) {
      throw new InvalidArgumentError(`invalid mount config: mount path "${mount.target}" must be absolute`);
    }
    const destination = path.normalize(mount.target);
    if (destination === '/') throw new InvalidArgumentError('invalid mount config: destination can\'t be \'/\'');
    if (seen.has(destination)) throw new InvalidArgumentError(`Duplicate mount point: ${destination}`);
    seen.add(destination);
    if (mount.bindPropagation && !PROPAGATIONS.has(mount.bindPropagation)) {
      throw new InvalidArgumentError(`invalid propagation mode "${mount.bindPropagation}" for ${mount.target}: use one of ${[...PROPAGATIONS].join(', ')}`);
    }
    if (mount.type === 'tmpfs') tmpfsOptions(mount);
  }
}

// Bind mounts and volumes come from record.mounts, which the engine resolved
// to host paths. tmpfs mounts come from the create request.
function userMounts(record: ContainerRecord): OciMount[] {
  const mounts: OciMount[] = [];
  for (const mount of record.mounts) {
    if (mount.type === 'tmpfs') continue;
    const propagation = mount.propagation && PROPAGATIONS.has(mount.propagation) ? mount.propagation : 'rprivate';
    mounts.push({ destination: path.normalize(mount.destination), type: 'bind', source: mount.source, options: ['rbind', propagation, mount.rw ? 'rw' : 'ro'] });
  }
  for (const mount of record.spec.mounts) {
    if (mount.type !== 'tmpfs') continue;
    mounts.push({ destination: path.normalize(mount.target), type: 'tmpfs', source: 'tmpfs', options: tmpfsOptions(mount) });
  }
  return mounts;
}

// Returns all mounts in the order runc should make them: parents before children.
export function buildMounts(inputs: MountInputs): OciMount[] {
  const { record } = inputs;
  const user = userMounts(record);
  const userDestinations = new Set(user.map((mount) => mount.destination));
  // A user mount at a default destination, or above one (a tmpfs on /dev), replaces it.
  const replaced = (destination: string) => [...userDestinations].some((target) => destination === target || destination.startsWith(`${target}/`));
  const defaults = [...defaultMounts(record), ...etcMounts(record)].filter((mount) => !replaced(mount.destination));

  const mounts = [...defaults, ...user];
  if (record.spec.init) {
    mounts.push({ destination: INIT_DESTINATION, type: 'bind', source: inputs.initPath, options: ['bind', 'ro', 'nosuid', 'nodev'] });
  }
  // A stable sort by depth keeps defaults first among equals and mounts parents before their children.
  return mounts
    .map((mount, index) => ({ mount, index }))
    .sort((a, b) => depth(a.mount.destination) - depth(b.mount.destination) || a.index - b.index)
    .map((entry) => entry.mount);
}

function depth(destination: string): number {
  return destination.split('/').filter(Boolean).length;
}

// The propagation of the container's root mount: shared or slave when a
// mount asks for it, so that the mount's events can travel.
export function rootPropagation(mounts: readonly OciMount[]): string | undefined {
  const options = new Set(mounts.flatMap((mount) => mount.options));
  if (options.has('shared') || options.has('rshared')) return 'shared';
  if (options.has('slave') || options.has('rslave')) return 'rslave';
  return undefined;
}
