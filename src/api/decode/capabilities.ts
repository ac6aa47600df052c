// Linux capability names for CapAdd and CapDrop, normalized the way dockerd
// does: upper case with the "CAP_" prefix, or the special value "ALL".
import { InvalidArgumentError } from '../../common/errors';

// The capabilities of Linux 6.1 (include/uapi/linux/capability.h).
const CAPABILITIES = new Set(
  [
    'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
    'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
    'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
    'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
    'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
    'CHECKPOINT_RESTORE',
  ].map((name) => `CAP_${name}`),
);

// Normalizes each name. Raises 400 naming the field ("invalid CapAdd: unknown capability: ...").
export function normalizeCapabilities(names: string[], field: 'CapAdd' | 'CapDrop'): string[] {
  return names.map((name) => {
    const upper = name.trim().toUpperCase();
    if (upper === 'ALL') return 'ALL';
    const normalized = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
    if (!CAPABILITIES.has(normalized)) {
      throw new InvalidArgumentError(`invalid ${field}: unknown capability: ${JSON.stringify(normalized)}`);
    }
    return normalized;
  });
}
