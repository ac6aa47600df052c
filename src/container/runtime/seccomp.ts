// Seccomp profiles in Docker's JSON format (also used by containers-common's
// /usr/share/containers/seccomp.json) converted into the OCI runtime spec's
// linux.seccomp for one container: the rules are filtered by the host
// architecture, the kernel version and the container's capabilities.
import fs from 'node:fs';
import os from 'node:os';
import { InvalidArgumentError } from '../../common/errors';

interface ProfileArgument {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

interface ProfileFilter {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

interface ProfileSyscall {
  name?: string;
  names?: string[];
  action: string;
  errnoRet?: number;
  args?: ProfileArgument[] | null;
  includes?: ProfileFilter;
  excludes?: ProfileFilter;
}

export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: { architecture: string; subArchitectures: string[] | null }[];
  syscalls?: ProfileSyscall[];
  flags?: string[];
  listenerPath?: string;
}

export interface OciSeccompSyscall {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: { index: number; value: number; valueTwo: number; op: string }[];
}

export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures: string[];
  flags?: string[];
  listenerPath?: string;
  syscalls: OciSeccompSyscall[];
}

export interface HostPlatform {
  // Go's architecture names, as profiles use them in includes.arches: amd64, arm64, ...
  goArch: string;
  // libseccomp's name of the native architecture: SCMP_ARCH_X86_64, ...
  seccompArch: string;
  // Kernel release as [major, minor].
  kernel: [number, number];
}

const NODE_TO_GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', mips64el: 'mips64le' };
const GO_TO_SECCOMP_ARCH: Record<string, string> = {
  amd64: 'SCMP_ARCH_X86_64', arm64: 'SCMP_ARCH_AARCH64', '386': 'SCMP_ARCH_X86', arm: 'SCMP_ARCH_ARM',
  ppc64le: 'SCMP_ARCH_PPC64LE', s390x: 'SCMP_ARCH_S390X', riscv64: 'SCMP_ARCH_RISCV64', mips64le: 'SCMP_ARCH_MIPSEL64',
};

export function hostPlatform(): HostPlatform {
  const goArch = NODE_TO_GO_ARCH[process.arch] ?? process.arch;
  const [major, minor] = os.release().split('.').map((part) => parseInt(part, 10));
  return { goArch, seccompArch: GO_TO_SECCOMP_ARCH[goArch] ?? '', kernel: [major || 0, minor || 0] };
}

export function parseSeccompProfile(text: string, source: string): SeccompProfile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError(`invalid seccomp profile ${source}: ${(error as Error).message}`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as SeccompProfile).defaultAction !== 'string') {
    throw new InvalidArgumentError(`invalid seccomp profile ${source}: expected a JSON object with a defaultAction`);
  }
  return parsed as SeccompProfile;
}

// Converts a profile for a container holding `capabilities`.
export function convertSeccompProfile(profile: SeccompProfile, capabilities: ReadonlySet<string>, platform: HostPlatform = hostPlatform()): OciSeccomp {
  const result: OciSeccomp = {
    defaultAction: profile.defaultAction,
    architectures: profileArchitectures(profile, platform),
    syscalls: [],
  };
  if (profile.defaultErrnoRet !== undefined) result.defaultErrnoRet = profile.defaultErrnoRet;
  if (profile.flags?.length) result.flags = profile.flags;
  if (profile.listenerPath) result.listenerPath = profile.listenerPath;

  for (const rule of profile.syscalls ?? []) {
    if (!ruleApplies(rule, capabilities, platform)) continue;
    let names: string[] = [];
    if (rule.names?.length) names = rule.names;
    else if (rule.name) names = [rule.name];
    if (names.length === 0) continue;
    const converted: OciSeccompSyscall = { names: [...names], action: rule.action };
    if (rule.errnoRet !== undefined) converted.errnoRet = rule.errnoRet;
    if (rule.args?.length) {
      converted.args = rule.args.map((arg) => ({ index: arg.index, value: arg.value, valueTwo: arg.valueTwo ?? 0, op: arg.op }));
    }
    result.syscalls.push(converted);
  }
  return result;
}

function profileArchitectures(profile: SeccompProfile, platform: HostPlatform): string[] {
  if (profile.architectures?.length) return [...profile.architectures];
  const entry = profile.archMap?.find((candidate) => candidate.architecture === platform.seccompArch);
  if (!entry) return platform.seccompArch ? [platform.seccompArch] : [];
  return [entry.architecture, ...(entry.subArchitectures ?? [])];
}

function ruleApplies(rule: ProfileSyscall, capabilities: ReadonlySet<string>, platform: HostPlatform): boolean {
  const includes = rule.includes ?? {};
  const excludes = rule.excludes ?? {};
  if (includes.arches?.length && !includes.arches.includes(platform.goArch)) return false;
  if (includes.caps?.length && !includes.caps.every((cap) => capabilities.has(cap))) return false;
  if (includes.minKernel && !kernelAtLeast(platform.kernel, includes.minKernel)) return false;
  if (excludes.arches?.length && excludes.arches.includes(platform.goArch)) return false;
  if (excludes.caps?.length && excludes.caps.some((cap) => capabilities.has(cap))) return false;
  return true;
}

function kernelAtLeast(kernel: [number, number], minimum: string): boolean {
  const [major, minor] = minimum.split('.').map((part) => parseInt(part, 10) || 0);
  return kernel[0] > major || (kernel[0] === major && kernel[1] >= (minor ?? 0));
}

// Syscalls that Docker's default profile (moby profiles/seccomp/default.json)
// allows only with a capability, while containers-common's profile allows
// them to everyone. Without the capability they fail with EPERM, as in Docker.
const CAPABILITY_GATED_SYSCALLS: Record<string, string> = {
  bpf: 'CAP_SYS_ADMIN', fanotify_init: 'CAP_SYS_ADMIN', fsconfig: 'CAP_SYS_ADMIN', fsmount: 'CAP_SYS_ADMIN',
  fsopen: 'CAP_SYS_ADMIN', fspick: 'CAP_SYS_ADMIN', lookup_dcookie: 'CAP_SYS_ADMIN', mount: 'CAP_SYS_ADMIN',
  mount_setattr: 'CAP_SYS_ADMIN', move_mount: 'CAP_SYS_ADMIN', open_tree: 'CAP_SYS_ADMIN', quotactl: 'CAP_SYS_ADMIN',
  quotactl_fd: 'CAP_SYS_ADMIN', setdomainname: 'CAP_SYS_ADMIN', sethostname: 'CAP_SYS_ADMIN', setns: 'CAP_SYS_ADMIN',
  umount: 'CAP_SYS_ADMIN', umount2: 'CAP_SYS_ADMIN', unshare: 'CAP_SYS_ADMIN',
  syslog: 'CAP_SYSLOG', reboot: 'CAP_SYS_BOOT', pidfd_getfd: 'CAP_SYS_PTRACE',
  get_mempolicy: 'CAP_SYS_NICE', mbind: 'CAP_SYS_NICE', set_mempolicy: 'CAP_SYS_NICE',
};

// Syscalls Docker's default profile never allows: the kernel keyring calls,
// because the keyring is not namespaced, and pivot_root.
const ALWAYS_DENIED_SYSCALLS = ['add_key', 'keyctl', 'request_key', 'pivot_root'];

// Namespace flags of clone(2) (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS |
// CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET): without
// CAP_SYS_ADMIN, clone may not set any of them.
const CLONE_NAMESPACE_FLAGS = 0x7e020000;
const EPERM = 1;
const ENOSYS = 38;

// Tightens a converted default profile to Docker's default behaviour (see the
// tables above). Applied only to the daemon's default profile, never to a
// profile the user supplied.
export function applyDockerDefaults(seccomp: OciSeccomp, capabilities: ReadonlySet<string>, platform: HostPlatform = hostPlatform()): OciSeccomp {
  const denied = new Set(ALWAYS_DENIED_SYSCALLS);
  for (const [name, capability] of Object.entries(CAPABILITY_GATED_SYSCALLS)) {
    if (!capabilities.has(capability)) denied.add(name);
  }
  const hasSysAdmin = capabilities.has('CAP_SYS_ADMIN');
  if (!hasSysAdmin) {
    denied.add('clone');
    denied.add('clone3');
  }

  // Each denied name leaves every rule of the profile and gets one rule of
  // its own, so that no syscall has two unconditional rules with different actions.
  const syscalls = seccomp.syscalls
    .map((rule) => ({ ...rule, names: rule.names.filter((name) => !denied.has(name)) }))
    .filter((rule) => rule.names.length > 0);
  const unconditionallyDenied = [...denied].filter((name) => name !== 'clone' && name !== 'clone3').sort();
  syscalls.push({ names: unconditionallyDenied, action: 'SCMP_ACT_ERRNO', errnoRet: EPERM });

  if (!hasSysAdmin) {
    // clone without namespace flags stays allowed. clone3 passes its flags in
    // memory that seccomp cannot inspect, so it fails with ENOSYS and C
    // libraries fall back to clone.
    const flagsIndex = platform.goArch === 's390x' ? 1 : 0;
    syscalls.push({ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: flagsIndex, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] });
    syscalls.push({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS });
  }
  return { ...seccomp, syscalls };
}

const profileCache = new Map<string, { mtimeMs: number; profile: SeccompProfile }>();

// Reads the daemon's default profile, cached until the file changes.
export function loadProfileFile(file: string): SeccompProfile {
  const stat = fs.statSync(file);
  const cached = profileCache.get(file);
  if (cached && cached.mtimeMs === stat.mtimeMs) return cached.profile;
  const profile = parseSeccompProfile(fs.readFileSync(file, 'utf8'), file);
  profileCache.set(file, { mtimeMs: stat.mtimeMs, profile });
  return profile;
}
