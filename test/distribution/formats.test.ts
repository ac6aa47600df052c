// Layers compressed with zstd and uncompressed layers in OCI manifests, and a
// blob corrupted in the registry's storage: pulls verify every digest and
// leave nothing of a failed layer in the store.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon';
import { docker } from '../helpers/cli';
import { BUSYBOX_ARCHIVE, skopeoPush, useRegistry, type TestRegistry } from './registry';
import { makeLayerTar, pushDerivedImage, readBaseImage, sha256, zstdCompress, type BaseImage } from './fixtures';
import { apiJson, apiPull } from './api';

let registry: TestRegistry;
let daemon: TestDaemon;
let base: BaseImage;

before(async () => {
  registry = await useRegistry();
  await skopeoPush(registry, `docker-archive:${BUSYBOX_ARCHIVE}`, registry.repository('library/busybox:latest'));
  base = await readBaseImage(registry, registry.repository('library/busybox'), 'latest');
  daemon = await startDaemon({ loadBusybox: false, extraEnv: { BERTH_REGISTRY_MIRRORS: registry.url, BERTH_REGISTRY_MIRRORS_ONLY: '1' } });
});

after(async () => {
  await daemon?.stop();
  await registry?.stop();
});

test('zstd layer pulls and runs', async () => {
  const tar = makeLayerTar({ 'hello.txt': 'compressed with zstd\n' });
  await pushDerivedImage(registry, registry.repository('test/zstd'), 'latest', base, [{ uncompressed: tar, blob: zstdCompress(tar), mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' }]);
  const reference = `${registry.host}/${registry.repository('test/zstd')}`;
  const messages = await apiPull(daemon, reference, 'latest');
  assert.equal(messages.find((message) => message.error), undefined, JSON.stringify(messages));
  const ran = await docker(daemon, ['run', '--rm', reference, 'cat', '/hello.txt']);
  assert.equal(ran.exitCode, 0, ran.stderr);
  assert.equal(ran.stdout, 'compressed with zstd\n');
});

test('uncompressed layer pulls and runs', async () => {
  const tar = makeLayerTar({ 'hello.txt': 'not compressed\n' });
  await pushDerivedImage(registry, registry.repository('test/plain-tar'), 'latest', base, [{ uncompressed: tar, blob: tar, mediaType: 'application/vnd.oci.image.layer.v1.tar' }]);
  const reference = `${registry.host}/${registry.repository('test/plain-tar')}`;
  const messages = await apiPull(daemon, reference, 'latest');
  assert.equal(messages.find((message) => message.error), undefined, JSON.stringify(messages));
  const ran = await docker(daemon, ['run', '--rm', reference, 'cat', '/hello.txt']);
  assert.equal(ran.exitCode, 0, ran.stderr);
  assert.equal(ran.stdout, 'not compressed\n');
});

test('corrupted blob fails with digest mismatch', async () => {
  const good = makeLayerTar({ 'good.txt': 'this layer stays intact\n' });
  // The text contains the per-run repository name, so the blob's digest is unique to this run
  // and a shared registry cannot already contain it from another run.
  const tar = makeLayerTar({ 'hello.txt': `this blob gets corrupted in ${registry.repository('test/corrupt')}\n` });
  const pushed = await pushDerivedImage(registry, registry.repository('test/corrupt'), 'latest', base, [
    { uncompressed: good, blob: good, mediaType: 'application/vnd.oci.image.layer.v1.tar' },
    { uncompressed: tar, blob: tar, mediaType: 'application/vnd.oci.image.layer.v1.tar' },
  ]);
  const layerDigest = sha256(tar);
  const hex = layerDigest.slice('sha256:'.length);
  const blobFile = path.join(registry.storageDirectory, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
  const original = fs.readFileSync(blobFile);
  const content = Buffer.from(original);
  const position = content.indexOf('corrupted');
  assert.ok(position > 0, 'the layer text is in the stored blob');
  content.write('CORRUPTED', position);
  fs.writeFileSync(blobFile, content);

  const reference = `${registry.host}/${registry.repository('test/corrupt')}`;
  const messages = await apiPull(daemon, reference, 'latest');
  const failure = messages.at(-1);
  assert.equal(failure?.error, `filesystem layer verification failed for digest ${layerDigest}: digest mismatch: the content hashes to ${sha256(content)}`);

  const layerDirectory = path.join(daemon.root, 'data/image/layers');
  const chainHexes = fs.readdirSync(layerDirectory);
  const baseChainId = base.config.rootfs.diff_ids[0];
  const goodChainId = sha256(`${baseChainId} ${sha256(good)}`);
  const corruptChainId = sha256(`${goodChainId} ${layerDigest}`);
  assert.ok(chainHexes.includes(goodChainId.slice(7)), 'the intact layer below was stored');
  assert.ok(!chainHexes.includes(corruptChainId.slice(7)), 'the corrupted layer was not stored');
  assert.deepEqual(fs.readdirSync(path.join(daemon.root, 'data/image/tmp')), [], 'nothing left in the temporary directory');
  const images = await apiJson(daemon, 'GET', '/images/json');
  assert.ok(!images.some((image: { Id: string }) => image.Id === pushed.configDigest), 'no image record for the failed pull');
  assert.ok(!fs.existsSync(path.join(daemon.root, 'data/image/blobs/sha256', pushed.configDigest.slice(7))), 'no config blob stored');

  // Once the registry serves the right bytes, the next pull reuses the intact layer.
  fs.writeFileSync(blobFile, original);
  const retried = await apiPull(daemon, reference, 'latest');
  assert.equal(retried.find((message) => message.error), undefined, JSON.stringify(retried));
  const statusOf = (digest: string) => retried.filter((message) => message.id === digest.slice(7, 19)).map((message) => message.status);
  assert.ok(statusOf(sha256(good)).includes('Already exists'), JSON.stringify(retried));
  assert.ok(statusOf(layerDigest).includes('Pull complete'), JSON.stringify(retried));
  assert.ok(fs.existsSync(path.join(layerDirectory, corruptChainId.slice(7))));
});
