// berth stats, update and cp against a real berthd.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { berth, runCommand } from '../helpers/cli';
import { startDaemon, type TestDaemon } from '../helpers/daemon';

let daemon: TestDaemon;
let work: string;
let id: string;

before(async () => {
  daemon = await startDaemon();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cli-cp-'));
  const run = await berth(daemon, ['run', '-d', '--name', 'web', '--memory', '32m', 'busybox', 'sleep', '1000']);
  assert.equal(run.exitCode, 0, run.stderr);
  id = run.stdout.trim();
});

after(async () => {
  await daemon?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('stats no-stream prints docker table', async () => {
  const result = await berth(daemon, ['stats', '--no-stream']);
  assert.equal(result.exitCode, 0, result.stderr);
  const [header, row] = result.stdout.split('\n');
  assert.match(header, /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/);
  assert.match(row, new RegExp(`^${id.slice(0, 12)}\\s+web\\s+\\d+\\.\\d\\d%\\s+[\\d.]+[KMG]?i?B / 32MiB\\s+\\d+\\.\\d\\d%\\s+\\S+ / \\S+\\s+\\S+ / \\S+\\s+1$`));

  const full = await berth(daemon, ['stats', '--no-stream', '--no-trunc', '--format', '{{.ID}} {{.Name}}', 'web']);
  assert.equal(full.stdout, `${id} web\n`);
  const json = await berth(daemon, ['stats', '--no-stream', '--format', 'json', 'web']);
  assert.deepEqual(Object.keys(JSON.parse(json.stdout)), ['BlockIO', 'CPUPerc', 'Container', 'ID', 'MemPerc', 'MemUsage', 'Name', 'NetIO', 'PIDs']);

  const missing = await berth(daemon, ['stats', '--no-stream', 'nosuch']);
  assert.equal(missing.exitCode, 1);
  assert.match(missing.stderr, /No such container: nosuch/);
});

test('stats all includes stopped containers', async () => {
  await berth(daemon, ['create', '--name', 'parked', 'busybox', 'true']);
  const running = await berth(daemon, ['stats', '--no-stream', '--format', '{{.Name}}']);
  assert.equal(running.stdout, 'web\n');
  const all = await berth(daemon, ['stats', '--no-stream', '-a', '--format', '{{.Name}} {{.CPUPerc}} {{.MemUsage}}']);
  assert.match(all.stdout, /^parked 0\.00% 0B \/ 0B$/m);
  await berth(daemon, ['rm', 'parked']);
});

test('update memory prints names and changes the cgroup', async () => {
  const result = await berth(daemon, ['update', '--memory', '64m', '--memory-swap', '128m', 'web']);
  assert.equal(result.exitCode, 0, result.stderr);
  assert.equal(result.stdout, 'web\n');
  const limit = fs.readFileSync(`/sys/fs/cgroup/memory/${daemon.instance}/${id}/memory.limit_in_bytes`, 'utf8').trim();
  assert.equal(limit, String(64 * 1024 * 1024));

  const none = await berth(daemon, ['update', 'web']);
  assert.equal(none.exitCode, 1);
  assert.match(none.stderr, /you must provide one or more flags/);
});

test('cp both ways keeps bytes and modes', async () => {
  const tree = path.join(work, 'tree');
  fs.mkdirSync(tree);
  fs.writeFileSync(path.join(tree, 'run.sh'), 'echo hi\n');
  fs.chmodSync(path.join(tree, 'run.sh'), 0o750);

  await berth(daemon, ['exec', 'web', 'mkdir', '/srv']);
  const into = await berth(daemon, ['cp', tree, 'web:/srv']);
  assert.equal(into.exitCode, 0, into.stderr);
  const check = await berth(daemon, ['exec', 'web', 'sh', '-c', 'stat -c "%a %u" /srv/tree/run.sh; cat /srv/tree/run.sh']);
  assert.equal(check.stdout, '750 0\necho hi\n');

  const renamed = path.join(work, 'renamed');
  const out = await berth(daemon, ['cp', 'web:/srv/tree/.', renamed]);
  assert.equal(out.exitCode, 0, out.stderr);
  assert.equal(fs.readFileSync(path.join(renamed, 'run.sh'), 'utf8'), 'echo hi\n');
  assert.equal(fs.statSync(path.join(renamed, 'run.sh')).mode & 0o777, 0o750);

  const single = path.join(work, 'hostname-copy');
  assert.equal((await berth(daemon, ['cp', 'web:/etc/hostname', single])).exitCode, 0);
  assert.equal(fs.readFileSync(single, 'utf8'), `${id.slice(0, 12)}\n`);
});

test('cp archive mode keeps owners', async () => {
  const owned = path.join(work, 'owned.txt');
  fs.writeFileSync(owned, 'owned\n');
  fs.chownSync(owned, 1234, 5678);

  assert.equal((await berth(daemon, ['cp', owned, 'web:/tmp/plain.txt'])).exitCode, 0);
  assert.equal((await berth(daemon, ['cp', '-a', owned, 'web:/tmp/archived.txt'])).exitCode, 0);
  const owners = await berth(daemon, ['exec', 'web', 'stat', '-c', '%u:%g', '/tmp/plain.txt', '/tmp/archived.txt']);
  assert.equal(owners.stdout, '0:0\n1234:5678\n');
});

test('cp with dash streams a tar', async () => {
  const tarFile = path.join(work, 'srv.tar');
  const out = await runCommand('sh', ['-c', `node ${JSON.stringify(path.resolve(__dirname, '../../src/bin/berth.js'))} cp web:/srv/tree - > ${tarFile}`], daemon.env);
  assert.equal(out.exitCode, 0, out.stderr);
  const listing = await runCommand('tar', ['-tf', tarFile], daemon.env);
  assert.deepEqual(listing.stdout.trim().split('\n').sort(), ['tree/', 'tree/run.sh']);

  const into = await berth(daemon, ['cp', '-', 'web:/tmp'], fs.readFileSync(tarFile));
  assert.equal(into.exitCode, 0, into.stderr);
  const check = await berth(daemon, ['exec', 'web', 'cat', '/tmp/tree/run.sh']);
  // A missing destination keeps the source's content under the new name, as docker cp does.
  await berth(daemon, ['cp', path.join(work, 'tree'), 'web:/fresh']);
  assert.equal((await berth(daemon, ['exec', 'web', 'cat', '/fresh/run.sh'])).stdout, 'echo hi\n');
  assert.equal(check.stdout, 'echo hi\n');

  const both = await berth(daemon, ['cp', 'web:/a', 'web:/b']);
  assert.equal(both.exitCode, 1);
  assert.match(both.stderr, /copying between containers is not supported/);
});

// berth prints these warnings on stdout after the name, as the docker CLI does.
test('update warns about unapplied options', async () => {
  const result = await berth(daemon, ['update', '--cpuset-cpus', '0', '--memory-reservation', '16m', 'web']);
  assert.equal(result.exitCode, 0, result.stderr);
  const [name, ...warnings] = result.stdout.trimEnd().split('\n');
  assert.equal(name, 'web');
  assert.equal(warnings.length, 2, result.stdout);
  assert.match(warnings.join('\n'), /CpusetCpus is not supported by Berth/);
  assert.match(warnings.join('\n'), /MemoryReservation is not supported by Berth/);

  // Control: an applied option gives the name and no warning.
  const applied = await berth(daemon, ['update', '--pids-limit', '60', 'web']);
  assert.equal(applied.stdout, 'web\n');
});

// The warning text is the docker CLI's.
test('create warns about loopback DNS', async () => {
  const loopback = await berth(daemon, ['create', '--dns', '127.0.0.1', 'busybox', 'true']);
  assert.equal(loopback.exitCode, 0, loopback.stderr);
  assert.equal(loopback.stderr, 'WARNING: Localhost DNS (127.0.0.1) may fail in containers.\n');

  // Control: a server outside loopback gives no warning. It is never contacted because the container
  // is not started.
  const other = await berth(daemon, ['create', '--dns', '10.255.255.1', 'busybox', 'true']);
  assert.equal(other.exitCode, 0, other.stderr);
  assert.equal(other.stderr, '');
  await berth(daemon, ['rm', loopback.stdout.trim(), other.stdout.trim()]);
});
