// docker commit and docker image prune against a real berthd. A committed
// image runs with its new config and contains the container's files and
// deletions. Prune removes unused images but keeps used and tagged ones.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon';
import { assertDockerTalksToBerth, docker } from '../helpers/cli';
import { requestBytes, requestJson } from './api';

const execFileAsync = promisify(execFile);

let daemon: TestDaemon;
let scratch: string;

before(async () => {
  scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-commit-'));
  daemon = await startDaemon();
  await assertDockerTalksToBerth(daemon);
});

after(async () => {
  await daemon?.stop();
  if (scratch) await fsp.rm(scratch, { recursive: true, force: true });
});

async function imageId(reference: string): Promise<string> {
  const result = await docker(daemon, ['image', 'inspect', '--format', '{{.Id}}', reference]);
  assert.equal(result.exitCode, 0, result.stderr);
  return result.stdout.trim();
}

test('docker commit with a CMD change', async () => {
  const made = await docker(daemon, ['run', '--name', 'source', 'busybox', 'sh', '-c', 'echo committed > /made.txt && rm /etc/passwd && mkdir -p /data/deep && echo x > /data/deep/y']);
  assert.equal(made.exitCode, 0, made.stderr);

  const committed = await docker(daemon, ['commit', '--change', 'CMD ["echo","hi"]', '-m', 'first commit', '-a', 'Tester <t@example.com>', 'source', 'committed:v1']);
  assert.equal(committed.exitCode, 0, committed.stderr);
  assert.match(committed.stdout, /^sha256:[0-9a-f]{64}\n$/);

  const run = await docker(daemon, ['run', '--rm', 'committed:v1']);
  assert.equal(run.exitCode, 0, run.stderr);
  assert.equal(run.stdout, 'hi\n');

  const content = await docker(daemon, ['run', '--rm', 'committed:v1', 'cat', '/made.txt', '/data/deep/y']);
  assert.equal(content.stdout, 'committed\nx\n', content.stderr);
  const deleted = await docker(daemon, ['run', '--rm', 'committed:v1', 'ls', '/etc/passwd']);
  assert.notEqual(deleted.exitCode, 0, 'a file deleted in the container is gone from the image');
  const kept = await docker(daemon, ['run', '--rm', 'committed:v1', 'ls', '/etc/group']);
  assert.equal(kept.exitCode, 0, 'files the container kept are still there');

  const inspected = await requestJson(daemon, 'GET', '/images/committed:v1/json');
  assert.equal(inspected.status, 200, inspected.text);
  assert.deepEqual(inspected.json.Config.Cmd, ['echo', 'hi']);
  assert.equal(inspected.json.Author, 'Tester <t@example.com>');
  assert.equal(inspected.json.Comment, 'first commit');
  assert.equal(inspected.json.RootFS.Layers.length, 2);

  const history = await docker(daemon, ['history', '--format', '{{.Comment}}', 'committed:v1']);
  assert.equal(history.stdout.split('\n')[0], 'first commit', history.stdout);
});

test('commit of a running container pauses it', async () => {
  const started = await docker(daemon, ['run', '-d', '--name', 'busy', 'busybox', 'sh', '-c', 'echo live > /live.txt && sleep 60']);
  assert.equal(started.exitCode, 0, started.stderr);
  for (let attempt = 0; attempt < 50; attempt++) {
    const changes = await requestJson(daemon, 'GET', '/containers/busy/changes');
    if ((changes.json as Array<{ Path: string }>).some((change) => change.Path === '/live.txt')) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const response = await requestJson(daemon, 'POST', `/commit?${new URLSearchParams({ container: 'busy', repo: 'live', tag: 'v1', pause: 'true' })}`, { Env: ['FROM_BODY=1'] });
  assert.equal(response.status, 201, response.text);
  assert.match(response.json.Id, /^sha256:[0-9a-f]{64}$/);
  assert.equal(await imageId('live:v1'), response.json.Id);

  const pausedLines = async () => (await fsp.readFile(daemon.logFile, 'utf8')).split('\n').filter((line) => line.includes('"msg":"container paused"')).length;
  assert.equal(await pausedLines(), 1, 'pause=true pauses the container during the commit');
  const unpausedCommit = await requestJson(daemon, 'POST', `/commit?${new URLSearchParams({ container: 'busy', pause: 'false' })}`);
  assert.equal(unpausedCommit.status, 201, unpausedCommit.text);
  assert.equal(await pausedLines(), 1, 'pause=false leaves the container running');

  const state = await docker(daemon, ['inspect', '--format', '{{.State.Status}}', 'busy']);
  assert.equal(state.stdout.trim(), 'running', 'the container runs again after the commit');
  const run = await docker(daemon, ['run', '--rm', 'live:v1', 'sh', '-c', 'cat /live.txt; echo $FROM_BODY']);
  assert.equal(run.stdout, 'live\n1\n', run.stderr);

  const missing = await requestJson(daemon, 'POST', '/commit?container=absent');
  assert.equal(missing.status, 404, missing.text);
});

test('committed image saves and reads in skopeo', async () => {
  const response = await requestBytes(daemon, 'GET', '/images/committed:v1/get');
  assert.equal(response.status, 200, response.body.toString().slice(0, 500));
  const file = path.join(scratch, 'committed.tar');
  await fsp.writeFile(file, response.body);
  const { stdout } = await execFileAsync('skopeo', ['inspect', '--config', `docker-archive:${file}`], { timeout: 60_000 });
  const config = JSON.parse(stdout) as { rootfs: { diff_ids: string[] }; config: { Cmd: string[] } };
  assert.equal(config.rootfs.diff_ids.length, 2);
  assert.deepEqual(config.config.Cmd, ['echo', 'hi']);

  const layerMember = `blobs/sha256/${config.rootfs.diff_ids[1].slice('sha256:'.length)}`;
  const layer = path.join(scratch, 'committed-layer.tar');
  await fsp.writeFile(layer, execFileSync('tar', ['-xOf', file, layerMember], { maxBuffer: 64 * 1024 * 1024 }));
  const entries = execFileSync('tar', ['-tf', layer], { encoding: 'utf8' }).trim().split('\n');
  assert.ok(entries.includes('made.txt'), entries.join(' '));
  assert.ok(entries.includes('data/deep/y'), entries.join(' '));
  assert.ok(entries.includes('etc/.wh.passwd'), 'a deletion is a whiteout entry in the layer');
  assert.ok(!entries.includes('etc/hosts'), 'files the runtime created are not committed');
  assert.ok(!entries.includes('bin/sh'), 'files of the parent image are not repeated');
});

test('docker image prune removes a dangling image only', async () => {
  const made = await docker(daemon, ['run', '--name', 'for-dangling', 'busybox', 'touch', '/dangling']);
  assert.equal(made.exitCode, 0, made.stderr);
  const dangling = await docker(daemon, ['commit', 'for-dangling']);
  assert.equal(dangling.exitCode, 0, dangling.stderr);
  const danglingId = dangling.stdout.trim();
  const removed = await docker(daemon, ['rm', 'for-dangling']);
  assert.equal(removed.exitCode, 0, removed.stderr);

  // An untagged image a container uses stays.
  await docker(daemon, ['run', '--name', 'for-used', 'busybox', 'touch', '/used']);
  const used = await docker(daemon, ['commit', 'for-used']);
  const usedId = used.stdout.trim();
  const user = await docker(daemon, ['create', '--name', 'user', usedId]);
  assert.equal(user.exitCode, 0, user.stderr);

  const pruned = await docker(daemon, ['image', 'prune', '-f']);
  assert.equal(pruned.exitCode, 0, pruned.stderr);
  assert.match(pruned.stdout, new RegExp(`deleted: ${danglingId}`), pruned.stdout);
  assert.match(pruned.stdout, /Total reclaimed space: /);

  const gone = await docker(daemon, ['image', 'inspect', danglingId]);
  assert.notEqual(gone.exitCode, 0, 'the dangling image is removed');
  assert.equal(await imageId(usedId), usedId, 'an image a container uses stays');
  assert.ok((await imageId('committed:v1')).startsWith('sha256:'), 'a tagged image stays');
  assert.ok((await imageId('busybox')).startsWith('sha256:'));
});

test('image prune of all unused images with filters', async () => {
  await docker(daemon, ['run', '--name', 'labelled', 'busybox', 'sh', '-c', 'echo labelled > /labelled.txt']);
  const labelled = await docker(daemon, ['commit', '--change', 'LABEL keep=yes', 'labelled', 'labelled:v1']);
  assert.equal(labelled.exitCode, 0, labelled.stderr);
  await docker(daemon, ['rm', 'labelled']);

  const tooNew = await requestJson(daemon, 'POST', `/images/prune?filters=${encodeURIComponent(JSON.stringify({ dangling: ['false'], until: ['1h'] }))}`);
  assert.equal(tooNew.status, 200, tooNew.text);
  assert.deepEqual(tooNew.json.ImagesDeleted, [], 'until=1h keeps images created within the hour');
  const excluded = await requestJson(daemon, 'POST', `/images/prune?filters=${encodeURIComponent(JSON.stringify({ dangling: ['false'], label: ['keep'], 'label!': ['keep=yes'] }))}`);
  assert.equal(excluded.status, 200, excluded.text);
  assert.deepEqual(excluded.json.ImagesDeleted, [], 'label! excludes the labelled image');

  const all = await requestJson(daemon, 'POST', `/images/prune?filters=${encodeURIComponent(JSON.stringify({ dangling: ['false'], label: ['keep=yes'] }))}`);
  assert.equal(all.status, 200, all.text);
  const deleted = all.json.ImagesDeleted as Array<{ Untagged?: string; Deleted?: string }>;
  assert.ok(deleted.some((entry) => entry.Untagged === 'labelled:v1'), all.text);
  assert.ok(deleted.some((entry) => entry.Deleted?.startsWith('sha256:')), all.text);
  assert.ok(all.json.SpaceReclaimed > 0, all.text);
  const gone = await docker(daemon, ['image', 'inspect', 'labelled:v1']);
  assert.notEqual(gone.exitCode, 0);
  assert.ok((await imageId('committed:v1')).startsWith('sha256:'), 'the label filter keeps images without the label');

  const invalid = await requestJson(daemon, 'POST', `/images/prune?filters=${encodeURIComponent(JSON.stringify({ colour: ['red'] }))}`);
  assert.equal(invalid.status, 400, invalid.text);
});
