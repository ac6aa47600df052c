// The cgroup stats reader against fixture trees in the v1 and v2 layouts, and
// the CLI's CPU and memory figures computed from its output.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readCgroupSample } from '../../src/container/runtime/stats';
import { cpuPercent, memoryUsage, StatsRow } from '../../src/cli/commands/stats-row';
import { splitCopyArgument, copiedMessage } from '../../src/cli/commands/cp';
import { rebaseEntries, lastElement } from '../../src/cli/commands/cp-archive';

let root: string;

function write(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-stats-fixture-'));
  // A host's /proc: 1000 ticks of CPU time in the first seven fields, and one container process with eth0.
  write(path.join(root, 'proc', 'stat'), 'cpu  400 0 100 450 50 0 0 7 0 0\ncpu0 200 0 50 225 25 0 0 0 0 0\n');
  write(path.join(root, 'proc', '42', 'net', 'dev'), [
    'Inter-|   Receive                                                |  Transmit',
    ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
    '    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0',
    '  eth0:    2048      10    1    2    0     0          0         0     1024       5    3    4    0     0       0          0',
    '',
  ].join('\n'));

  const v2 = path.join(root, 'v2', 'berth', 'c1');
  write(path.join(v2, 'cpu.stat'), 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 10\nnr_throttled 2\nthrottled_usec 300\n');
  write(path.join(v2, 'memory.current'), '10485760\n');
  write(path.join(v2, 'memory.max'), '20971520\n');
  write(path.join(v2, 'memory.stat'), 'anon 8388608\nfile 2097152\ninactive_file 1048576\n');
  write(path.join(v2, 'memory.events'), 'low 0\nhigh 0\nmax 0\noom 1\noom_kill 1\n');
  write(path.join(v2, 'pids.current'), '3\n');
  write(path.join(v2, 'pids.max'), 'max\n');
  write(path.join(v2, 'io.stat'), '8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n');

  const v1 = (controller: string) => path.join(root, 'v1', controller, 'berth', 'c1');
  write(path.join(v1('cpuacct'), 'cpuacct.usage'), '3000000\n');
  write(path.join(v1('cpuacct'), 'cpuacct.usage_percpu'), '1000000 2000000 \n');
  write(path.join(v1('cpuacct'), 'cpuacct.stat'), 'user 2\nsystem 1\n');
  write(path.join(v1('cpu'), 'cpu.stat'), 'nr_periods 4\nnr_throttled 1\nthrottled_time 999\n');
  write(path.join(v1('memory'), 'memory.usage_in_bytes'), '5242880\n');
  write(path.join(v1('memory'), 'memory.max_usage_in_bytes'), '6291456\n');
  write(path.join(v1('memory'), 'memory.failcnt'), '0\n');
  write(path.join(v1('memory'), 'memory.limit_in_bytes'), '9223372036854771712\n');
  write(path.join(v1('memory'), 'memory.stat'), 'cache 1048576\ntotal_inactive_file 1048576\n');
  write(path.join(v1('pids'), 'pids.current'), '2\n');
  write(path.join(v1('pids'), 'pids.max'), '50\n');
  write(path.join(v1('blkio'), 'blkio.throttle.io_service_bytes_recursive'), '8:0 Read 512\n8:0 Write 1024\n8:0 Total 1536\nTotal 1536\n');
});

after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

test('v2 sample from unified tree', async () => {
  const sample = await readCgroupSample({ layout: { mode: 'v2', root: path.join(root, 'v2') }, cgroupPath: '/berth/c1', pid: 42, procRoot: path.join(root, 'proc') });
  assert.equal(sample.cpu_stats.cpu_usage.total_usage, 1_500_000);
  assert.equal(sample.cpu_stats.cpu_usage.usage_in_usermode, 1_000_000);
  assert.equal(sample.cpu_stats.cpu_usage.usage_in_kernelmode, 500_000);
  assert.equal(sample.cpu_stats.cpu_usage.percpu_usage, undefined);
  assert.deepEqual(sample.cpu_stats.throttling_data, { periods: 10, throttled_periods: 2, throttled_time: 300_000 });
  assert.equal(sample.cpu_stats.system_cpu_usage, 1000 * 1e7);
  assert.equal(sample.memory_stats.usage, 10485760);
  assert.equal(sample.memory_stats.limit, 20971520);
  assert.equal(sample.memory_stats.stats?.inactive_file, 1048576);
  assert.deepEqual(sample.pids_stats, { current: 3 });
  assert.deepEqual(sample.blkio_stats.io_service_bytes_recursive, [{ major: 8, minor: 0, op: 'read', value: 4096 }, { major: 8, minor: 0, op: 'write', value: 8192 }]);
  assert.deepEqual(Object.keys(sample.networks ?? {}), ['eth0']);
  assert.deepEqual(sample.networks?.eth0, { rx_bytes: 2048, rx_packets: 10, rx_errors: 1, rx_dropped: 2, tx_bytes: 1024, tx_packets: 5, tx_errors: 3, tx_dropped: 4 });
});

test('v1 sample from controller trees', async () => {
  const sample = await readCgroupSample({ layout: { mode: 'hybrid', root: path.join(root, 'v1') }, cgroupPath: '/berth/c1', pid: 0, procRoot: path.join(root, 'proc') });
  assert.equal(sample.cpu_stats.cpu_usage.total_usage, 3_000_000);
  assert.deepEqual(sample.cpu_stats.cpu_usage.percpu_usage, [1_000_000, 2_000_000]);
  assert.equal(sample.cpu_stats.cpu_usage.usage_in_usermode, 2e7);
  assert.deepEqual(sample.cpu_stats.throttling_data, { periods: 4, throttled_periods: 1, throttled_time: 999 });
  // An unlimited v1 limit is reported as the host's memory, as dockerd does.
  assert.equal(sample.memory_stats.limit, os.totalmem());
  assert.equal(sample.memory_stats.max_usage, 6291456);
  assert.deepEqual(sample.pids_stats, { current: 2, limit: 50 });
  assert.deepEqual(sample.blkio_stats.io_service_bytes_recursive?.map((entry) => entry.op), ['read', 'write', 'total']);
  assert.equal(sample.networks, undefined);
});

test('cli cpu and memory figures', () => {
  const stats = {
    id: 'a'.repeat(64),
    name: '/web',
    cpu_stats: { cpu_usage: { total_usage: 2_000_000_000 }, system_cpu_usage: 12_000_000_000, online_cpus: 2 },
    precpu_stats: { cpu_usage: { total_usage: 1_000_000_000 }, system_cpu_usage: 10_000_000_000 },
    memory_stats: { usage: 50 * 1048576, limit: 100 * 1048576, stats: { total_inactive_file: 10 * 1048576 } },
    blkio_stats: { io_service_bytes_recursive: [{ op: 'Read', value: 1500 }, { op: 'Write', value: 2500 }, { op: 'Total', value: 4000 }] },
    networks: { eth0: { rx_bytes: 1000, tx_bytes: 2000 }, eth1: { rx_bytes: 500, tx_bytes: 0 } },
    pids_stats: { current: 4 },
  };
  assert.equal(cpuPercent(stats), 100);
  assert.equal(memoryUsage(stats), 40 * 1048576);
  const row = new StatsRow('web', stats, true);
  assert.equal(row.ID(), 'a'.repeat(12));
  assert.equal(row.Name(), 'web');
  assert.equal(row.CPUPerc(), '100.00%');
  assert.equal(row.MemUsage(), '40MiB / 100MiB');
  assert.equal(row.MemPerc(), '40.00%');
  assert.equal(row.NetIO(), '1.5kB / 2kB');
  assert.equal(row.BlockIO(), '1.5kB / 2.5kB');
  assert.equal(row.PIDs(), '4');
  // Control: two equal samples give 0%, not a division by zero.
  assert.equal(cpuPercent({ cpu_stats: stats.cpu_stats, precpu_stats: stats.cpu_stats }), 0);
});

test('cp argument and path rules', () => {
  assert.deepEqual(splitCopyArgument('web:/etc/hosts'), { container: 'web', path: '/etc/hosts' });
  assert.deepEqual(splitCopyArgument('/tmp/a:b'), { container: '', path: '/tmp/a:b' });
  assert.deepEqual(splitCopyArgument('./a:b'), { container: '', path: './a:b' });
  assert.deepEqual(splitCopyArgument('-'), { container: '', path: '-' });
  assert.equal(lastElement('/srv/tree/.'), '.');
  assert.equal(lastElement('/srv/tree/'), 'tree');
  const rename = rebaseEntries('tree', 'copy');
  assert.equal(rename('tree/'), 'copy/');
  assert.equal(rename('tree/a/b'), 'copy/a/b');
  assert.equal(rename('treehouse/a'), 'treehouse/a');
  assert.equal(rebaseEntries('.', 'copy')('./a'), 'copy/a');
  assert.equal(copiedMessage(1536, 'web:/tmp'), 'Successfully copied 1.536kB to web:/tmp\n');
});
