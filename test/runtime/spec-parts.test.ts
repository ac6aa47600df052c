// Unit tests of the pieces that make up a container's OCI spec:
// capabilities, users, seccomp conversion, limits, mounts and /etc files.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineError } from '../../src/common/errors';
import { capabilityMask, capabilityNamesFromMask, computeCapabilities, DEFAULT_CAPABILITIES, normalizeCapability, validateCapabilities } from '../../src/container/runtime/capabilities';
import { hostsContent, resolvConfContent } from '../../src/container/runtime/etc-files';
import { buildResources, buildRlimits, parseProcLimits, RLIM_INFINITY, validateSysctls, validateUlimits } from '../../src/container/runtime/limits';
import { mergeTmpfsOptions, tmpfsOptions } from '../../src/container/runtime/mounts';
import { containerEnvironment, serializeSpec } from '../../src/container/runtime/oci-spec';
import { applyDockerDefaults, convertSeccompProfile, loadProfileFile, type HostPlatform, type SeccompProfile } from '../../src/container/runtime/seccomp';
import { parseSecurityOptions } from '../../src/container/runtime/security-options';
import { resolveUserFromFiles } from '../../src/container/runtime/user';

const ALL_BOUNDING = capabilityNamesFromMask('000001ffffffffff');
const AMD64: HostPlatform = { goArch: 'amd64', seccompArch: 'SCMP_ARCH_X86_64', kernel: [6, 1] };

function engineErrorMessage(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof EngineError, `expected an EngineError, got ${String(error)}`);
    return error.message;
  }
  assert.fail('expected an error');
}

describe('capabilities', () => {
  it('default set matches Docker mask', () => {
    const caps = computeCapabilities({ capAdd: [], capDrop: [], privileged: false }, ALL_BOUNDING);
    assert.equal(capabilityMask(caps), '00000000a80425fb');
    assert.deepEqual(new Set(caps), new Set(DEFAULT_CAPABILITIES));
  });

  it('add and drop accept any spelling', () => {
    const caps = computeCapabilities({ capAdd: ['sys_admin', 'CAP_NET_ADMIN'], capDrop: ['chown', 'Cap_Kill'], privileged: false }, ALL_BOUNDING);
    assert.ok(caps.includes('CAP_SYS_ADMIN'));
    assert.ok(caps.includes('CAP_NET_ADMIN'));
    assert.ok(!caps.includes('CAP_CHOWN'));
    assert.ok(!caps.includes('CAP_KILL'));
    assert.ok(caps.includes('CAP_SETUID'));
  });

  it('drop ALL keeps only additions', () => {
    const caps = computeCapabilities({ capAdd: ['NET_BIND_SERVICE'], capDrop: ['ALL'], privileged: false }, ALL_BOUNDING);
    assert.deepEqual(caps, ['CAP_NET_BIND_SERVICE']);
  });

  it('add ALL minus drops, within bounding set', () => {
    const bounding = capabilityNamesFromMask('000001fffeffffff');
    const caps = computeCapabilities({ capAdd: ['all'], capDrop: ['MKNOD'], privileged: false }, bounding);
    assert.ok(!caps.includes('CAP_MKNOD'));
    assert.ok(!caps.includes('CAP_SYS_RESOURCE'), 'CAP_SYS_RESOURCE is outside the bounding set');
    assert.ok(caps.includes('CAP_SYS_ADMIN'));
  });

  it('privileged gets the whole bounding set', () => {
    const bounding = capabilityNamesFromMask('000001fffeffffff');
    const caps = computeCapabilities({ capAdd: [], capDrop: [], privileged: true }, bounding);
    assert.equal(caps.length, bounding.size);
  });

  it('unknown capability uses Docker message', () => {
    assert.equal(engineErrorMessage(() => validateCapabilities(['foo'], [])), 'invalid CapAdd: unknown capability: "CAP_FOO"');
    assert.equal(engineErrorMessage(() => validateCapabilities([], ['CAP_BAR'])), 'invalid CapDrop: unknown capability: "CAP_BAR"');
    assert.doesNotThrow(() => validateCapabilities(['ALL', 'net_raw'], ['all']));
    assert.equal(normalizeCapability(' sys_time '), 'CAP_SYS_TIME');
  });
});

describe('user resolution', () => {
  const passwd = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\nweb:x:33:33::/var/www:/bin/false\n';
  const group = 'root:x:0:\nwheel:x:10:root\nwww:x:33:nobody,web\nstaff:x:50:web\nnogroup:x:65534:\n';

  it('numeric user outside passwd gets gid 0', () => {
    assert.deepEqual(resolveUserFromFiles(passwd, group, '1234', []), { uid: 1234, gid: 0, additionalGids: [0], home: '/' });
  });

  it('uid and gid pair', () => {
    const user = resolveUserFromFiles(passwd, group, '1234:5678', []);
    assert.equal(user.uid, 1234);
    assert.equal(user.gid, 5678);
    assert.deepEqual(user.additionalGids, [5678]);
  });

  it('name from passwd with memberships', () => {
    const user = resolveUserFromFiles(passwd, group, 'web', []);
    assert.equal(user.uid, 33);
    assert.equal(user.gid, 33);
    assert.deepEqual(user.additionalGids, [33, 50]);
    assert.equal(user.home, '/var/www');
  });

  it('empty user is root with groups', () => {
    assert.deepEqual(resolveUserFromFiles(passwd, group, '', []).additionalGids, [0, 10]);
  });

  it('group name and group-add', () => {
    const user = resolveUserFromFiles(passwd, group, 'nobody:staff', ['wheel', '4242']);
    assert.equal(user.uid, 65534);
    assert.equal(user.gid, 50);
    assert.deepEqual(user.additionalGids, [50, 10, 4242]);
  });

  it('unknown names use Docker messages', () => {
    assert.equal(engineErrorMessage(() => resolveUserFromFiles(passwd, group, 'ghost', [])), 'unable to find user ghost: no matching entries in passwd file');
    assert.equal(engineErrorMessage(() => resolveUserFromFiles(passwd, group, 'root:ghosts', [])), 'unable to find group ghosts: no matching entries in group file');
    assert.equal(engineErrorMessage(() => resolveUserFromFiles('', '', 'nobody', [])), 'unable to find user nobody: no matching entries in passwd file');
  });
});

describe('seccomp conversion', () => {
  const profile: SeccompProfile = {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 38,
    archMap: [
      { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
      { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
    ],
    syscalls: [
      { names: ['read', 'write', 'keyctl', 'mount'], action: 'SCMP_ACT_ALLOW' },
      { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64'] } },
      { names: ['cacheflush'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['arm64'] } },
      { names: ['bpf'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
      { names: ['bpf'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, excludes: { caps: ['CAP_SYS_ADMIN'] } },
      { names: ['ptrace'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '99.0' } },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
    ],
  };
  const names = (rules: { names: string[]; action: string }[], action: string) => rules.filter((rule) => rule.action === action).flatMap((rule) => rule.names);

  it('filters by arch, caps and kernel', () => {
    const converted = convertSeccompProfile(profile, new Set(['CAP_CHOWN']), AMD64);
    assert.deepEqual(converted.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    assert.equal(converted.defaultErrnoRet, 38);
    const allowed = names(converted.syscalls, 'SCMP_ACT_ALLOW');
    assert.ok(allowed.includes('arch_prctl'));
    assert.ok(!allowed.includes('cacheflush'));
    assert.ok(!allowed.includes('bpf'));
    assert.ok(!allowed.includes('ptrace'));
    assert.ok(names(converted.syscalls, 'SCMP_ACT_ERRNO').includes('bpf'));
    const personality = converted.syscalls.find((rule) => rule.names.includes('personality'));
    assert.deepEqual(personality?.args, [{ index: 0, value: 8, valueTwo: 0, op: 'SCMP_CMP_EQ' }]);
  });

  it('capability includes allow the call', () => {
    const converted = convertSeccompProfile(profile, new Set(['CAP_SYS_ADMIN']), AMD64);
    assert.ok(names(converted.syscalls, 'SCMP_ACT_ALLOW').includes('bpf'));
    assert.ok(!names(converted.syscalls, 'SCMP_ACT_ERRNO').includes('bpf'));
  });

  it('Docker defaults deny keyctl and gate mount', () => {
    const granted = new Set(DEFAULT_CAPABILITIES);
    const tightened = applyDockerDefaults(convertSeccompProfile(profile, granted, AMD64), granted, AMD64);
    const allowed = tightened.syscalls.filter((rule) => rule.action === 'SCMP_ACT_ALLOW' && !rule.args).flatMap((rule) => rule.names);
    assert.ok(allowed.includes('read'));
    assert.ok(!allowed.includes('keyctl'));
    assert.ok(!allowed.includes('mount'));
    const denied = tightened.syscalls.find((rule) => rule.action === 'SCMP_ACT_ERRNO' && rule.names.includes('keyctl'));
    assert.equal(denied?.errnoRet, 1);
    assert.ok(denied?.names.includes('unshare'));
    const clone = tightened.syscalls.find((rule) => rule.names.includes('clone'));
    assert.equal(clone?.args?.[0].op, 'SCMP_CMP_MASKED_EQ');

    const admin = new Set([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']);
    const withAdmin = applyDockerDefaults(convertSeccompProfile(profile, admin, AMD64), admin, AMD64);
    const adminAllowed = withAdmin.syscalls.filter((rule) => rule.action === 'SCMP_ACT_ALLOW').flatMap((rule) => rule.names);
    assert.ok(adminAllowed.includes('mount'));
    assert.ok(!adminAllowed.includes('keyctl'));
  });

  it('host profile converts', () => {
    const granted = new Set(DEFAULT_CAPABILITIES);
    const converted = applyDockerDefaults(convertSeccompProfile(loadProfileFile('/usr/share/containers/seccomp.json'), granted), granted);
    assert.ok(converted.architectures.length > 0);
    const seen = new Map<string, string>();
    for (const rule of converted.syscalls.filter((candidate) => !candidate.args)) {
      for (const name of rule.names) {
        assert.ok(!seen.has(name) || seen.get(name) === rule.action, `${name} has conflicting unconditional rules`);
        seen.set(name, rule.action);
      }
    }
    assert.equal(seen.get('read'), 'SCMP_ACT_ALLOW');
    assert.equal(seen.get('keyctl'), 'SCMP_ACT_ERRNO');
  });
});

describe('security options', () => {
  it('parses seccomp and no-new-privileges', () => {
    const options = parseSecurityOptions(['no-new-privileges', 'seccomp=unconfined']);
    assert.equal(options.noNewPrivileges, true);
    assert.equal(options.seccomp.mode, 'unconfined');
    const custom = parseSecurityOptions(['seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[]}', 'no-new-privileges:false']);
    assert.equal(custom.seccomp.mode, 'custom');
    assert.equal(custom.noNewPrivileges, false);
  });

  it('rejects unknown options', () => {
    assert.match(engineErrorMessage(() => parseSecurityOptions(['bogus=1'])), /invalid --security-opt: "bogus=1"/);
    assert.match(engineErrorMessage(() => parseSecurityOptions(['seccomp={not json'])), /invalid seccomp profile/);
  });
});

describe('limits', () => {
  const host = parseProcLimits('Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 20000                files\nMax processes             unlimited            unlimited            processes\nMax core file size        0                    unlimited            bytes\n');

  it('open files default clamps to host', () => {
    assert.deepEqual(buildRlimits([], host), [{ type: 'RLIMIT_NOFILE', hard: 20000, soft: 20000 }]);
  });

  it('ulimits clamp and keep soft below hard', () => {
    const limits = buildRlimits([{ name: 'nofile', soft: 50000, hard: 90000 }, { name: 'nproc', soft: -1, hard: -1 }, { name: 'core', soft: 10, hard: 100 }], host);
    assert.deepEqual(limits.find((limit) => limit.type === 'RLIMIT_NOFILE'), { type: 'RLIMIT_NOFILE', hard: 20000, soft: 20000 });
    assert.deepEqual(limits.find((limit) => limit.type === 'RLIMIT_NPROC'), { type: 'RLIMIT_NPROC', hard: RLIM_INFINITY, soft: RLIM_INFINITY });
    assert.deepEqual(limits.find((limit) => limit.type === 'RLIMIT_CORE'), { type: 'RLIMIT_CORE', hard: 100, soft: 10 });
  });

  it('unlimited serializes as uint64 max', () => {
    const json = serializeSpec({ process: { rlimits: [{ type: 'RLIMIT_NPROC', hard: RLIM_INFINITY, soft: 5 }] }, env: ['RLIM_INFINITY'] });
    assert.equal(json, '{"process":{"rlimits":[{"type":"RLIMIT_NPROC","hard":18446744073709551615,"soft":5}]},"env":["RLIM_INFINITY"]}');
  });

  it('ulimit validation', () => {
    assert.match(engineErrorMessage(() => validateUlimits([{ name: 'bogus', soft: 1, hard: 1 }])), /invalid ulimit type: bogus/);
    assert.match(engineErrorMessage(() => validateUlimits([{ name: 'nofile', soft: 10, hard: 5 }])), /soft limit 10 is greater than hard limit 5/);
    assert.doesNotThrow(() => validateUlimits([{ name: 'NOFILE', soft: 5, hard: 10 }]));
  });

  it('sysctl validation', () => {
    assert.doesNotThrow(() => validateSysctls({ 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1', 'fs.mqueue.msg_max': '10' }, { hostNetwork: false, hostIpc: false }));
    assert.match(engineErrorMessage(() => validateSysctls({ 'kernel.hostname': 'x' }, { hostNetwork: false, hostIpc: false })), /not namespaced/);
    assert.match(engineErrorMessage(() => validateSysctls({ 'net.ipv4.ip_forward': '1' }, { hostNetwork: true, hostIpc: false })), /--network=host/);
    assert.match(engineErrorMessage(() => validateSysctls({ 'kernel.sem': '1' }, { hostNetwork: false, hostIpc: true })), /--ipc=host/);
  });

  it('cgroup resources', () => {
    const resources = buildResources({ memory: 16 * 1024 * 1024, memorySwap: 0, nanoCpus: 1.5e9, cpuShares: 512, pidsLimit: 0, ulimits: [], devices: [] });
    assert.deepEqual(resources.memory, { limit: 16777216, swap: 33554432 });
    assert.deepEqual(resources.cpu, { shares: 512, period: 100000, quota: 150000 });
    assert.deepEqual(resources.pids, { limit: -1 });
    assert.equal(buildResources({ memory: 0, memorySwap: 0, nanoCpus: 0, cpuShares: 0, pidsLimit: null, ulimits: [], devices: [] }).pids, undefined);
  });
});

describe('mounts and files', () => {
  it('tmpfs options merge like Docker', () => {
    assert.deepEqual(mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', 'exec', 'size=1m', 'size=2m']), ['nosuid', 'nodev', 'exec', 'size=2m']);
    assert.deepEqual(tmpfsOptions({ type: 'tmpfs', source: '', target: '/x', readOnly: false, tmpfsOptions: 'size=64m,mode=1777' }), ['noexec', 'nosuid', 'nodev', 'size=64m', 'mode=1777']);
    assert.match(engineErrorMessage(() => tmpfsOptions({ type: 'tmpfs', source: '', target: '/x', readOnly: false, tmpfsOptions: 'bogus=1' })), /invalid tmpfs option "bogus=1"/);
  });

  it('hosts without address has no empty line', () => {
    const none = hostsContent({ hostname: 'abc', domainname: '', ipAddress: null, hostNetwork: false });
    assert.match(none, /^127\.0\.0\.1\tlocalhost$/m);
    assert.doesNotMatch(none, /abc/);
    const bridged = hostsContent({ hostname: 'abc', domainname: 'example.org', ipAddress: '172.17.0.2', hostNetwork: false });
    assert.match(bridged, /^172\.17\.0\.2\tabc\.example\.org abc$/m);
  });

  it('resolv.conf drops loopback servers', () => {
    const host = 'search lan\nnameserver 127.0.0.53\noptions edns0\n';
    assert.equal(resolvConfContent(host, { hostname: 'a', domainname: '', ipAddress: null, hostNetwork: false }), 'search lan\noptions edns0\n');
    assert.match(resolvConfContent(host, { hostname: 'a', domainname: '', ipAddress: '10.0.0.2', hostNetwork: false }), /nameserver 8\.8\.8\.8/);
    assert.equal(resolvConfContent(host, { hostname: 'a', domainname: '', ipAddress: null, hostNetwork: true }), host);
  });

  it('environment replaces by name', () => {
    assert.deepEqual(containerEnvironment(['PATH=/bin', 'HOSTNAME=x', 'TERM=xterm'], ['PATH=/usr/bin', 'A=1', 'TERM=dumb']), ['PATH=/usr/bin', 'HOSTNAME=x', 'TERM=dumb', 'A=1']);
  });
});
