// A manifest list with linux/amd64, linux/arm64 and linux/arm/v7 entries,
// built in the registry by the test: platform selection and its errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../helpers/daemon';
import { BUSYBOX_ARCHIVE, skopeoPush, useRegistry, type TestRegistry } from './registry';
import { DOCKER_LIST, putManifest, pushDerivedImage, readBaseImage } from './fixtures';
import { apiJson, apiPull } from './api';

let registry: TestRegistry;
let daemon: TestDaemon;
const configIds: Record<string, string> = {};
let listDigest = '';

const PLATFORMS = [
  { os: 'linux', architecture: 'amd64' },
  { os: 'linux', architecture: 'arm64', variant: 'v8' },
  { os: 'linux', architecture: 'arm', variant: 'v7' },
];

before(async () => {
  registry = await useRegistry();
  await skopeoPush(registry, `docker-archive:${BUSYBOX_ARCHIVE}`, registry.repository('library/busybox:latest'));
  const base = await readBaseImage(registry, registry.repository('library/busybox'), 'latest');
  const entries = [];
  for (const platform of PLATFORMS) {
    const key = [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
    // Each entry's config differs (architecture, variant and a label), so each has its own image ID.
    const pushed = await pushDerivedImage(registry, registry.repository('test/multi'), null, base, [], {
      architecture: platform.architecture,
      variant: platform.variant,
      config: { ...(base.config.config ?? {}), Labels: { platform: key } },
    });
    configIds[key] = pushed.configDigest;
    entries.push({ ...pushed.manifest, platform });
  }
  const list = await putManifest(registry, registry.repository('test/multi'), 'latest', DOCKER_LIST, { schemaVersion: 2, mediaType: DOCKER_LIST, manifests: entries });
  listDigest = list.digest;
  daemon = await startDaemon({ loadBusybox: false, extraEnv: { BERTH_REGISTRY_MIRRORS: registry.url, BERTH_REGISTRY_MIRRORS_ONLY: '1' } });
});

after(async () => {
  await daemon?.stop();
  await registry?.stop();
});

test('default pull picks linux/amd64', async () => {
  const reference = `${registry.host}/${registry.repository('test/multi')}`;
  const messages = await apiPull(daemon, reference, 'latest');
  assert.equal(messages.find((message) => message.error), undefined, JSON.stringify(messages));
  assert.ok(messages.some((message) => message.status === `Digest: ${listDigest}`), 'Digest names the manifest list');
  const image = await apiJson(daemon, 'GET', `/images/${reference}:latest/json`);
  assert.equal(image.Id, configIds['linux/amd64']);
  assert.equal(image.Architecture, 'amd64');
  assert.deepEqual(image.RepoDigests, [`${reference}@${listDigest}`]);
});

test('platform linux/arm64 picks the arm64 entry', async () => {
  const reference = `${registry.host}/${registry.repository('test/multi')}`;
  const messages = await apiPull(daemon, reference, 'latest', { platform: 'linux/arm64' });
  assert.equal(messages.find((message) => message.error), undefined, JSON.stringify(messages));
  const image = await apiJson(daemon, 'GET', `/images/${reference}:latest/json`);
  assert.equal(image.Id, configIds['linux/arm64/v8']);
  assert.equal(image.Architecture, 'arm64');
  // The base layer is shared with the amd64 image pulled before.
  assert.ok(messages.some((message) => message.status === 'Already exists'), JSON.stringify(messages));
});

test('platform linux/arm/v6 takes no v7 image', async () => {
  const reference = `${registry.host}/${registry.repository('test/multi')}`;
  const messages = await apiPull(daemon, reference, 'latest', { platform: 'linux/arm/v6' });
  assert.equal(messages.at(-1)?.error, 'no matching manifest for linux/arm/v6 in the manifest list entries');

  const control = await apiPull(daemon, reference, 'latest', { platform: 'linux/arm/v7' });
  assert.equal(control.find((message) => message.error), undefined, JSON.stringify(control));
  const image = await apiJson(daemon, 'GET', `/images/${reference}:latest/json`);
  assert.equal(image.Id, configIds['linux/arm/v7']);
});

test('platform linux/arm/v5 and windows/amd64 fail clearly', async () => {
  const reference = `${registry.host}/${registry.repository('test/multi')}`;
  const arm = await apiPull(daemon, reference, 'latest', { platform: 'linux/arm/v5' });
  assert.equal(arm.at(-1)?.error, 'no matching manifest for linux/arm/v5 in the manifest list entries');
  const windows = await apiPull(daemon, reference, 'latest', { platform: 'windows/amd64' });
  assert.equal(windows.at(-1)?.error, 'no matching manifest for windows/amd64 in the manifest list entries');
});
