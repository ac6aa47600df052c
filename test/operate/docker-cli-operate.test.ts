// The real docker CLI over events, stats, cp, update and system df against one
// berthd: the output a Docker user reads, checked against the containers' own
// files and cgroups.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertDockerTalksToBerth, berth, docker, runCommand } from '../helpers/cli';
import { DOCKER, startDaemon, type TestDaemon } from '../helpers/daemon';

const MIB = 1024 * 1024;
// docker prints event times with Go's RFC3339 layout and nanoseconds in the local time zone.
const EVENT_TIME = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(?:Z|[+-]\d\d:\d\d)`;

let daemon: TestDaemon;
let work: string;

before(async () => {
  daemon = await startDaemon();
  await assertDockerTalksToBerth(daemon);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-docker-operate-'));
});

after(async () => {
  await daemon?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

async function dockerOk(args: string[]): Promise<string> {
  const result = await docker(daemon, args);
  assert.equal(result.exitCode, 0, `docker ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

async function inContainer(name: string, script: string): Promise<string> {
  return dockerOk(['exec', name, 'sh', '-c', script]);
}

// Whole seconds, so the window does not depend on how the daemon reads a fraction.
function unixSeconds(ms: number, round: (value: number) => number): string {
  return String(round(ms / 1000));
}

test('events replays a container lifecycle', async () => {
  const since = Date.now() - 1000;
  const id = (await dockerOk(['create', '--name', 'evented', 'busybox', 'true'])).trim();
  await dockerOk(['start', 'evented']);
  assert.equal((await dockerOk(['wait', 'evented'])).trim(), '0');
  await dockerOk(['rm', 'evented']);
  // Control: a second container whose events the filter must leave out.
  await dockerOk(['create', '--name', 'bystander', 'busybox', 'true']);
  const until = Date.now() + 1000;
  const window = ['--since', unixSeconds(since, Math.floor), '--until', unixSeconds(until, Math.ceil)];

  const text = await dockerOk(['events', ...window, '--filter', 'container=evented']);
  const lines = text.trimEnd().split('\n');
  const actions = lines.map((line) => line.split(' ')[2]);
  assert.deepEqual(actions, ['create', 'start', 'die', 'destroy'], text);
  assert.match(lines[0], new RegExp(`^${EVENT_TIME} container create ${id} \\(image=busybox, name=evented\\)$`));
  assert.match(lines[1], new RegExp(`^${EVENT_TIME} container start ${id} \\(image=busybox, name=evented\\)$`));
  assert.match(lines[2], new RegExp(`^${EVENT_TIME} container die ${id} \\(.*exitCode=0.*\\)$`));
  assert.match(lines[2], /image=busybox, name=evented/);
  assert.equal(text.includes('bystander'), false);

  // Positive control for the filter: without it the bystander's create is there.
  const everything = await dockerOk(['events', ...window]);
  assert.match(everything, /container create [0-9a-f]{64} \(image=busybox, name=bystander\)/);

  const json = await dockerOk(['events', ...window, '--filter', 'container=evented', '--format', '{{json .}}']);
  const messages = json.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, any>);
  assert.equal(messages.length, 4, json);
  for (const message of messages) {
    assert.equal(message.Type, 'container');
    assert.equal(message.Actor.ID, id);
    assert.equal(message.Actor.Attributes.name, 'evented');
    assert.equal(message.Actor.Attributes.image, 'busybox');
    assert.equal(message.scope, 'local');
    assert.ok(message.timeNano >= since * 1e6, `timeNano ${message.timeNano} before the window`);
    assert.ok(message.timeNano <= until * 1e6, `timeNano ${message.timeNano} after the window`);
  }
  assert.deepEqual(messages.map((message) => message.Action), ['create', 'start', 'die', 'destroy']);
  assert.equal(messages[2].Actor.Attributes.exitCode, '0');

  await dockerOk(['rm', 'bystander']);
});

test('stats no-stream table and formats', async () => {
  const id = (await dockerOk(['run', '-d', '--name', 'measured', '--memory', '64m', 'busybox', 'sleep', '600'])).trim();

  const table = await dockerOk(['stats', '--no-stream', 'measured']);
  const [header, row, ...rest] = table.trimEnd().split('\n');
  assert.deepEqual(rest, []);
  assert.deepEqual(header.split(/\s{2,}/), ['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS']);
  const cells = row.split(/\s{2,}/);
  assert.equal(cells.length, 8, row);
  assert.equal(cells[0], id.slice(0, 12));
  assert.equal(cells[1], 'measured');
  assert.match(cells[2], /^\d+\.\d\d%$/);
  assert.match(cells[3], /^[\d.]+(?:B|KiB|MiB) \/ 64MiB$/);
  assert.match(cells[4], /^\d+\.\d\d%$/);
  assert.ok(Number(cells[4].replace('%', '')) < 20, `a sleeping busybox uses ${cells[4]} of 64 MiB`);
  assert.match(cells[5], /^[\d.]+k?B \/ [\d.]+k?B$/);
  assert.match(cells[6], /^[\d.]+[kMG]?B \/ [\d.]+[kMG]?B$/);
  assert.equal(cells[7], '1');

  const formatted = await dockerOk(['stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}}', 'measured']);
  const match = /^measured ([\d.]+)(B|KiB|MiB) \/ 64MiB\n$/.exec(formatted);
  assert.ok(match, `unexpected line ${JSON.stringify(formatted)}`);
  const used = Number(match[1]) * { B: 1, KiB: 1024, MiB: MIB }[match[2] as 'B' | 'KiB' | 'MiB'];
  assert.ok(used > 0, `sleeping busybox uses ${used} bytes`);
  assert.ok(used < 16 * MIB, `sleeping busybox uses ${used} bytes`);

  const full = await dockerOk(['stats', '--no-stream', '--no-trunc', 'measured']);
  assert.equal(full.trimEnd().split('\n')[1].split(/\s{2,}/)[0], id);

  await dockerOk(['rm', '-f', 'measured']);
});

function writeTree(root: string): void {
  fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(root, 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o750 });
  fs.writeFileSync(path.join(root, 'sub', 'data.bin'), randomBytes(70_000));
  fs.chmodSync(path.join(root, 'sub', 'data.bin'), 0o604);
  fs.chmodSync(path.join(root, 'sub'), 0o711);
}

// Asserts that two trees contain the same names, bytes and permission bits.
function assertSameTree(expected: string, actual: string): void {
  const names = fs.readdirSync(expected).sort();
  assert.deepEqual(fs.readdirSync(actual).sort(), names, `entries of ${actual}`);
  for (const name of names) {
    const want = fs.lstatSync(path.join(expected, name));
    const got = fs.lstatSync(path.join(actual, name));
    assert.equal((got.mode & 0o7777).toString(8), (want.mode & 0o7777).toString(8), `mode of ${path.join(actual, name)}`);
    if (want.isDirectory()) assertSameTree(path.join(expected, name), path.join(actual, name));
    else assert.deepEqual(fs.readFileSync(path.join(actual, name)), fs.readFileSync(path.join(expected, name)), `bytes of ${path.join(actual, name)}`);
  }
}

test('cp files and directories both ways', async () => {
  await dockerOk(['run', '-d', '--name', 'copier', 'busybox', 'sleep', '600']);
  const tree = path.join(work, 'tree');
  writeTree(tree);

  await dockerOk(['cp', path.join(tree, 'run.sh'), 'copier:/tmp/run.sh']);
  assert.equal(await inContainer('copier', 'stat -c %a /tmp/run.sh && /tmp/run.sh'), '750\nhi\n');
  const fileBack = path.join(work, 'run-back.sh');
  await dockerOk(['cp', 'copier:/tmp/run.sh', fileBack]);
  assert.equal(fs.readFileSync(fileBack, 'utf8'), '#!/bin/sh\necho hi\n');
  assert.equal((fs.statSync(fileBack).mode & 0o777).toString(8), '750');

  // Without "/." the directory itself lands inside the target. With it, only its content does.
  await dockerOk(['exec', 'copier', 'mkdir', '/whole', '/content']);
  await dockerOk(['cp', tree, 'copier:/whole']);
  await dockerOk(['cp', `${tree}/.`, 'copier:/content']);
  assert.equal(await inContainer('copier', 'ls /whole; ls /content'), 'tree\nrun.sh\nsub\n');

  const wholeBack = path.join(work, 'whole-back');
  fs.mkdirSync(wholeBack);
  await dockerOk(['cp', 'copier:/whole/tree', wholeBack]);
  assertSameTree(tree, path.join(wholeBack, 'tree'));
  const contentBack = path.join(work, 'content-back');
  fs.mkdirSync(contentBack);
  await dockerOk(['cp', 'copier:/content/.', contentBack]);
  assertSameTree(tree, contentBack);
});

// dockerd keeps the archive's uid and gid without -a, and also with -a when the container has no
// user. With -a and a user it gives the copy that user's ids. The cp reference describes -a
// differently, but this is the reported behaviour (moby/moby#45793).
// NOTE: not checked here against a real dockerd.
test('cp -a sets the container user', async () => {
  const owned = path.join(work, 'owned.txt');
  fs.writeFileSync(owned, 'owned\n');
  fs.chownSync(owned, 1234, 5678);

  await dockerOk(['cp', owned, 'copier:/tmp/plain.txt']);
  assert.equal(await inContainer('copier', 'stat -c %u:%g /tmp/plain.txt'), '1234:5678\n');
  await dockerOk(['cp', '-a', owned, 'copier:/tmp/archived.txt']);
  assert.equal(await inContainer('copier', 'stat -c %u:%g /tmp/archived.txt'), '1234:5678\n');

  await dockerOk(['run', '-d', '--name', 'nobody', '--user', '4321:8765', 'busybox', 'sleep', '600']);
  // Control: without -a the container user does not matter.
  await dockerOk(['cp', owned, 'nobody:/tmp/plain.txt']);
  assert.equal(await inContainer('nobody', 'stat -c %u:%g /tmp/plain.txt'), '1234:5678\n');
  await dockerOk(['cp', '-a', owned, 'nobody:/tmp/archived.txt']);
  assert.equal(await inContainer('nobody', 'stat -c %u:%g /tmp/archived.txt && cat /tmp/archived.txt'), '4321:8765\nowned\n');
  await dockerOk(['rm', '-f', 'nobody']);

  // Copying out, berthd's tar carries the owner in the container, and the docker CLI then gives the
  // host file to the user who ran it.
  const listing = await runCommand('sh', ['-c', `${DOCKER} cp copier:/tmp/plain.txt - | tar -tvf - --numeric-owner`], daemon.env);
  assert.match(listing.stdout, /^-rw-r--r-- 1234\/5678 +6 .* plain\.txt\n$/);
  const back = path.join(work, 'plain-back.txt');
  await dockerOk(['cp', '-a', 'copier:/tmp/plain.txt', back]);
  assert.equal(`${fs.statSync(back).uid}:${fs.statSync(back).gid}`, `${process.getuid?.()}:${process.getgid?.()}`);
  assert.equal(fs.readFileSync(back, 'utf8'), 'owned\n');
});

test('cp through a symlink to /etc', async () => {
  const marker = `marker-${randomBytes(4).toString('hex')}`;
  await inContainer('copier', `ln -s /etc /etc-link && echo container-etc > /etc/${marker}`);

  const markerCopy = path.join(work, marker);
  await dockerOk(['cp', `copier:/etc-link/${marker}`, markerCopy]);
  assert.equal(fs.readFileSync(markerCopy, 'utf8'), 'container-etc\n');

  const hostnameCopy = path.join(work, 'hostname-copy');
  await dockerOk(['cp', 'copier:/etc-link/hostname', hostnameCopy]);
  const copied = fs.readFileSync(hostnameCopy, 'utf8');
  assert.equal(copied, await inContainer('copier', 'cat /etc/hostname'));
  const hostHostname = fs.readFileSync('/etc/hostname', 'utf8');
  assert.notEqual(copied.trim(), hostHostname.trim(), 'the copy has the host hostname');

  const etcCopy = path.join(work, 'etc-copy');
  await dockerOk(['cp', 'copier:/etc-link/.', etcCopy]);
  assert.equal(fs.readFileSync(path.join(etcCopy, marker), 'utf8'), 'container-etc\n');
  assert.equal(fs.readFileSync(path.join(etcCopy, 'hostname'), 'utf8'), copied);

  await dockerOk(['rm', '-f', 'copier']);
});

test('update changes limits and cgroup files', async () => {
  const id = (await dockerOk(['run', '-d', '--name', 'tuned', '--memory', '32m', 'busybox', 'sleep', '600'])).trim();
  const cgroup = (controller: string, file: string) => fs.readFileSync(`/sys/fs/cgroup/${controller}/${daemon.instance}/${id}/${file}`, 'utf8').trim();
  // Control: the create-time values before the update.
  assert.equal(cgroup('memory', 'memory.limit_in_bytes'), String(32 * MIB));
  assert.equal(cgroup('cpu', 'cpu.cfs_quota_us'), '-1');

  const updated = await docker(daemon, ['update', '--memory', '64m', '--memory-swap', '128m', '--cpus', '0.5', '--pids-limit', '50', '--restart', 'on-failure:2', 'tuned']);
  assert.equal(updated.exitCode, 0, updated.stderr);
  assert.equal(updated.stdout, 'tuned\n');
  assert.equal(updated.stderr, '');

  const hostConfig = await dockerOk(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}', 'tuned']);
  assert.equal(hostConfig.trim(), `${64 * MIB} ${128 * MIB} 500000000 50 on-failure:2`);

  assert.equal(cgroup('memory', 'memory.limit_in_bytes'), String(64 * MIB));
  assert.equal(cgroup('memory', 'memory.memsw.limit_in_bytes'), String(128 * MIB));
  assert.equal(cgroup('cpu', 'cpu.cfs_quota_us'), '50000');
  assert.equal(cgroup('cpu', 'cpu.cfs_period_us'), '100000');
  assert.equal(cgroup('pids', 'pids.max'), '50');

  // Limits Berth does not enforce come back as warnings instead of being dropped silently.
  const ignored = await docker(daemon, ['update', '--cpuset-cpus', '0', '--memory-reservation', '20m', 'tuned']);
  assert.equal(ignored.exitCode, 0, ignored.stderr);
  // The docker CLI prints the warnings on stdout after the container names.
  assert.match(ignored.stdout, /^tuned\n.*CpusetCpus is not supported by Berth/s);
  assert.match(ignored.stdout, /MemoryReservation is not supported by Berth/);
  assert.equal(cgroup('memory', 'memory.limit_in_bytes'), String(64 * MIB));

  const stats = await dockerOk(['stats', '--no-stream', '--format', '{{.MemUsage}}', 'tuned']);
  assert.match(stats, / \/ 64MiB\n$/);
  await dockerOk(['rm', '-f', 'tuned']);
});

test('system df format through both CLIs', async () => {
  await dockerOk(['run', '-d', '--name', 'counted', '-v', 'dfvolume:/data', 'busybox', 'sleep', '600']);

  const text = await dockerOk(['system', 'df', '--format', '{{.Type}} {{.Size}}']);
  const lines = text.trimEnd().split('\n');
  assert.deepEqual(lines.map((line) => line.replace(/ \S+$/, '')), ['Images', 'Containers', 'Local Volumes', 'Build Cache']);
  assert.match(lines[0], /^Images [\d.]+[kM]B$/);
  assert.match(lines[3], /^Build Cache 0B$/);

  const own = await berth(daemon, ['system', 'df', '--format', '{{.Type}} {{.Size}}']);
  assert.equal(own.exitCode, 0, own.stderr);
  assert.equal(own.stdout, text);

  const fields = '{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Size}}|{{.Reclaimable}}';
  const dockerFields = await dockerOk(['system', 'df', '--format', fields]);
  assert.match(dockerFields, /^Local Volumes\|1\|1\|0B\|0B$/m);
  assert.equal((await berth(daemon, ['system', 'df', '--format', fields])).stdout, dockerFields);

  const dockerJson = await dockerOk(['system', 'df', '--format', 'json']);
  const ownJson = await berth(daemon, ['system', 'df', '--format', 'json']);
  assert.equal(ownJson.stdout, dockerJson);
  const first = JSON.parse(dockerJson.split('\n')[0]) as Record<string, string>;
  assert.deepEqual(Object.keys(first).sort(), ['Active', 'Reclaimable', 'Size', 'TotalCount', 'Type']);

  const unknownField = await docker(daemon, ['system', 'df', '--format', '{{.Nope}}']);
  assert.notEqual(unknownField.exitCode, 0);
  assert.match(unknownField.stderr, /can't evaluate field Nope/);
  assert.equal((await berth(daemon, ['system', 'df', '--format', '{{.Nope}}'])).stderr, unknownField.stderr);

  const ownTable = await berth(daemon, ['system', 'df', '--format', 'table {{.Type}}\t{{.Active}}']);
  assert.equal(ownTable.stdout, await dockerOk(['system', 'df', '--format', 'table {{.Type}}\t{{.Active}}']));
  assert.match(ownTable.stdout, /^TYPE\s+ACTIVE\n/);

  // With -v a custom format runs once over the whole report, without a newline at the end.
  const listsFormat = '{{range .Images}}{{.Repository}}:{{.Tag}} {{.Containers}}{{end}}|{{range .Containers}}{{.Names}} {{.LocalVolumes}}{{end}}|{{range .Volumes}}{{.Name}} {{.Links}}{{end}}|{{len .BuildCache}}';
  const dockerLists = await dockerOk(['system', 'df', '-v', '--format', listsFormat]);
  assert.equal(dockerLists, 'busybox:latest 1|counted 1|dfvolume 1|0');
  assert.equal((await berth(daemon, ['system', 'df', '-v', '--format', listsFormat])).stdout, dockerLists);

  const dockerReport = JSON.parse(await dockerOk(['system', 'df', '-v', '--format', 'json'])) as Record<string, Record<string, unknown>[]>;
  const ownReport = JSON.parse((await berth(daemon, ['system', 'df', '-v', '--format', 'json'])).stdout) as Record<string, Record<string, unknown>[]>;
  assert.deepEqual(Object.keys(ownReport), ['Images', 'Containers', 'Volumes', 'BuildCache']);
  for (const list of ['Images', 'Containers', 'Volumes']) assert.deepEqual(Object.keys(ownReport[list][0]), Object.keys(dockerReport[list][0]), `${list} fields`);
  assert.equal(ownReport.Containers[0].ID, dockerReport.Containers[0].ID);
  assert.equal(ownReport.Images[0].ID, dockerReport.Images[0].ID);

  const wrongField = await docker(daemon, ['system', 'df', '-v', '--format', '{{.Type}}']);
  assert.notEqual(wrongField.exitCode, 0);
  const ownWrongField = await berth(daemon, ['system', 'df', '-v', '--format', '{{.Type}}']);
  assert.notEqual(ownWrongField.exitCode, 0);
  assert.match(ownWrongField.stderr, /can't evaluate field Type in type \*formatter\.diskUsageContext/);

  await dockerOk(['rm', '-f', 'counted']);
});
