// docker import, docker tag and docker rmi semantics on a real store.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../../src/common/errors';
import { ImageService } from '../../src/image/service';
import { planRemoval } from '../../src/image/image-remove';
import { buildTar, listNames, makeTemporaryDirectory, mountLayers, quietLogger, removeTemporaryDirectory } from './helpers';

let root: string;
let storeCount = 0;

before(async () => {
  root = await makeTemporaryDirectory('berth-import-test-');
});

after(async () => {
  await removeTemporaryDirectory(root);
});

async function newService(): Promise<{ service: ImageService; storeRoot: string }> {
  const storeRoot = path.join(root, `store-${storeCount++}`);
  const service = new ImageService(storeRoot, quietLogger());
  await service.init();
  return { service, storeRoot };
}

async function importTar(service: ImageService, data: Buffer, reference: string | null, changes: string[] = [], message = ''): Promise<string> {
  return service.importRootfs(Readable.from([data]), { reference, changes, message });
}

const noContainer = () => null;

function conflict(message: string) {
  return (error: unknown) => error instanceof ConflictError && (error as Error).message === message;
}

test('import with changes', async () => {
  const { service, storeRoot } = await newService();
  const rootfs = await buildTar([
    { name: 'bin/', type: 'directory' },
    { name: 'bin/app', content: '#!/bin/sh\necho app\n', mode: 0o755 },
  ]);
  const id = await importTar(service, rootfs, 'imported:v1', ['CMD ["/bin/app", "--serve"]', 'ENV MODE=test', 'WORKDIR /srv'], 'from a test');

  const image = service.resolve('imported:v1');
  assert.equal(image.id, id);
  assert.deepEqual(image.repoTags, ['docker.io/library/imported:v1']);
  assert.deepEqual(image.config.config?.Cmd, ['/bin/app', '--serve']);
  assert.deepEqual(image.config.config?.Env, ['MODE=test']);
  assert.equal(image.config.config?.WorkingDir, '/srv');
  assert.equal(image.config.architecture, 'amd64');
  assert.equal(image.config.os, 'linux');
  assert.equal(image.config.rootfs.diff_ids.length, 1);
  assert.equal(image.config.history?.[0].comment, 'from a test');

  const scratch = path.join(root, 'import-mount');
  fs.mkdirSync(scratch);
  const mount = mountLayers(service.lowerLayers(id), scratch);
  try {
    assert.deepEqual(listNames(path.join(mount.merged, 'bin')), ['app']);
  } finally {
    mount.unmount();
  }

  // A gzip tar gives the same layer; an import without a name is reachable by ID only.
  const gzipId = await importTar(service, zlib.gzipSync(rootfs), null);
  assert.deepEqual(service.resolve(gzipId).repoTags, []);
  assert.deepEqual(service.resolve(gzipId).config.rootfs.diff_ids, image.config.rootfs.diff_ids);
  assert.equal(fs.readdirSync(path.join(storeRoot, 'layers')).length, 1);
});

test('import rejects bad input early', async () => {
  const { service, storeRoot } = await newService();
  const rootfs = await buildTar([{ name: 'file', content: 'x' }]);
  await assert.rejects(importTar(service, rootfs, 'Bad:tag'), (error: unknown) => error instanceof InvalidArgumentError && (error as Error).message === 'invalid reference format: repository name (library/Bad) must be lowercase');
  await assert.rejects(importTar(service, rootfs, 'ok:tag', ['RUN make']), /RUN is not a valid change command/);
  assert.deepEqual(fs.readdirSync(path.join(storeRoot, 'layers')), []);
  assert.deepEqual(service.list(), []);

  // Positive control: the same tar with a valid name imports.
  await importTar(service, rootfs, 'ok:tag');
  assert.equal(service.list().length, 1);
});

test('tag validation', async () => {
  const { service } = await newService();
  const id = await importTar(service, await buildTar([{ name: 'file', content: 'tag' }]), 'source');
  await service.tag('source', 'target:v2');
  await service.tag(id.slice(7, 19), 'localhost:5000/target');
  assert.deepEqual(service.resolve(id).repoTags, ['docker.io/library/source:latest', 'docker.io/library/target:v2', 'localhost:5000/target:latest']);

  await assert.rejects(service.tag('source', 'Upper'), (error: unknown) => error instanceof InvalidArgumentError && (error as Error).message === 'invalid reference format: repository name (library/Upper) must be lowercase');
  await assert.rejects(service.tag('source', `target@sha256:${'a'.repeat(64)}`), /refusing to create a tag with a digest reference/);
  await assert.rejects(service.tag('source', 'sha256:latest'), /refusing to create an ambiguous tag using digest algorithm as name/);
  await assert.rejects(service.tag('missing', 'target:v3'), (error: unknown) => error instanceof NotFoundError && (error as Error).message === 'No such image: missing');
});

test('remove untags then deletes', async () => {
  const { service, storeRoot } = await newService();
  const id = await importTar(service, await buildTar([{ name: 'file', content: 'remove' }]), 'first');
  await service.tag('first', 'second:v1');

  assert.deepEqual(await service.remove('second:v1', { force: false, noPrune: false }, noContainer), { untagged: ['second:v1'], deleted: [], deletedImages: [] });
  assert.equal(service.resolve('first').id, id);

  const layerChain = service.imageLayers(id).map((layer) => layer.chainId);
  assert.deepEqual(await service.remove('first', { force: false, noPrune: false }, noContainer), { untagged: ['first:latest'], deleted: [id, ...layerChain], deletedImages: [id] });
  assert.deepEqual(service.list(), []);
  assert.deepEqual(fs.readdirSync(path.join(storeRoot, 'layers')), []);
  assert.deepEqual(fs.readdirSync(path.join(storeRoot, 'l')), []);
  assert.deepEqual(fs.readdirSync(path.join(storeRoot, 'blobs', 'sha256')), []);
  await assert.rejects(service.remove('first', { force: false, noPrune: false }, noContainer), (error: unknown) => error instanceof NotFoundError && (error as Error).message === 'No such image: first');
});

test('remove by ID conflicts', async () => {
  const { service } = await newService();
  const id = await importTar(service, await buildTar([{ name: 'file', content: 'by id' }]), 'repo-one');
  await service.tag('repo-one', 'repo-two');
  const short = id.slice(7, 19);

  await assert.rejects(service.remove(short, { force: false, noPrune: false }, noContainer), conflict(`conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`));
  assert.equal(service.resolve(id).repoTags.length, 2);

  const result = await service.remove(short, { force: true, noPrune: false }, noContainer);
  assert.deepEqual(result.untagged, ['repo-one:latest', 'repo-two:latest']);
  assert.equal(result.deleted[0], id);

  // One tag: removing by ID untags and deletes without force.
  const single = await importTar(service, await buildTar([{ name: 'file', content: 'single' }]), 'single:v1');
  const removed = await service.remove(single, { force: false, noPrune: false }, noContainer);
  assert.deepEqual(removed.untagged, ['single:v1']);
  assert.equal(removed.deleted[0], single);
});

test('remove image used by a container', async () => {
  const { service } = await newService();
  const id = await importTar(service, await buildTar([{ name: 'file', content: 'used' }]), 'busybox');
  const containerId = 'c0ffee'.repeat(10) + 'abcd';
  const usedBy = (imageId: string) => (imageId === id ? containerId : null);
  const expected = `conflict: unable to remove repository reference "busybox" (must force) - container ${containerId.slice(0, 12)} is using its referenced image ${id.slice(7, 19)}`;

  await assert.rejects(service.remove('busybox', { force: false, noPrune: false }, usedBy), conflict(expected));
  await assert.rejects(service.remove(id, { force: false, noPrune: false }, usedBy), ConflictError);
  assert.deepEqual(service.resolve('busybox').id, id);

  // With a second tag, the first one can go without force; the image stays.
  await service.tag('busybox', 'busybox:other');
  assert.deepEqual(await service.remove('busybox', { force: false, noPrune: false }, usedBy), { untagged: ['busybox:latest'], deleted: [], deletedImages: [] });

  // Forced: untagged, but the layers stay for the container.
  assert.deepEqual(await service.remove('busybox:other', { force: true, noPrune: false }, usedBy), { untagged: ['busybox:other'], deleted: [], deletedImages: [] });
  assert.equal(service.resolve(id).id, id);
  assert.equal(service.lowerLayers(id).lowerDirs.length, 1);
});

test('remove keeps shared layers', async () => {
  const { service, storeRoot } = await newService();
  const rootfs = await buildTar([{ name: 'shared', content: 'layer' }]);
  const first = await importTar(service, rootfs, 'shared-a', ['CMD ["a"]']);
  const second = await importTar(service, rootfs, 'shared-b', ['CMD ["b"]']);
  assert.notEqual(first, second);
  assert.equal(fs.readdirSync(path.join(storeRoot, 'layers')).length, 1);

  assert.deepEqual((await service.remove('shared-a', { force: false, noPrune: false }, noContainer)).deleted, [first]);
  assert.equal(fs.readdirSync(path.join(storeRoot, 'layers')).length, 1, 'the layer stays while shared-b uses it');
  assert.equal((await service.remove('shared-b', { force: false, noPrune: false }, noContainer)).deleted.length, 2);
  assert.deepEqual(fs.readdirSync(path.join(storeRoot, 'layers')), []);
});

test('store survives a restart', async () => {
  const { service, storeRoot } = await newService();
  const id = await importTar(service, await buildTar([{ name: 'file', content: 'persist' }]), 'persist:v1');
  await service.tag(id, 'persist:v2');

  const restarted = new ImageService(storeRoot, quietLogger());
  await restarted.init();
  assert.deepEqual(restarted.resolve('persist:v2').repoTags, ['docker.io/library/persist:v1', 'docker.io/library/persist:v2']);
  assert.equal(restarted.lowerLayers(id).lowerDirs.length, 1);
});

test('remove plan digest references', () => {
  const imageId = `sha256:${'1'.repeat(64)}`;
  const digestReference = `docker.io/library/app@sha256:${'2'.repeat(64)}`;
  const plan = planRemoval({
    input: 'app',
    imageId,
    matchedReference: 'docker.io/library/app:latest',
    references: ['docker.io/library/app:latest', digestReference, 'docker.io/library/other:latest'],
    containerId: null,
    force: false,
  });
  // The last tag of "app" takes the app digest reference with it; "other" keeps the image.
  assert.deepEqual(plan, { untag: ['docker.io/library/app:latest', digestReference], deleteImage: false });

  const byId = planRemoval({ input: '1111', imageId, matchedReference: null, references: ['docker.io/library/app:latest', digestReference], containerId: null, force: false });
  assert.deepEqual(byId, { untag: ['docker.io/library/app:latest', digestReference], deleteImage: true }, 'tag and digest of one repository count as one reference');
});
