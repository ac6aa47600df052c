// docker cp in both directions against a real berthd: bytes, modes, the
// trailing "/." rule, symlinks resolved inside the container, stopped containers and volumes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import tar from 'tar-stream';
import { assertDockerTalksToBerth, docker } from '../helpers/cli';
import { request, startDaemon, type TestDaemon } from '../helpers/daemon';

let daemon: TestDaemon;
let work: string;

before(async () => {
  daemon = await startDaemon();
  await assertDockerTalksToBerth(daemon);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cp-'));
  await docker(daemon, ['run', '-d', '--name', 'box', 'busybox', 'sleep', '1000']);
});

after(async () => {
  await daemon?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

async function inContainer(container: string, command: string): Promise<string> {
  const result = await docker(daemon, ['exec', container, 'sh', '-c', command]);
  assert.equal(result.exitCode, 0, result.stderr);
  return result.stdout;
}

test('cp file into and out of a container', async () => {
  const source = path.join(work, 'data.bin');
  const content = randomBytes(1536);
  fs.writeFileSync(source, content, { mode: 0o640 });
  fs.chmodSync(source, 0o640);

  const into = await docker(daemon, ['cp', source, 'box:/tmp/data.bin']);
  assert.equal(into.exitCode, 0, into.stderr);
  assert.equal(await inContainer('box', 'stat -c %a /tmp/data.bin; md5sum < /tmp/data.bin'), `640\n${await hostMd5(content)}`);

  const back = path.join(work, 'back.bin');
  const out = await docker(daemon, ['cp', 'box:/tmp/data.bin', back]);
  assert.equal(out.exitCode, 0, out.stderr);
  assert.deepEqual(fs.readFileSync(back), content);
  assert.equal(fs.statSync(back).mode & 0o777, 0o640);
});

async function hostMd5(content: Buffer): Promise<string> {
  const { createHash } = await import('node:crypto');
  return `${createHash('md5').update(content).digest('hex')}  -\n`;
}

test('cp directory with and without trailing dot', async () => {
  const tree = path.join(work, 'tree');
  fs.mkdirSync(path.join(tree, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(tree, 'a.txt'), 'alpha\n');
  fs.writeFileSync(path.join(tree, 'sub', 'b.sh'), '#!/bin/sh\n', { mode: 0o755 });
  fs.chmodSync(path.join(tree, 'sub', 'b.sh'), 0o755);

  await inContainer('box', 'mkdir -p /dest1 /dest2');
  assert.equal((await docker(daemon, ['cp', tree, 'box:/dest1'])).exitCode, 0);
  assert.equal((await docker(daemon, ['cp', `${tree}/.`, 'box:/dest2'])).exitCode, 0);
  assert.equal(await inContainer('box', 'cat /dest1/tree/a.txt; stat -c %a /dest1/tree/sub/b.sh'), 'alpha\n755\n');
  assert.equal(await inContainer('box', 'cat /dest2/a.txt; stat -c %a /dest2/sub/b.sh; test ! -e /dest2/tree && echo flat'), 'alpha\n755\nflat\n');

  const whole = path.join(work, 'whole');
  fs.mkdirSync(whole);
  assert.equal((await docker(daemon, ['cp', 'box:/dest1/tree', whole])).exitCode, 0);
  assert.equal(fs.readFileSync(path.join(whole, 'tree', 'a.txt'), 'utf8'), 'alpha\n');
  assert.equal(fs.statSync(path.join(whole, 'tree', 'sub', 'b.sh')).mode & 0o777, 0o755);

  const content = path.join(work, 'content');
  fs.mkdirSync(content);
  assert.equal((await docker(daemon, ['cp', 'box:/dest1/tree/.', content])).exitCode, 0);
  assert.equal(fs.readFileSync(path.join(content, 'a.txt'), 'utf8'), 'alpha\n');
  assert.equal(fs.existsSync(path.join(content, 'tree')), false);
});

test('cp through a symlink stays in the container', async () => {
  const marker = `berth-cp-marker-${randomBytes(4).toString('hex')}`;
  await inContainer('box', 'ln -s /etc /linked-etc');
  const source = path.join(work, marker);
  fs.writeFileSync(source, 'inside\n');

  const result = await docker(daemon, ['cp', source, 'box:/linked-etc/']);
  assert.equal(result.exitCode, 0, result.stderr);
  // Positive control: the marker is in the container's /etc.
  assert.equal(await inContainer('box', `cat /etc/${marker}`), 'inside\n');
  assert.equal(fs.existsSync(path.join('/etc', marker)), false);

  // Reading through the link returns the container's /etc/hostname, not the host's.
  const hostnameCopy = path.join(work, 'hostname');
  assert.equal((await docker(daemon, ['cp', 'box:/linked-etc/hostname', hostnameCopy])).exitCode, 0);
  assert.equal(fs.readFileSync(hostnameCopy, 'utf8'), await inContainer('box', 'cat /etc/hostname'));
});

test('cp with a stopped container and a volume', async () => {
  await docker(daemon, ['create', '--name', 'parked', '-v', 'cpvol:/data', 'busybox', 'sh', '-c', 'cat /data/in.txt /root/in.txt']);
  const source = path.join(work, 'in.txt');
  fs.writeFileSync(source, 'parked\n');
  assert.equal((await docker(daemon, ['cp', source, 'parked:/data/in.txt'])).exitCode, 0);
  assert.equal((await docker(daemon, ['cp', source, 'parked:/root/in.txt'])).exitCode, 0);
  const started = await docker(daemon, ['start', '-a', 'parked']);
  assert.equal(started.stdout, 'parked\nparked\n');

  const out = path.join(work, 'from-stopped.txt');
  const copied = await docker(daemon, ['cp', 'parked:/root/in.txt', out]);
  assert.equal(copied.exitCode, 0, copied.stderr);
  assert.equal(fs.readFileSync(out, 'utf8'), 'parked\n');
  await docker(daemon, ['rm', 'parked']);
});

test('archive API stat header and missing path', async () => {
  const head = await request(daemon.socketPath, 'HEAD', '/containers/box/archive?path=/etc');
  assert.equal(head.status, 200);
  const stat = JSON.parse(Buffer.from(String(head.headers['x-docker-container-path-stat']), 'base64').toString()) as { name: string; mode: number };
  assert.equal(stat.name, 'etc');
  assert.equal(stat.mode, 2 ** 31 + 0o755);

  const missing = await request(daemon.socketPath, 'GET', '/containers/box/archive?path=/no/such/file');
  assert.equal(missing.status, 404);
  assert.match(missing.json<{ message: string }>().message, /Could not find the file \/no\/such\/file in container box/);

  const notDirectory = await request(daemon.socketPath, 'PUT', '/containers/box/archive?path=/etc/hostname', Buffer.alloc(1024), { 'Content-Type': 'application/x-tar' });
  assert.equal(notDirectory.status, 400);
});

async function singleFileTar(name: string, content: string): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name, mode: 0o644 }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

test('archive PUT noOverwriteDirNonDir', async () => {
  await inContainer('box', 'mkdir -p /tmp/slot/inner');
  const archive = await singleFileTar('slot', 'now a file\n');
  const headers = { 'Content-Type': 'application/x-tar' };

  const rejected = await request(daemon.socketPath, 'PUT', '/containers/box/archive?path=/tmp&noOverwriteDirNonDir=1', archive, headers);
  assert.equal(rejected.status, 400);
  assert.match(rejected.json<{ message: string }>().message, /cannot overwrite directory/);
  assert.equal(await inContainer('box', 'test -d /tmp/slot/inner && echo kept'), 'kept\n');

  // Control: without the flag the file replaces the directory.
  const replaced = await request(daemon.socketPath, 'PUT', '/containers/box/archive?path=/tmp', archive, headers);
  assert.equal(replaced.status, 200);
  assert.equal(await inContainer('box', 'cat /tmp/slot'), 'now a file\n');
});
