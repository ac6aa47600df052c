// Linux capabilities of a container process, computed the way Docker does:
// a default set, then --cap-add and --cap-drop (either may name ALL), or every
// capability berthd itself may pass on when the container is privileged.
import fs from 'node:fs';
import { InvalidArgumentError } from '../../common/errors';

// Capability names indexed by their number (linux/capability.h, up to Linux 5.9).
export const ALL_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

// Docker's default capability set (CapEff 0x00000000a80425fb inside a default container).
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

const KNOWN = new Set(ALL_CAPABILITIES);

// Turns "sys_admin", "CAP_SYS_ADMIN" or "all" into the canonical form ("CAP_SYS_ADMIN", "ALL").
export function normalizeCapability(name: string): string {
  const upper = name.trim().toUpperCase();
  if (upper === 'ALL') return 'ALL';
  return upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

// Throws Docker's message for the first unknown name in capAdd or capDrop.
export function validateCapabilities(capAdd: readonly string[], capDrop: readonly string[]): void {
  for (const [field, names] of [['CapAdd', capAdd], ['CapDrop', capDrop]] as const) {
    for (const name of names) {
      const normalized = normalizeCapability(name);
      if (normalized !== 'ALL' && !KNOWN.has(normalized)) {
        throw new InvalidArgumentError(`invalid ${field}: unknown capability: "${normalized}"`);
      }
    }
  }
}

// Returns the container's capability set, limited to the capabilities berthd
// has in its bounding set (runc cannot grant others). The order follows
// ALL_CAPABILITIES so that generated specs are stable.
export function computeCapabilities(options: { capAdd: readonly string[]; capDrop: readonly string[]; privileged: boolean }, bounding: ReadonlySet<string>): string[] {
  validateCapabilities(options.capAdd, options.capDrop);
  if (options.privileged) return ALL_CAPABILITIES.filter((name) => bounding.has(name));

  const adds = new Set(options.capAdd.map(normalizeCapability));
  const drops = new Set(options.capDrop.map(normalizeCapability));
  let result: Set<string>;
  if (adds.has('ALL')) {
    result = new Set(ALL_CAPABILITIES);
  } else if (drops.has('ALL')) {
    result = new Set(adds);
  } else {
    result = new Set([...DEFAULT_CAPABILITIES, ...adds]);
  }
  if (!drops.has('ALL')) {
    for (const name of drops) result.delete(name);
  }
  return ALL_CAPABILITIES.filter((name) => result.has(name) && bounding.has(name));
}

// Parses a capability mask such as CapBnd's "000001fffeffffff" into names.
export function capabilityNamesFromMask(hexMask: string): Set<string> {
  const mask = BigInt(`0x${hexMask.trim()}`);
  const names = new Set<string>();
  ALL_CAPABILITIES.forEach((name, bit) => {
    if ((mask >> BigInt(bit)) & 1n) names.add(name);
  });
  return names;
}

export function capabilityMask(names: Iterable<string>): string {
  let mask = 0n;
  for (const name of names) {
    const bit = ALL_CAPABILITIES.indexOf(name);
    if (bit >= 0) mask |= 1n << BigInt(bit);
  }
  return mask.toString(16).padStart(16, '0');
}

let boundingSet: Set<string> | undefined;

// berthd's own bounding set, from CapBnd in /proc/self/status (read once).
export function daemonBoundingSet(): ReadonlySet<string> {
  if (!boundingSet) {
    const status = fs.readFileSync('/proc/self/status', 'utf8');
    const line = status.split('\n').find((entry) => entry.startsWith('CapBnd:'));
    if (!line) throw new Error('read /proc/self/status: no CapBnd line');
    boundingSet = capabilityNamesFromMask(line.slice('CapBnd:'.length));
  }
  return boundingSet;
}
