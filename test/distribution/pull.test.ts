// Pulls from a real docker-registry that skopeo filled: by tag and by digest,
// through the Engine API and the real docker CLI, then runs the image.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon';
import { assertDockerTalksToBerth, docker } from '../helpers/cli';
import { BUSYBOX_ARCHIVE, skopeoInspect, skopeoPush, useRegistry, type TestRegistry } from './registry';
import { apiJson, apiPull } from './api';

let registry: TestRegistry;
let daemon: TestDaemon;

before(async () => {
  registry = await useRegistry();
  await skopeoPush(registry, `docker-archive:${BUSYBOX_ARCHIVE}`, registry.repository('library/busybox:latest'));
  // The mirror serves docker.io names under their own path, which takes no prefix. Every run
  // pushes the same archive there, so runs that share the registry see the same image.
  if (registry.shared) await skopeoPush(registry, `docker-archive:${BUSYBOX_ARCHIVE}`, 'library/busybox:latest');
  daemon = await startDaemon({
    loadBusybox: false,
    extraEnv: { BERTH_REGISTRY_MIRRORS: registry.url, BERTH_REGISTRY_MIRRORS_ONLY: '1' },
  });
});

after(async () => {
  await daemon?.stop();
  await registry?.stop();
});

test('pull by tag through the API', async () => {
  const reference = `${registry.host}/${registry.repository('library/busybox')}`;
  const { digest } = await skopeoInspect(registry, registry.repository('library/busybox:latest'));
  const messages = await apiPull(daemon, reference, 'latest');
  const statuses = messages.map((message) => message.status);
  assert.equal(messages.find((message) => message.error), undefined, JSON.stringify(messages));
  assert.equal(statuses[0], `Pulling from ${registry.repository('library/busybox')}`);
  assert.ok(statuses.includes('Pulling fs layer'), JSON.stringify(statuses));
  assert.ok(statuses.includes('Download complete'));
  assert.ok(statuses.includes('Pull complete'));
  assert.ok(statuses.includes(`Digest: ${digest}`));
  assert.equal(statuses.at(-1), `Status: Downloaded newer image for ${reference}:latest`);

  const image = await apiJson(daemon, 'GET', `/images/${reference}:latest/json`);
  assert.deepEqual(image.RepoDigests, [`${reference}@${digest}`]);
  assert.deepEqual(image.RepoTags, [`${reference}:latest`]);

  const again = await apiPull(daemon, reference, 'latest');
  const againStatuses = again.map((message) => message.status);
  assert.equal(againStatuses.at(-1), `Status: Image is up to date for ${reference}:latest`);
  assert.ok(!againStatuses.includes('Pulling fs layer'), 'the second pull downloaded a layer again');
});

test('docker CLI pulls by digest and runs', async () => {
  await assertDockerTalksToBerth(daemon);
  const { digest } = await skopeoInspect(registry, registry.repository('library/busybox:latest'));
  const byDigest = `${registry.host}/${registry.repository('library/busybox')}@${digest}`;
  const pulled = await docker(daemon, ['pull', byDigest]);
  assert.equal(pulled.exitCode, 0, pulled.stderr);
  assert.match(pulled.stdout, new RegExp(`Digest: ${digest}`));

  const ran = await docker(daemon, ['run', '--rm', byDigest, 'echo', 'pulled and running']);
  assert.equal(ran.exitCode, 0, ran.stderr);
  assert.equal(ran.stdout.trim(), 'pulled and running');
});

test('docker run pulls a missing docker.io name from the mirror', async () => {
  const ran = await docker(daemon, ['run', '--rm', 'busybox', 'echo', 'from the mirror']);
  assert.equal(ran.exitCode, 0, ran.stderr);
  assert.equal(ran.stdout.trim(), 'from the mirror');
  const image = await apiJson(daemon, 'GET', '/images/busybox/json');
  // The same image was pulled under the registry's own name before, so it carries both names.
  assert.ok(image.RepoTags.includes('busybox:latest'), JSON.stringify(image.RepoTags));
  const digests = image.RepoDigests as string[];
  assert.equal(digests.filter((digest) => /^busybox@sha256:[a-f0-9]{64}$/.test(digest)).length, 1, JSON.stringify(digests));
  assert.equal(digests.length, 2, 'one RepoDigest per repository');
});

test('pull of a missing tag fails with the manifest error', async () => {
  const messages = await apiPull(daemon, `${registry.host}/${registry.repository('library/busybox')}`, 'no-such-tag');
  assert.equal(messages.length, 1);
  assert.equal(messages[0].httpStatus, 404, 'the error comes before any progress, so as an HTTP status');
  assert.equal(messages[0].error, `manifest for ${registry.host}/${registry.repository('library/busybox')}:no-such-tag not found: manifest unknown: manifest unknown`);

  const cli = await docker(daemon, ['pull', `${registry.host}/${registry.repository('library/busybox')}:no-such-tag`]);
  assert.equal(cli.exitCode, 1);
  assert.match(cli.stderr, /Error response from daemon: manifest for .*:no-such-tag not found: manifest unknown: manifest unknown/);
});

test('history of a pulled image', async () => {
  const reference = `${registry.host}/${registry.repository('library/busybox')}:latest`;
  const image = await apiJson(daemon, 'GET', `/images/${reference}/json`);
  const history = await apiJson(daemon, 'GET', `/images/${reference}/history`);
  assert.ok(history.length >= 1, JSON.stringify(history));
  assert.equal(history[0].Id, image.Id);
  assert.ok(history[0].Tags.includes(reference), JSON.stringify(history[0].Tags));
  for (const entry of history.slice(1)) assert.equal(entry.Id, '<missing>');
  const total = history.reduce((sum: number, entry: { Size: number }) => sum + entry.Size, 0);
  assert.equal(total, image.Size, 'layer sizes add up to the image size');

  const cli = await docker(daemon, ['history', '--format', '{{.ID}}', reference]);
  assert.equal(cli.exitCode, 0, cli.stderr);
  assert.equal(cli.stdout.split('\n')[0], image.Id.slice(7, 19));
});

test('save of a pulled image loads back', async () => {
  const reference = `${registry.host}/${registry.repository('library/busybox')}:latest`;
  const image = await apiJson(daemon, 'GET', `/images/${reference}/json`);
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-save-'));
  try {
    const archive = path.join(directory, 'busybox.tar');
    const saved = await docker(daemon, ['save', '-o', archive, reference]);
    assert.equal(saved.exitCode, 0, saved.stderr);

    const manifest = JSON.parse(execFileSync('tar', ['-xOf', archive, 'manifest.json'], { encoding: 'utf8' }));
    assert.equal(manifest.length, 1);
    assert.equal(manifest[0].Config, `blobs/sha256/${image.Id.slice(7)}`);
    assert.deepEqual(manifest[0].RepoTags, [reference]);
    // skopeo reads the archive on its own, so a private format cannot pass.
    const inspected = JSON.parse(execFileSync('skopeo', ['inspect', `docker-archive:${archive}`], { encoding: 'utf8' }));
    assert.equal(inspected.Layers.length, manifest[0].Layers.length);

    const removed = await docker(daemon, ['rmi', '-f', image.Id]);
    assert.equal(removed.exitCode, 0, removed.stderr);
    const loaded = await docker(daemon, ['load', '-i', archive]);
    assert.equal(loaded.exitCode, 0, loaded.stderr);
    assert.match(loaded.stdout, new RegExp(`Loaded image: ${reference.replace(/[.]/g, '\\.')}`));
    const reloaded = await apiJson(daemon, 'GET', `/images/${reference}/json`);
    assert.equal(reloaded.Id, image.Id);
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
});
