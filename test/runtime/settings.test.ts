// Container settings seen from inside real containers: bind mounts and
// volumes, devices, sysctls, a custom seccomp profile, no-new-privileges,
// cgroup limits and create-time validation.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LogOptions } from '../../src/engine/engine';
import { validateSpec } from '../../src/container/runtime';
import { collectLogs, createFixture, destroyFixture, logText, makeRecord, runToExit, type RuntimeFixture } from './fixtures';

const ALL_LOGS: LogOptions = { follow: false, stdout: true, stderr: true, since: 0, until: 0, tail: null };
const NO_LIMITS = { memory: 0, memorySwap: 0, nanoCpus: 0, cpuShares: 0, pidsLimit: null, ulimits: [], devices: [] };

describe('container settings', () => {
  let fixture: RuntimeFixture;

  before(async () => {
    fixture = await createFixture();
  });

  after(async () => {
    await destroyFixture(fixture);
  });

  async function stdoutOf(command: string[], overrides = {}, recordOverrides = {}) {
    const record = makeRecord(fixture, command, overrides, recordOverrides);
    const exit = await runToExit(fixture, record);
    const entries = await collectLogs(fixture.runtime.readLogs(record, ALL_LOGS, () => false));
    return { exit, stdout: logText(entries, 'stdout'), stderr: logText(entries, 'stderr') };
  }

  it('bind mounts honour read-only', async () => {
    const writable = path.join(fixture.root, 'host-rw');
    const readOnly = path.join(fixture.root, 'host-ro');
    fs.mkdirSync(writable);
    fs.mkdirSync(readOnly);
    fs.writeFileSync(path.join(readOnly, 'seed'), 'seeded');
    const mounts = [
      { type: 'bind' as const, name: '', source: writable, destination: '/data', driver: '', mode: '', rw: true, propagation: 'rprivate' },
      { type: 'volume' as const, name: 'v1', source: readOnly, destination: '/config', driver: 'local', mode: 'ro', rw: false, propagation: '' },
    ];
    const { stdout } = await stdoutOf(['sh', '-c', 'echo written > /data/out; cat /config/seed; echo; touch /config/x 2>/dev/null || echo ro-denied'], {}, { mounts });
    assert.equal(fs.readFileSync(path.join(writable, 'out'), 'utf8'), 'written\n');
    assert.equal(stdout, 'seeded\nro-denied\n');
    assert.ok(!fs.existsSync(path.join(readOnly, 'x')));
  });

  it('device mapping is usable', async () => {
    const resources = { ...NO_LIMITS, devices: [{ pathOnHost: '/dev/null', pathInContainer: '/dev/mynull', cgroupPermissions: 'rwm' }] };
    const { stdout } = await stdoutOf(['sh', '-c', 'echo x > /dev/mynull && echo ok; [ -e /dev/kmsg ] || echo no-kmsg'], { resources });
    assert.equal(stdout, 'ok\nno-kmsg\n');
  });

  it('namespaced sysctl applies', async () => {
    const { stdout } = await stdoutOf(['cat', '/proc/sys/net/ipv4/ip_forward', '/proc/sys/kernel/shmmni'], { sysctls: { 'net.ipv4.ip_forward': '1', 'kernel.shmmni': '1234' } });
    assert.equal(stdout, '1\n1234\n');
  });

  it('custom seccomp profile from JSON', async () => {
    const profile = JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] });
    const denied = await stdoutOf(['sh', '-c', 'mkdir /tmp/d 2>/dev/null && echo made || echo denied; echo done'], { securityOpt: [`seccomp=${profile}`] });
    assert.equal(denied.stdout, 'denied\ndone\n');
    const allowed = await stdoutOf(['sh', '-c', 'mkdir /tmp/d && echo made']);
    assert.equal(allowed.stdout, 'made\n');
  });

  it('no-new-privileges sets NoNewPrivs', async () => {
    const set = await stdoutOf(['grep', 'NoNewPrivs', '/proc/self/status'], { securityOpt: ['no-new-privileges'] });
    assert.match(set.stdout, /NoNewPrivs:\s+1/);
    const unset = await stdoutOf(['grep', 'NoNewPrivs', '/proc/self/status']);
    assert.match(unset.stdout, /NoNewPrivs:\s+0/);
  });

  it('cgroup limits reach the container', async () => {
    const resources = { ...NO_LIMITS, memory: 32 * 1024 * 1024, nanoCpus: 5e8, pidsLimit: 50, cpuShares: 512 };
    const { stdout } = await stdoutOf(['cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes', '/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes', '/sys/fs/cgroup/cpu/cpu.cfs_quota_us', '/sys/fs/cgroup/cpu/cpu.shares', '/sys/fs/cgroup/pids/pids.max'], { resources });
    assert.equal(stdout, `${32 * 1024 * 1024}\n${64 * 1024 * 1024}\n50000\n512\n50\n`);
  });

  it('validateSpec rejects bad settings', () => {
    const record = makeRecord(fixture, ['true']);
    assert.doesNotThrow(() => validateSpec(record.spec));
    assert.throws(() => validateSpec({ ...record.spec, capAdd: ['CAP_FOO'] }), /invalid CapAdd: unknown capability: "CAP_FOO"/);
    assert.throws(() => validateSpec({ ...record.spec, sysctls: { 'vm.swappiness': '1' } }), /invalid sysctl "vm.swappiness"/);
    assert.throws(() => validateSpec({ ...record.spec, resources: { ...NO_LIMITS, memory: 1024 } }), /Minimum memory limit allowed is 6MB/);
    assert.throws(() => validateSpec({ ...record.spec, securityOpt: ['seccomp=nonsense'] }), /invalid --security-opt/);
    assert.throws(() => validateSpec({ ...record.spec, mounts: [{ type: 'tmpfs', source: '', target: 'relative', readOnly: false }] }), /must be absolute/);
  });
});
