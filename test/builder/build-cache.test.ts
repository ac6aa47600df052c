// The build cache, shown by a side effect outside the build: every RUN
// appends a line to a log in a cache mount, which lives under the daemon's
// root and survives builds. A RUN that the cache skips appends nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { request, startDaemon, type TestDaemon } from '../helpers/daemon';
import { buildOk, findCacheMount, updateContext, writeContext } from './build-harness';

let daemon: TestDaemon;
let directory: string;
const cacheId = `counter-${randomBytes(4).toString('hex')}`;

const DOCKERFILE = [
  'FROM busybox',
  `RUN --mount=type=cache,id=${cacheId},target=/counter echo first >> /counter/log`,
  'COPY data.txt /data.txt',
  `RUN --mount=type=cache,id=${cacheId},target=/counter echo after-copy >> /counter/log`,
  'ARG FLAVOR=plain',
  `RUN --mount=type=cache,id=${cacheId},target=/counter echo "flavor $FLAVOR" >> /counter/log`,
  'CMD ["cat", "/data.txt"]',
  '',
].join('\n');

before(async () => {
  daemon = await startDaemon();
  directory = await writeContext({ Dockerfile: DOCKERFILE, 'data.txt': 'version one\n' });
});

after(async () => {
  await daemon?.stop();
  if (directory) await fsp.rm(directory, { recursive: true, force: true });
});

// The lines the RUN steps have appended so far, in order.
async function runLog(): Promise<string[]> {
  const hashed = createHash('sha256').update(cacheId).digest('hex').slice(0, 32);
  const mount = await findCacheMount(daemon, hashed);
  assert.ok(mount, `cache mount ${cacheId} not found under ${daemon.root}`);
  const text = await fsp.readFile(path.join(mount, 'log'), 'utf8');
  return text.split('\n').filter((line) => line !== '');
}

test('cache skips and reruns steps', async (t) => {
  const first = await buildOk(daemon, directory, { tags: ['cached'] });
  assert.deepEqual(await runLog(), ['first', 'after-copy', 'flavor plain']);

  await t.test('unchanged rebuild runs no RUN', async () => {
    const again = await buildOk(daemon, directory, { tags: ['cached'] });
    assert.equal(again.imageId, first.imageId);
    assert.deepEqual(await runLog(), ['first', 'after-copy', 'flavor plain']);
  });

  await t.test('new timestamp alone reruns nothing', async () => {
    const future = new Date(Date.now() + 3600_000);
    await fsp.utimes(path.join(directory, 'data.txt'), future, future);
    const again = await buildOk(daemon, directory, { tags: ['cached'] });
    assert.equal(again.imageId, first.imageId);
    assert.deepEqual(await runLog(), ['first', 'after-copy', 'flavor plain']);
  });

  await t.test('changed file reruns from its COPY', async () => {
    await updateContext(directory, { 'data.txt': 'version two\n' });
    const changed = await buildOk(daemon, directory, { tags: ['cached'] });
    assert.notEqual(changed.imageId, first.imageId);
    assert.deepEqual(await runLog(), ['first', 'after-copy', 'flavor plain', 'after-copy', 'flavor plain']);
  });

  await t.test('changed build arg reruns its step', async () => {
    await buildOk(daemon, directory, { tags: ['cached'], buildArgs: { FLAVOR: 'spicy' } });
    assert.deepEqual(await runLog(), ['first', 'after-copy', 'flavor plain', 'after-copy', 'flavor plain', 'flavor spicy']);
  });

  await t.test('no-cache runs every RUN', async () => {
    await buildOk(daemon, directory, { tags: ['cached'], noCache: true });
    const log = await runLog();
    assert.deepEqual(log.slice(6), ['first', 'after-copy', 'flavor plain']);
  });

  await t.test('prune empties the cache', async () => {
    const pruned = await request(daemon.socketPath, 'POST', '/build/prune?all=1');
    assert.equal(pruned.status, 200, pruned.body.toString());
    const body = pruned.json<{ CachesDeleted: string[]; SpaceReclaimed: number }>();
    assert.ok(body.CachesDeleted.length > 0);
    assert.ok(body.SpaceReclaimed > 0);

    // The cache mount went with it, and every RUN runs again into a new log.
    const hashed = createHash('sha256').update(cacheId).digest('hex').slice(0, 32);
    assert.equal(await findCacheMount(daemon, hashed), null);
    await buildOk(daemon, directory, { tags: ['cached'] });
    assert.deepEqual(await runLog(), ['first', 'after-copy', 'flavor plain']);
  });

  await t.test('cache survives a daemon restart', async () => {
    const before = await buildOk(daemon, directory, { tags: ['cached'] });
    await daemon.restartDaemon();
    const after = await buildOk(daemon, directory, { tags: ['cached'] });
    assert.equal(after.imageId, before.imageId);
    assert.deepEqual(await runLog(), ['first', 'after-copy', 'flavor plain']);
  });
});
