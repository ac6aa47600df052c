// docker diff and docker export against a real berthd. The changes a
// container made are listed with Docker's kinds. The exported tar, read
// back with GNU tar, contains the container's whole filesystem.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon';
import { assertDockerTalksToBerth, docker } from '../helpers/cli';
import { requestJson } from './api';

// Adds, modifies, deletes and replaces a directory (an opaque directory in the upper layer).
const CHANGE_SCRIPT = [
  'echo new > /added.txt',
  'mkdir -p /newdir/sub && echo deep > /newdir/sub/file',
  'echo extra >> /etc/group',
  'rm /etc/passwd',
  'rm -rf /usr/sbin && mkdir /usr/sbin && echo fresh > /usr/sbin/only',
  'ln -s /etc/group /link-out',
  'ln /added.txt /added-hardlink',
  'chmod 700 /tmp',
].join(' && ');

let daemon: TestDaemon;
let scratch: string;

before(async () => {
  scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-diff-'));
  daemon = await startDaemon();
  await assertDockerTalksToBerth(daemon);
  const created = await docker(daemon, ['run', '--name', 'changed', 'busybox', 'sh', '-c', CHANGE_SCRIPT]);
  assert.equal(created.exitCode, 0, created.stderr);
});

after(async () => {
  await daemon?.stop();
  if (scratch) await fsp.rm(scratch, { recursive: true, force: true });
});

function parseDiff(output: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const line of output.trim().split('\n')) {
    const [kind, entryPath] = line.split(' ', 2);
    result.set(entryPath, kind);
  }
  return result;
}

test('docker diff lists added, changed and deleted files', async () => {
  const result = await docker(daemon, ['diff', 'changed']);
  assert.equal(result.exitCode, 0, result.stderr);
  const changes = parseDiff(result.stdout);
  assert.equal(changes.get('/added.txt'), 'A', result.stdout);
  assert.equal(changes.get('/newdir'), 'A', result.stdout);
  assert.equal(changes.get('/newdir/sub/file'), 'A', result.stdout);
  assert.equal(changes.get('/etc/group'), 'C', result.stdout);
  assert.equal(changes.get('/etc'), 'C', 'the parent of a change is listed as changed');
  assert.equal(changes.get('/etc/passwd'), 'D', result.stdout);
  assert.equal(changes.get('/usr/sbin'), 'C', 'a replaced directory is changed');
  assert.equal(changes.get('/usr/sbin/only'), 'A', result.stdout);
  assert.equal(changes.get('/usr/sbin/brctl'), 'D', 'entries a replaced directory hides are deleted');
  assert.equal(changes.get('/tmp'), 'C', 'a mode change counts');
  assert.equal(changes.get('/link-out'), 'A', result.stdout);
  // Positive control above, negative here: untouched files of the image are not listed.
  assert.equal(changes.get('/bin'), undefined, result.stdout);
  assert.equal(changes.get('/usr/bin'), undefined, result.stdout);
  assert.equal(changes.get('/home'), undefined, result.stdout);
  assert.equal(changes.get('/proc'), undefined, 'runtime mount points are not changes');
  assert.equal(changes.get('/etc/hosts'), undefined, 'runtime files are not changes');
});

test('changes API shape and a running container', async () => {
  const started = await docker(daemon, ['run', '-d', '--name', 'live', 'busybox', 'sh', '-c', 'echo hi > /running.txt && sleep 60']);
  assert.equal(started.exitCode, 0, started.stderr);
  let changes: Array<{ Path: string; Kind: number }> = [];
  for (let attempt = 0; attempt < 50; attempt++) {
    const response = await requestJson(daemon, 'GET', '/containers/live/changes');
    assert.equal(response.status, 200, response.text);
    changes = response.json;
    if (changes.some((change) => change.Path === '/running.txt')) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.deepEqual(changes.find((change) => change.Path === '/running.txt'), { Path: '/running.txt', Kind: 1 });

  const fresh = await docker(daemon, ['create', '--name', 'fresh', 'busybox']);
  assert.equal(fresh.exitCode, 0, fresh.stderr);
  const none = await requestJson(daemon, 'GET', '/containers/fresh/changes');
  assert.equal(none.status, 200, none.text);
  assert.deepEqual(none.json, []);

  const missing = await requestJson(daemon, 'GET', '/containers/absent/changes');
  assert.equal(missing.status, 404, missing.text);
});

test('docker export of a stopped container', async () => {
  const archive = path.join(scratch, 'stopped.tar');
  const result = await docker(daemon, ['export', '-o', archive, 'changed']);
  assert.equal(result.exitCode, 0, result.stderr);
  const listing = execFileSync('tar', ['-tvf', archive], { encoding: 'utf8' });
  const names = new Set(execFileSync('tar', ['-tf', archive], { encoding: 'utf8' }).trim().split('\n'));
  assert.ok(names.has('added.txt'), listing.slice(0, 2000));
  assert.ok(names.has('newdir/sub/file'));
  assert.ok(names.has('bin/sh'), 'files of the image are exported too');
  assert.ok(names.has('usr/sbin/only'));
  assert.ok(names.has('etc/group'), 'a kept file is exported');
  assert.ok(!names.has('etc/passwd'), 'a deleted file is not exported');
  assert.ok(!names.has('usr/sbin/brctl'), 'a file hidden by a replaced directory is not exported');
  assert.ok(![...names].some((name) => name.startsWith('.wh.') || name.includes('/.wh.')), 'no whiteouts in an export');

  const extracted = path.join(scratch, 'stopped');
  await fsp.mkdir(extracted);
  execFileSync('tar', ['-xf', archive, '-C', extracted, '--no-same-owner']);
  assert.equal(await fsp.readFile(path.join(extracted, 'added.txt'), 'utf8'), 'new\n');
  assert.match(await fsp.readFile(path.join(extracted, 'etc/group'), 'utf8'), /extra\n$/);
  assert.equal(await fsp.readlink(path.join(extracted, 'link-out')), '/etc/group', 'symlinks are kept, not followed');
  const original = await fsp.stat(path.join(extracted, 'added.txt'));
  const hardLink = await fsp.stat(path.join(extracted, 'added-hardlink'));
  assert.equal(hardLink.ino, original.ino, 'hard links stay linked');
  assert.equal((await fsp.stat(path.join(extracted, 'tmp'))).mode & 0o7777, 0o700);
  assert.match(listing, /-rwxr-xr-x 0\/0 +1982256 .* bin\/arch\n/);

  const leftovers = fs.readdirSync(path.join(daemon.root, 'run')).filter((name) => name.startsWith('export-'));
  assert.deepEqual(leftovers, [], 'the temporary mount is removed');
});

test('docker export of a running container', async () => {
  const archive = path.join(scratch, 'running.tar');
  const result = await docker(daemon, ['export', '-o', archive, 'live']);
  assert.equal(result.exitCode, 0, result.stderr);
  const names = new Set(execFileSync('tar', ['-tf', archive], { encoding: 'utf8' }).trim().split('\n'));
  assert.ok(names.has('running.txt'));
  assert.ok(names.has('bin/sh'));
  assert.ok(!names.has('added.txt'), 'another container’s file is not in this export');
});

test('export and commit keep xattrs', async () => {
  const longDirectory = `deep/${'d'.repeat(90)}`;
  const made = await docker(daemon, ['run', '--name', 'attributes', 'busybox', 'sh', '-c', `echo x > /with-attr && mkdir -p /${longDirectory} && echo y > /${longDirectory}/long-attr`]);
  assert.equal(made.exitCode, 0, made.stderr);
  const id = (await docker(daemon, ['inspect', '--format', '{{.Id}}', 'attributes'])).stdout.trim();
  const upper = path.join(daemon.root, 'data', 'containers', id, 'upper');
  // A binary value (0x80 is not valid UTF-8) checks that the bytes pass through unchanged.
  execFileSync('setfattr', ['-n', 'user.berth', '-v', '0x80ff00', path.join(upper, 'with-attr')]);
  execFileSync('setfattr', ['-n', 'user.berth', '-v', '0x01', path.join(upper, longDirectory, 'long-attr')]);

  const archive = path.join(scratch, 'attributes.tar');
  const exported = await docker(daemon, ['export', '-o', archive, 'attributes']);
  assert.equal(exported.exitCode, 0, exported.stderr);
  const extracted = path.join(scratch, 'attributes');
  await fsp.mkdir(extracted);
  execFileSync('tar', ['--xattrs', '--xattrs-include=user.*', '-xf', archive, '-C', extracted, '--no-same-owner']);
  // getfattr prints "user.berth=0x..." after a "# file:" line; --only-values would print raw bytes instead of hex.
  const readAttribute = (file: string) => /^user\.berth=(\S+)$/m.exec(execFileSync('getfattr', ['-e', 'hex', '-n', 'user.berth', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))?.[1];
  assert.equal(readAttribute(path.join(extracted, 'with-attr')), '0x80ff00');
  assert.equal(readAttribute(path.join(extracted, longDirectory, 'long-attr')), '0x01');
  assert.equal(await fsp.readFile(path.join(extracted, longDirectory, 'long-attr'), 'utf8'), 'y\n', 'the long path comes from the PAX header');
  assert.ok(!fs.existsSync(path.join(extracted, 'PaxPath')), 'no placeholder name is left');
  assert.throws(() => readAttribute(path.join(extracted, 'etc', 'group')), 'files without xattrs get none');

  const committed = await docker(daemon, ['commit', 'attributes', 'attributes:v1']);
  assert.equal(committed.exitCode, 0, committed.stderr);
  const layersDirectory = path.join(daemon.root, 'data', 'image', 'layers');
  const unpacked = fs.readdirSync(layersDirectory).map((name) => path.join(layersDirectory, name, 'diff', 'with-attr')).filter((file) => fs.existsSync(file));
  assert.equal(unpacked.length, 1, 'the committed layer is unpacked once');
  assert.equal(readAttribute(unpacked[0]), '0x80ff00');
});
