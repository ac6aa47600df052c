// FROM an image that is neither in the store nor pullable: the build error
// reports that as dockerd's classic builder does. The daemon uses only a loopback
// test registry as its mirror, so no public registry is contacted.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../helpers/daemon';
import { freePort, useRegistry, type TestRegistry } from '../distribution/registry';
import { ContextDirectories, postBuild } from './build-harness';

let registry: TestRegistry;
let daemon: TestDaemon;
const contexts = new ContextDirectories();

before(async () => {
  registry = await useRegistry('plain');
  daemon = await startDaemon({ extraEnv: { BERTH_REGISTRY_MIRRORS: registry.url, BERTH_REGISTRY_MIRRORS_ONLY: '1' } });
});

after(async () => {
  await daemon?.stop();
  await registry?.stop();
  await contexts.removeAll();
});

test('local base image builds', async () => {
  const outcome = await postBuild(daemon, await contexts.create('FROM busybox\nRUN true\n'));
  assert.equal(outcome.error, null, outcome.output);
  assert.ok(outcome.imageId);
});

test('missing repository reports pull access denied', async () => {
  const outcome = await postBuild(daemon, await contexts.create('FROM nosuchimage\nRUN true\n'));
  assert.equal(outcome.error, "Dockerfile:1: pull access denied for nosuchimage, repository does not exist or may require 'docker login'");
  assert.equal(outcome.imageId, null);
});

test('unreachable registry reports failed pull', async () => {
  // Nothing listens on a port freePort just returned, so the connection is refused.
  const port = await freePort();
  const reference = `127.0.0.1:${port}/nosuch/image:1`;
  const outcome = await postBuild(daemon, await contexts.create(`FROM busybox AS first\nFROM ${reference}\n`));
  assert.ok(outcome.error?.startsWith(`Dockerfile:2: failed to pull ${reference}: image not found locally and the registry could not be reached: `), outcome.error ?? '');
  assert.doesNotMatch(outcome.error ?? '', /registry-1\.docker\.io/);
});
