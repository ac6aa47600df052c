// Loading docker-archive and OCI layout tars into a real store, checked through overlay mounts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { InvalidArgumentError, NotFoundError } from '../../src/common/errors';
import { ImageService } from '../../src/image/service';
import {
  BUSYBOX_ARCHIVE,
  BUSYBOX_OCI_ARCHIVE,
  buildDockerArchive,
  buildTar,
  ensureBusyboxArchives,
  listNames,
  makeTemporaryDirectory,
  mountLayers,
  quietLogger,
  removeTemporaryDirectory,
  sha256,
} from './helpers';

let root: string;
let scratchCount = 0;

before(async () => {
  ensureBusyboxArchives();
  root = await makeTemporaryDirectory('berth-load-test-');
});

after(async () => {
  await removeTemporaryDirectory(root);
});

async function newService(name: string): Promise<ImageService> {
  const service = new ImageService(path.join(root, name), quietLogger());
  await service.init();
  return service;
}

async function load(service: ImageService, archive: string | Buffer): Promise<string[]> {
  const messages: string[] = [];
  const stream = typeof archive === 'string' ? fs.createReadStream(archive) : Readable.from([archive]);
  await service.load(stream, (message) => messages.push(message));
  return messages;
}

function scratch(): string {
  const directory = path.join(root, `mount-${scratchCount++}`);
  fs.mkdirSync(directory);
  return directory;
}

test('load busybox in both formats', async () => {
  const fromDockerArchive = await newService('docker-archive');
  assert.deepEqual(await load(fromDockerArchive, BUSYBOX_ARCHIVE), ['Loaded image: busybox:latest']);
  const fromOciLayout = await newService('oci-layout');
  assert.deepEqual(await load(fromOciLayout, BUSYBOX_OCI_ARCHIVE), ['Loaded image: busybox:latest']);

  const dockerImage = fromDockerArchive.resolve('busybox');
  const ociImage = fromOciLayout.resolve('busybox');
  assert.equal(dockerImage.id, ociImage.id, 'one config, one image ID');
  assert.deepEqual(dockerImage.repoTags, ['docker.io/library/busybox:latest']);
  assert.deepEqual(dockerImage.config.config?.Cmd, ['sh']);
  assert.ok(dockerImage.size > 1_000_000);

  // Loading the other format into the same store finds the image and its layer already there.
  assert.deepEqual(await load(fromDockerArchive, BUSYBOX_OCI_ARCHIVE), ['Loaded image: busybox:latest']);
  assert.equal(fromDockerArchive.list().length, 1);
});

test('load resolves every spelling', async () => {
  const service = await newService('resolve');
  await load(service, BUSYBOX_ARCHIVE);
  const id = service.resolve('busybox').id;
  const hex = id.slice('sha256:'.length);
  for (const spelling of ['busybox', 'busybox:latest', 'library/busybox', 'docker.io/library/busybox:latest', id, hex, hex.slice(0, 12), `sha256:${hex.slice(0, 12)}`, hex.slice(0, 3)]) {
    assert.equal(service.resolve(spelling).id, id, spelling);
  }
  assert.throws(() => service.resolve('busybox:1.0'), (error: unknown) => error instanceof NotFoundError && (error as Error).message === 'No such image: busybox:1.0');
  assert.throws(() => service.resolve('nonexistent'), (error: unknown) => error instanceof NotFoundError && (error as Error).message === 'No such image: nonexistent');
  assert.throws(() => service.resolve('0'.repeat(64)), NotFoundError);
  assert.throws(() => service.resolve('Busybox'), (error: unknown) => error instanceof InvalidArgumentError && /must be lowercase/.test((error as Error).message));
});

test('load busybox mounts and runs', async () => {
  const service = await newService('mount');
  await load(service, BUSYBOX_OCI_ARCHIVE);
  const image = service.resolve('busybox');
  const mount = mountLayers(service.lowerLayers(image.id), scratch());
  try {
    assert.ok(fs.statSync(path.join(mount.merged, 'bin/sh')).isFile());
    assert.equal(fs.statSync(path.join(mount.merged, 'bin/sh')).ino, fs.statSync(path.join(mount.merged, 'bin/busybox')).ino, 'applets are hard links');
    assert.equal(execFileSync(path.join(mount.merged, 'bin/sh'), ['-c', 'echo from-image'], { encoding: 'utf8' }), 'from-image\n');
    assert.match(fs.readFileSync(path.join(mount.merged, 'etc/passwd'), 'utf8'), /^nobody:x:65534:65534:/m);
    assert.equal(fs.statSync(path.join(mount.merged, 'tmp')).mode & 0o7777, 0o1777);
  } finally {
    mount.unmount();
  }
});

test('load moves tags to the new image', async () => {
  const service = await newService('moving');
  const first = await buildDockerArchive([{ layers: [await buildTar([{ name: 'version', content: '1' }])], repoTags: ['berth-test/moving:1'] }]);
  const second = await buildDockerArchive([{ layers: [await buildTar([{ name: 'version', content: '2' }])], repoTags: ['berth-test/moving:1', 'localhost:5000/other'] }]);

  assert.deepEqual(await load(service, first.archive), ['Loaded image: berth-test/moving:1']);
  assert.deepEqual(await load(service, second.archive), [
    `The image berth-test/moving:1 already exists, renaming the old one with ID ${first.imageIds[0]} to empty string`,
    'Loaded image: berth-test/moving:1',
    'Loaded image: localhost:5000/other:latest',
  ]);
  assert.equal(service.resolve('berth-test/moving:1').id, second.imageIds[0]);
  assert.deepEqual(service.resolve(first.imageIds[0]).repoTags, [], 'the old image stays, untagged');

  const untagged = await buildDockerArchive([{ layers: [], repoTags: [] }]);
  assert.deepEqual(await load(service, untagged.archive), [`Loaded image ID: ${untagged.imageIds[0]}`]);
});

test('load rejects tampered archives', async () => {
  const service = await newService('tampered');
  const layer = await buildTar([{ name: 'file', content: 'real' }]);

  const wrongDiffId = await buildDockerArchive([{ layers: [layer], repoTags: ['tampered:diff'], diffIds: [sha256('other')] }]);
  await assert.rejects(load(service, wrongDiffId.archive), /diff ID mismatch/);

  const renamed = await buildTar([
    { name: `${'a'.repeat(64)}.json`, content: '{}' },
    { name: 'manifest.json', content: JSON.stringify([{ Config: `${'a'.repeat(64)}.json`, RepoTags: [], Layers: [] }]) },
  ]);
  await assert.rejects(load(service, renamed), /digest mismatch/);

  await assert.rejects(load(service, Buffer.from('not a tar at all'.repeat(100))), InvalidArgumentError);
  await assert.rejects(load(service, await buildTar([{ name: 'readme', content: 'x' }])), /neither manifest.json nor index.json/);

  assert.deepEqual(service.list(), []);
  assert.deepEqual(fs.readdirSync(path.join(root, 'tampered', 'tmp')), []);
  assert.deepEqual(fs.readdirSync(path.join(root, 'tampered', 'layers')), []);

  // Positive control: the same layer with its true diff ID loads.
  const good = await buildDockerArchive([{ layers: [layer], repoTags: ['tampered:good'] }]);
  assert.deepEqual(await load(service, good.archive), ['Loaded image: tampered:good']);
});

test('load image of 120 layers mounts', async () => {
  const service = await newService('many-layers');
  const layers: Buffer[] = [];
  for (let index = 0; index < 120; index++) layers.push(await buildTar([{ name: `f${index}`, content: String(index) }]));
  const { archive, imageIds } = await buildDockerArchive([{ layers, repoTags: ['many:layers'] }]);
  await load(service, archive);

  const lower = service.lowerLayers(imageIds[0]);
  assert.equal(lower.lowerDirs.length, 120);
  // Absolute paths would not fit in the one page mount options may use; the short links do.
  assert.ok(lower.absoluteLowerDirs.join(':').length > 4096);
  assert.ok(lower.lowerDirs.join(':').length < 4096 - 400);

  const mount = mountLayers(lower, scratch());
  try {
    const names = listNames(mount.merged);
    assert.equal(names.length, 120);
    assert.equal(fs.readFileSync(path.join(mount.merged, 'f119'), 'utf8'), '119');
    assert.equal(fs.readFileSync(path.join(mount.merged, 'f0'), 'utf8'), '0');
  } finally {
    mount.unmount();
  }
});
