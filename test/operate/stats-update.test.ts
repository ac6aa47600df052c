// docker stats and docker update against a real berthd, read back from the cgroup files.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { assertDockerTalksToBerth, docker } from '../helpers/cli';
import { request, startDaemon, type TestDaemon } from '../helpers/daemon';

const MIB = 1024 * 1024;
let daemon: TestDaemon;

before(async () => {
  daemon = await startDaemon();
  await assertDockerTalksToBerth(daemon);
});

after(async () => {
  await daemon?.stop();
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Parses "40.1MiB" as docker's units.BytesSize prints it.
function parseBinarySize(text: string): number {
  const match = /^([\d.]+)(B|KiB|MiB|GiB)$/.exec(text.trim());
  assert.ok(match, `unexpected size ${text}`);
  const factor = { B: 1, KiB: 1024, MiB: MIB, GiB: 1024 * MIB }[match[2] as 'B' | 'KiB' | 'MiB' | 'GiB'];
  return Number(match[1]) * factor;
}

test('stats shows a CPU loop near one core', async () => {
  await docker(daemon, ['run', '-d', '--name', 'spin', 'busybox', 'sh', '-c', 'while :; do :; done']);
  await sleep(1500);
  const result = await docker(daemon, ['stats', '--no-stream', '--format', '{{.Name}} {{.CPUPerc}} {{.PIDs}}', 'spin']);
  assert.equal(result.exitCode, 0, result.stderr);
  const [name, cpu, pids] = result.stdout.trim().split(' ');
  assert.equal(name, 'spin');
  assert.equal(pids, '1');
  const percent = Number(cpu.replace('%', ''));
  // One busy core of this shared 2-core machine; other load can take a share of it.
  assert.ok(percent >= 60 && percent <= 130, `CPU ${cpu} not near one core`);
  await docker(daemon, ['rm', '-f', 'spin']);

  // Control: an idle container stays near zero.
  await docker(daemon, ['run', '-d', '--name', 'idle', 'busybox', 'sleep', '1000']);
  const idle = await docker(daemon, ['stats', '--no-stream', '--format', '{{.CPUPerc}}', 'idle']);
  assert.ok(Number(idle.stdout.trim().replace('%', '')) < 5, `idle CPU ${idle.stdout}`);
  await docker(daemon, ['rm', '-f', 'idle']);
});

test('stats memory matches an allocation', async () => {
  // The shell keeps a 40 MiB string in memory. The trailing echo keeps sh from replacing itself with sleep.
  await docker(daemon, ['run', '-d', '--name', 'hold', 'busybox', 'sh', '-c', 'a=$(head -c 41943040 /dev/zero | tr "\\0" x); sleep 1000; echo ${#a}']);
  await docker(daemon, ['run', '-d', '--name', 'small', 'busybox', 'sleep', '1000']);
  await sleep(2000);
  const result = await docker(daemon, ['stats', '--no-stream', '--format', '{{.Name}}|{{.MemUsage}}', 'hold', 'small']);
  assert.equal(result.exitCode, 0, result.stderr);
  const usage = new Map(result.stdout.trim().split('\n').map((line) => {
    const [name, memory] = line.split('|');
    return [name, parseBinarySize(memory.split(' / ')[0])] as const;
  }));
  const holdUsage = usage.get('hold')!;
  assert.ok(Math.abs(holdUsage - 40 * MIB) <= 4 * MIB, `hold uses ${holdUsage} bytes, expected 40 MiB within 10%`);
  assert.ok(usage.get('small')! < 4 * MIB, `small uses ${usage.get('small')} bytes`);
  await docker(daemon, ['rm', '-f', 'hold', 'small']);
});

test('stats API fields and stream', async () => {
  const run = await docker(daemon, ['run', '-d', '--name', 'fields', 'busybox', 'sleep', '1000']);
  const id = run.stdout.trim();
  const response = await request(daemon.socketPath, 'GET', '/containers/fields/stats?stream=0');
  assert.equal(response.status, 200);
  const stats = response.json<Record<string, any>>();
  assert.equal(stats.name, '/fields');
  assert.equal(stats.id, id);
  assert.ok(stats.cpu_stats.system_cpu_usage > stats.precpu_stats.system_cpu_usage, 'precpu_stats filled from an earlier sample');
  assert.ok(stats.memory_stats.usage > 0);
  assert.equal(stats.pids_stats.current, 1);
  assert.ok('eth0' in stats.networks, JSON.stringify(stats.networks));
  assert.equal(stats.memory_stats.stats.total_inactive_file !== undefined, true);

  await docker(daemon, ['stop', '-t', '0', 'fields']);
  const stopped = await request(daemon.socketPath, 'GET', '/containers/fields/stats?stream=0');
  const zero = stopped.json<Record<string, any>>();
  assert.equal(zero.read, '0001-01-01T00:00:00Z');
  assert.equal(zero.name, '/fields');
  await docker(daemon, ['rm', 'fields']);
});

test('update memory changes the cgroup limit', async () => {
  const run = await docker(daemon, ['run', '-d', '--name', 'grow', '--memory', '32m', 'busybox', 'sleep', '1000']);
  const id = run.stdout.trim();
  const limitFile = `/sys/fs/cgroup/memory/${daemon.instance}/${id}/memory.limit_in_bytes`;
  // Control: the create-time limit is in the file before the update.
  assert.equal(fs.readFileSync(limitFile, 'utf8').trim(), String(32 * MIB));

  const result = await docker(daemon, ['update', '--memory', '48m', 'grow']);
  assert.equal(result.exitCode, 0, result.stderr);
  assert.equal(result.stdout, 'grow\n');
  assert.equal(fs.readFileSync(limitFile, 'utf8').trim(), String(48 * MIB));
  const inspect = await docker(daemon, ['inspect', '-f', '{{.HostConfig.Memory}}', 'grow']);
  assert.equal(inspect.stdout.trim(), String(48 * MIB));
  await docker(daemon, ['rm', '-f', 'grow']);
});

test('update cpus pids and restart policy', async () => {
  const run = await docker(daemon, ['run', '-d', '--name', 'tune', 'busybox', 'sleep', '1000']);
  const id = run.stdout.trim();
  const result = await docker(daemon, ['update', '--cpus', '0.5', '--pids-limit', '20', '--restart', 'on-failure:2', 'tune']);
  assert.equal(result.exitCode, 0, result.stderr);
  assert.equal(fs.readFileSync(`/sys/fs/cgroup/cpu/${daemon.instance}/${id}/cpu.cfs_quota_us`, 'utf8').trim(), '50000');
  assert.equal(fs.readFileSync(`/sys/fs/cgroup/pids/${daemon.instance}/${id}/pids.max`, 'utf8').trim(), '20');
  const inspect = await docker(daemon, ['inspect', '-f', '{{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}', 'tune']);
  assert.equal(inspect.stdout.trim(), '500000000 20 on-failure:2');

  const invalid = await docker(daemon, ['update', '--memory', '1m', 'tune']);
  assert.notEqual(invalid.exitCode, 0);
  assert.match(invalid.stderr, /Minimum memory limit allowed is 6MB/);
  await docker(daemon, ['rm', '-f', 'tune']);
});
