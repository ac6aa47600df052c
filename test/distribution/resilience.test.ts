// Transient registry failures (503, a connection reset mid-body) are retried,
// and a daemon killed in the middle of a pull leaves nothing behind that the
// next pull trips over.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon';
import { BUSYBOX_ARCHIVE, skopeoPush, useRegistry, type TestRegistry } from './registry';
import { makeLayerTar, pushDerivedImage, readBaseImage, sha256, type BaseImage } from './fixtures';
import { startFlakyProxy, type FlakyProxy } from './flaky-proxy';
import { apiJson, apiPull } from './api';

let registry: TestRegistry;
let base: BaseImage;
const cleanups: Array<() => Promise<void>> = [];

before(async () => {
  registry = await useRegistry();
  await skopeoPush(registry, `docker-archive:${BUSYBOX_ARCHIVE}`, registry.repository('library/busybox:latest'));
  base = await readBaseImage(registry, registry.repository('library/busybox'), 'latest');
});

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await registry?.stop();
});

async function daemonFor(proxy: FlakyProxy): Promise<TestDaemon> {
  const daemon = await startDaemon({ loadBusybox: false, extraEnv: { BERTH_REGISTRY_MIRRORS: `http://${proxy.host}`, BERTH_REGISTRY_MIRRORS_ONLY: '1' } });
  cleanups.push(() => daemon.stop());
  return daemon;
}

test('transient failures are retried', async () => {
  const layerDigest = base.manifest.layers[0].digest;
  const proxy = await startFlakyProxy(registry.url, (method, requestPath, count) => {
    if (method === 'GET' && requestPath.endsWith(`/blobs/${layerDigest}`)) {
      if (count === 1) return 'status-503';
      if (count === 2) return 'reset-mid-body';
      return 'pass';
    }
    if (method === 'GET' && requestPath.includes('/manifests/') && count === 1) return 'status-503';
    return 'pass';
  });
  cleanups.push(() => proxy.stop());
  const daemon = await daemonFor(proxy);

  const messages = await apiPull(daemon, `${proxy.host}/${registry.repository('library/busybox')}`, 'latest');
  assert.equal(messages.find((message) => message.error), undefined, JSON.stringify(messages));
  assert.equal(proxy.counts.get(`GET /v2/${registry.repository('library/busybox')}/blobs/${layerDigest}`), 3, 'the layer was fetched three times');
  const log = fs.readFileSync(daemon.logFile, 'utf8');
  assert.match(log, /retrying/);
  // The layer was unpacking while it downloaded, so after the restart the finished file is unpacked again.
  assert.match(log, /unpacking the downloaded blob again/);
});

test('killed pull leaves no partial state', async () => {
  const extra = makeLayerTar({ 'stalled.txt': 'the first download of this layer stalls\n' });
  const blob = sha256(extra);
  await pushDerivedImage(registry, registry.repository('test/stall'), 'latest', base, [{ uncompressed: extra, blob: extra, mediaType: 'application/vnd.oci.image.layer.v1.tar' }]);
  const proxy = await startFlakyProxy(registry.url, (method, requestPath, count) => (method === 'GET' && requestPath.endsWith(`/blobs/${blob}`) && count === 1 ? 'stall' : 'pass'));
  cleanups.push(() => proxy.stop());
  const daemon = await daemonFor(proxy);

  const pulling = apiPull(daemon, `${proxy.host}/${registry.repository('test/stall')}`, 'latest').catch((error: Error) => error);
  const deadline = Date.now() + 20_000;
  while (proxy.stalled === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(proxy.stalled, 1, 'the layer download reached the stall');
  await new Promise((resolve) => setTimeout(resolve, 300));
  await daemon.killDaemon();
  await pulling;

  const temporary = path.join(daemon.root, 'data/image/tmp');
  assert.ok(fs.readdirSync(temporary).length > 0, 'the killed pull had a work directory');
  await daemon.restartDaemon();
  assert.deepEqual(fs.readdirSync(temporary), [], 'the restart removed the work directory');
  const images = await apiJson(daemon, 'GET', '/images/json');
  assert.deepEqual(images, [], 'no image record from the killed pull');

  const messages = await apiPull(daemon, `${proxy.host}/${registry.repository('test/stall')}`, 'latest');
  assert.equal(messages.find((message) => message.error), undefined, JSON.stringify(messages));
  assert.equal(messages.at(-1)?.status, `Status: Downloaded newer image for ${proxy.host}/${registry.repository('test/stall')}:latest`);
});
