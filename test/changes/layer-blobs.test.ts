// Loaded and imported images keep their layer blobs, so save and push work
// for them; skopeo reads what Berth writes and checks it independently.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BUSYBOX_ARCHIVE, REPO_ROOT, loadArchive, startDaemon, type TestDaemon } from '../helpers/daemon';
import { requestBytes } from './api';
import { assertDockerTalksToBerth, docker } from '../helpers/cli';
import { apiPush, apiRequest } from '../distribution/api';
import { skopeoInspect, startRegistry, type TestRegistry } from '../distribution/registry';
import { makeLayerTar } from '../distribution/fixtures';

const execFileAsync = promisify(execFile);

let daemon: TestDaemon;
let registry: TestRegistry;
let scratch: string;

before(async () => {
  scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-blobs-'));
  registry = await startRegistry();
  daemon = await startDaemon({ extraEnv: { BERTH_REGISTRY_MIRRORS_ONLY: '1' } });
});

after(async () => {
  await daemon?.stop();
  await registry?.stop();
  if (scratch) await fsp.rm(scratch, { recursive: true, force: true });
});

async function skopeoLayers(reference: string): Promise<string[]> {
  const { stdout } = await execFileAsync('skopeo', ['inspect', '--config', reference], { timeout: 60_000 });
  return (JSON.parse(stdout) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids;
}

// GET /images/{name}/get and writes the archive to file.
async function saveTo(name: string, file: string): Promise<void> {
  const response = await requestBytes(daemon, 'GET', `/images/${name}/get`);
  assert.equal(response.status, 200, response.body.toString());
  await fsp.writeFile(file, response.body);
}

test('save of a loaded image reads back in skopeo', async () => {
  const original = await skopeoLayers(`docker-archive:${BUSYBOX_ARCHIVE}`);
  const saved = path.join(scratch, 'saved.tar');
  await saveTo('busybox:latest', saved);
  assert.deepEqual(await skopeoLayers(`docker-archive:${saved}`), original);

  const { stdout } = await execFileAsync('skopeo', ['inspect', `docker-archive:${saved}`], { timeout: 60_000 });
  assert.deepEqual((JSON.parse(stdout) as { RepoTags: string[] }).RepoTags, []);
  const manifest = JSON.parse(execFileSyncText('tar', ['-xOf', saved, 'manifest.json']));
  assert.deepEqual(manifest[0].RepoTags, ['busybox:latest']);
});

test('docker save of a loaded image', async () => {
  await assertDockerTalksToBerth(daemon);
  const saved = path.join(scratch, 'cli-saved.tar');
  const result = await docker(daemon, ['save', '-o', saved, 'busybox']);
  assert.equal(result.exitCode, 0, result.stderr);
  assert.ok(fs.statSync(saved).size > 0);
  assert.deepEqual(await skopeoLayers(`docker-archive:${saved}`), await skopeoLayers(`docker-archive:${BUSYBOX_ARCHIVE}`));
});

test('push of a loaded image to a registry', async () => {
  const target = `${registry.host}/test/loaded`;
  const tagged = await apiRequest(daemon, 'POST', `/images/busybox:latest/tag?${new URLSearchParams({ repo: target, tag: 'v1' })}`);
  assert.equal(tagged.status, 201, tagged.text);
  const messages = await apiPush(daemon, target, 'v1');
  assert.equal(messages.find((message) => message.error), undefined, JSON.stringify(messages));
  assert.ok(messages.some((message) => message.status === 'Pushed'), JSON.stringify(messages));

  const inspected = await skopeoInspect(registry, 'test/loaded:v1');
  assert.equal(messages.find((message) => message.aux)?.aux?.Digest, inspected.digest);
  const { stdout } = await execFileAsync('skopeo', ['inspect', '--tls-verify=false', '--config', `docker://${registry.host}/test/loaded:v1`], { timeout: 60_000 });
  const layers = (JSON.parse(stdout) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids;
  assert.deepEqual(layers, await skopeoLayers(`docker-archive:${BUSYBOX_ARCHIVE}`));
});

test('imported image saves and pushes', async () => {
  const rootfs = makeLayerTar({ 'hello.txt': 'imported\n' });
  const target = `${registry.host}/test/imported`;
  const imported = await apiRequest(daemon, 'POST', `/images/create?${new URLSearchParams({ fromSrc: '-', repo: target, tag: 'v1' })}`, {}, rootfs);
  assert.equal(imported.status, 200, imported.text);

  const saved = path.join(scratch, 'imported.tar');
  await saveTo(`${target}:v1`, saved);
  const listing = execFileSyncText('tar', ['-tf', saved]);
  assert.match(listing, /manifest\.json/);
  const layers = await skopeoLayers(`docker-archive:${saved}`);
  assert.equal(layers.length, 1);

  const messages = await apiPush(daemon, target, 'v1');
  assert.equal(messages.find((message) => message.error), undefined, JSON.stringify(messages));
  const inspected = await skopeoInspect(registry, 'test/imported:v1');
  assert.equal(messages.find((message) => message.aux)?.aux?.Digest, inspected.digest);
});

test('blobs of a removed image are collected', async () => {
  const blobDirectory = path.join(daemon.root, 'data', 'image', 'blobs', 'sha256');
  const rootfs = makeLayerTar({ 'gone.txt': 'removed soon\n' });
  const imported = await apiRequest(daemon, 'POST', `/images/create?${new URLSearchParams({ fromSrc: '-', repo: 'blobs/removed', tag: 'v1' })}`, {}, rootfs);
  assert.equal(imported.status, 200, imported.text);
  const blobs = fs.readdirSync(blobDirectory);
  const removed = await apiRequest(daemon, 'DELETE', '/images/blobs/removed:v1');
  assert.equal(removed.status, 200, removed.text);
  assert.ok(blobs.length > 0, 'the import stored blobs');
  assert.ok(fs.readdirSync(blobDirectory).length < blobs.length, 'the removal frees blobs');

  const control = await apiRequest(daemon, 'GET', '/images/busybox:latest/get');
  assert.equal(control.status, 200, 'the loaded image still saves after garbage collection');
});

test('OCI layout load keeps its manifest for push', async () => {
  const ociArchive = path.join(REPO_ROOT, 'build/images/busybox-oci.tar');
  const manifestDigest = (JSON.parse(execFileSyncText('tar', ['-xOf', ociArchive, 'index.json'])) as { manifests: Array<{ digest: string }> }).manifests[0].digest;
  const ociDaemon = await startDaemon({ loadBusybox: false, extraEnv: { BERTH_REGISTRY_MIRRORS_ONLY: '1' } });
  try {
    await loadArchive(ociDaemon.socketPath, ociArchive);
    const target = `${registry.host}/test/oci`;
    const tagged = await apiRequest(ociDaemon, 'POST', `/images/busybox:latest/tag?${new URLSearchParams({ repo: target, tag: 'v1' })}`);
    assert.equal(tagged.status, 201, tagged.text);
    const messages = await apiPush(ociDaemon, target, 'v1');
    assert.equal(messages.find((message) => message.error), undefined, JSON.stringify(messages));
    const inspected = await skopeoInspect(registry, 'test/oci:v1');
    assert.equal(inspected.digest, manifestDigest, 'the archive’s own manifest is pushed unchanged');

    const saved = path.join(scratch, 'oci-saved.tar');
    const response = await requestBytes(ociDaemon, 'GET', '/images/busybox:latest/get');
    assert.equal(response.status, 200, response.body.toString().slice(0, 500));
    await fsp.writeFile(saved, response.body);
    assert.deepEqual(await skopeoLayers(`docker-archive:${saved}`), await skopeoLayers(`oci-archive:${ociArchive}`));
  } finally {
    await ociDaemon.stop();
  }
});

test('xz import keeps a plain layer blob', async () => {
  const plain = makeLayerTar({ 'packed.txt': 'xz compressed\n' });
  const compressed = execFileSync('xz', ['-c'], { input: plain });
  const target = `${registry.host}/test/xz`;
  const imported = await apiRequest(daemon, 'POST', `/images/create?${new URLSearchParams({ fromSrc: '-', repo: target, tag: 'v1' })}`, {}, compressed);
  assert.equal(imported.status, 200, imported.text);

  const saved = path.join(scratch, 'xz.tar');
  await saveTo(`${target}:v1`, saved);
  const plainDigest = `sha256:${createHash('sha256').update(plain).digest('hex')}`;
  assert.deepEqual(await skopeoLayers(`docker-archive:${saved}`), [plainDigest]);

  const messages = await apiPush(daemon, target, 'v1');
  assert.equal(messages.find((message) => message.error), undefined, JSON.stringify(messages));
  const manifest = JSON.parse((await skopeoInspect(registry, 'test/xz:v1')).raw) as { layers: Array<{ digest: string; mediaType: string }> };
  assert.deepEqual(manifest.layers.map((layer) => [layer.digest, layer.mediaType]), [[plainDigest, 'application/vnd.docker.image.rootfs.diff.tar']]);
});

function execFileSyncText(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8' });
}
