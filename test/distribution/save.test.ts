// `docker save` writes a docker-archive that is also an OCI image layout, as
// Docker 25 and later do. skopeo and umoci read it as independent readers,
// and a second berthd loads it back to the same image IDs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon';
import { assertDockerTalksToBerth, berth, docker } from '../helpers/cli';
import { apiJson } from './api';

let daemon: TestDaemon;
let second: TestDaemon;
let directory: string;
let busyboxId: string;
let derivedId: string;

function tarMembers(archive: string): string[] {
  return execFileSync('tar', ['-tf', archive], { encoding: 'utf8' }).split('\n').filter((line) => line !== '');
}

function tarJson(archive: string, member: string): any {
  return JSON.parse(execFileSync('tar', ['-xOf', archive, member], { encoding: 'utf8' }));
}

function skopeoInspect(source: string): any {
  return JSON.parse(execFileSync('skopeo', ['inspect', '--raw', source], { encoding: 'utf8' }));
}

function skopeoConfig(source: string): any {
  return JSON.parse(execFileSync('skopeo', ['inspect', '--config', '--raw', source], { encoding: 'utf8' }));
}

before(async () => {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-save-layout-'));
  daemon = await startDaemon();
  second = await startDaemon({ loadBusybox: false });
  await assertDockerTalksToBerth(daemon);
  await assertDockerTalksToBerth(second);

  busyboxId = (await apiJson(daemon, 'GET', '/images/busybox:latest/json')).Id;
  // A committed image shares busybox's layer and adds one, so a save of both must write that layer once.
  const ran = await docker(daemon, ['run', '--name', 'save-source', 'busybox', 'sh', '-c', 'echo saved > /saved.txt']);
  assert.equal(ran.exitCode, 0, ran.stderr);
  const committed = await docker(daemon, ['commit', 'save-source', 'example.test/derived:v1']);
  assert.equal(committed.exitCode, 0, committed.stderr);
  derivedId = committed.stdout.trim();
});

after(async () => {
  await daemon?.stop();
  await second?.stop();
  if (directory) fs.rmSync(directory, { recursive: true, force: true });
});

test('save writes an OCI layout too', async () => {
  const archive = path.join(directory, 'busybox.tar');
  const saved = await docker(daemon, ['save', '-o', archive, 'busybox']);
  assert.equal(saved.exitCode, 0, saved.stderr);

  const members = tarMembers(archive);
  for (const member of ['oci-layout', 'index.json', 'manifest.json', 'repositories']) assert.ok(members.includes(member), `${member} in ${members.join(' ')}`);
  assert.deepEqual(tarJson(archive, 'oci-layout'), { imageLayoutVersion: '1.0.0' });

  const index = tarJson(archive, 'index.json');
  assert.equal(index.schemaVersion, 2);
  assert.equal(index.manifests.length, 1);
  assert.equal(index.manifests[0].annotations['io.containerd.image.name'], 'docker.io/library/busybox:latest');
  assert.equal(index.manifests[0].annotations['org.opencontainers.image.ref.name'], 'latest');

  const manifest = tarJson(archive, `blobs/sha256/${index.manifests[0].digest.slice(7)}`);
  assert.equal(manifest.config.digest, busyboxId);
  const dockerManifest = tarJson(archive, 'manifest.json');
  assert.deepEqual(
    manifest.layers.map((layer: { digest: string }) => `blobs/sha256/${layer.digest.slice(7)}`),
    dockerManifest[0].Layers,
    'both indexes name the same layer files',
  );
});

test('skopeo reads both formats', () => {
  const archive = path.join(directory, 'busybox.tar');
  const fromOci = skopeoInspect(`oci-archive:${archive}:latest`);
  assert.equal(fromOci.config.digest, busyboxId);
  const dockerConfig = skopeoConfig(`docker-archive:${archive}`);
  const ociConfig = skopeoConfig(`oci-archive:${archive}:latest`);
  assert.deepEqual(ociConfig.rootfs, dockerConfig.rootfs);

  // skopeo copy checks every blob's digest while it copies.
  const copied = path.join(directory, 'copied-dir');
  execFileSync('skopeo', ['copy', '--quiet', `oci-archive:${archive}:latest`, `dir:${copied}`]);
  const copiedManifest = JSON.parse(fs.readFileSync(path.join(copied, 'manifest.json'), 'utf8'));
  assert.equal(copiedManifest.layers.length, dockerConfig.rootfs.diff_ids.length);
});

test('umoci unpacks the extracted layout', () => {
  const archive = path.join(directory, 'busybox.tar');
  const layout = path.join(directory, 'layout');
  const bundle = path.join(directory, 'bundle');
  fs.mkdirSync(layout);
  execFileSync('tar', ['-xf', archive, '-C', layout]);

  const stat = JSON.parse(execFileSync('umoci', ['stat', '--json', '--image', `${layout}:latest`], { encoding: 'utf8' }));
  assert.ok(Array.isArray(stat.history), 'umoci reads the config history');
  execFileSync('umoci', ['unpack', '--image', `${layout}:latest`, bundle]);
  assert.ok(fs.statSync(path.join(bundle, 'rootfs/bin/busybox')).isFile(), 'busybox binary unpacked');
  assert.ok(fs.existsSync(path.join(bundle, 'config.json')), 'runtime config written');
});

test('several images share layers once', async () => {
  const archive = path.join(directory, 'two.tar');
  const saved = await berth(daemon, ['save', '-o', archive, 'busybox', 'example.test/derived:v1']);
  assert.equal(saved.exitCode, 0, saved.stderr);

  const members = tarMembers(archive);
  assert.equal(new Set(members).size, members.length, 'no member is written twice');
  const index = tarJson(archive, 'index.json');
  const names = index.manifests.map((entry: { annotations: Record<string, string> }) => entry.annotations['io.containerd.image.name']).sort();
  assert.deepEqual(names, ['docker.io/library/busybox:latest', 'example.test/derived:v1']);
  const derived = skopeoInspect(`oci-archive:${archive}:v1`);
  assert.equal(derived.config.digest, derivedId);
  const busybox = skopeoInspect(`oci-archive:${archive}:latest`);
  assert.equal(derived.layers[0].digest, busybox.layers[0].digest, 'the base layer is the same blob');
});

test('saved by ID has no name', async () => {
  const archive = path.join(directory, 'by-id.tar');
  const saved = await docker(daemon, ['save', '-o', archive, busyboxId]);
  assert.equal(saved.exitCode, 0, saved.stderr);
  const index = tarJson(archive, 'index.json');
  assert.equal(index.manifests.length, 1);
  assert.equal(index.manifests[0].annotations, undefined);
  assert.equal(tarJson(archive, 'manifest.json')[0].RepoTags, null);
  assert.equal(skopeoInspect(`oci-archive:${archive}`).config.digest, busyboxId);
});

test('docker load into a second daemon', async () => {
  const archive = path.join(directory, 'two.tar');
  const loaded = await docker(second, ['load', '-i', archive]);
  assert.equal(loaded.exitCode, 0, loaded.stderr);
  assert.match(loaded.stdout, /Loaded image: busybox:latest/);
  assert.match(loaded.stdout, /Loaded image: example\.test\/derived:v1/);
  assert.equal((await apiJson(second, 'GET', '/images/busybox:latest/json')).Id, busyboxId);
  assert.equal((await apiJson(second, 'GET', '/images/example.test/derived:v1/json')).Id, derivedId);

  const ran = await docker(second, ['run', '--rm', 'example.test/derived:v1', 'cat', '/saved.txt']);
  assert.equal(ran.exitCode, 0, ran.stderr);
  assert.equal(ran.stdout, 'saved\n');
});

test('load of a pure OCI layout', async () => {
  // skopeo writes an OCI archive with no manifest.json, so only the OCI reader can load it.
  const source = path.join(directory, 'busybox.tar');
  const archive = path.join(directory, 'pure-oci.tar');
  execFileSync('skopeo', ['copy', '--quiet', `docker-archive:${source}`, `oci-archive:${archive}:example.test/pure:v2`]);
  assert.ok(!tarMembers(archive).includes('manifest.json'), 'control: skopeo wrote no manifest.json');
  // skopeo converts the config to the OCI media type, which gives it a new digest.
  const expectedId = skopeoInspect(`oci-archive:${archive}`).config.digest;
  assert.notEqual(expectedId, busyboxId, 'control: a new config, so the ID cannot come from the first archive');

  const loaded = await docker(second, ['load', '-i', archive]);
  assert.equal(loaded.exitCode, 0, loaded.stderr);
  assert.equal((await apiJson(second, 'GET', '/images/example.test/pure:v2/json')).Id, expectedId);
});
