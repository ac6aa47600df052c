// Pushes pulled images back to real registries and checks with skopeo that
// the registry stores the same manifest digest that Berth reported.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../helpers/daemon';
import { assertDockerTalksToBerth, docker } from '../helpers/cli';
import { BUSYBOX_ARCHIVE, skopeoInspect, skopeoPush, useRegistry, type TestRegistry } from './registry';
import { apiJson, apiPull, apiPush, apiRequest } from './api';
import { makeLayerTar } from './fixtures';

let registry: TestRegistry;
let secureRegistry: TestRegistry;
let daemon: TestDaemon;

before(async () => {
  registry = await useRegistry();
  secureRegistry = await useRegistry('tls-basic');
  await skopeoPush(registry, `docker-archive:${BUSYBOX_ARCHIVE}`, registry.repository('library/busybox:latest'));
  daemon = await startDaemon({ loadBusybox: false, extraEnv: { BERTH_REGISTRY_MIRRORS: registry.url, BERTH_REGISTRY_MIRRORS_ONLY: '1' } });
  const pulled = await apiPull(daemon, `${registry.host}/${registry.repository('library/busybox')}`, 'latest');
  assert.equal(pulled.find((message) => message.error), undefined, JSON.stringify(pulled));
});

after(async () => {
  await daemon?.stop();
  await registry?.stop();
  await secureRegistry?.stop();
});

async function tag(source: string, repository: string, tagName: string): Promise<void> {
  const response = await apiRequest(daemon, 'POST', `/images/${source}/tag?${new URLSearchParams({ repo: repository, tag: tagName })}`);
  assert.equal(response.status, 201, response.text);
}

test('push mounts layers within a registry', async () => {
  const target = `${registry.host}/${registry.repository('test/pushed')}`;
  await tag(`${registry.host}/${registry.repository('library/busybox')}:latest`, target, 'v1');
  const messages = await apiPush(daemon, target, 'v1');
  assert.equal(messages.find((message) => message.error), undefined, JSON.stringify(messages));
  assert.equal(messages[0].status, `The push refers to repository [${target}]`);
  assert.ok(messages.some((message) => message.status === `Mounted from ${registry.repository('library/busybox')}`), JSON.stringify(messages));

  const aux = messages.find((message) => message.aux)?.aux;
  assert.ok(aux, 'the push reports its digest in aux');
  const inspected = await skopeoInspect(registry, registry.repository('test/pushed:v1'));
  assert.equal(aux.Digest, inspected.digest);
  assert.equal(aux.Size, inspected.raw.length);
  assert.ok(messages.some((message) => message.status === `v1: digest: ${inspected.digest} size: ${inspected.raw.length}`));

  const image = await apiJson(daemon, 'GET', `/images/${target}:v1/json`);
  assert.ok(image.RepoDigests.includes(`${target}@${inspected.digest}`), JSON.stringify(image.RepoDigests));

  const again = await apiPush(daemon, target, 'v1');
  assert.ok(again.some((message) => message.status === 'Layer already exists'), JSON.stringify(again));
});

test('push uploads to another registry with basic auth', async () => {
  const target = `${secureRegistry.host}/${secureRegistry.repository('test/uploaded')}`;
  await tag(`${registry.host}/${registry.repository('library/busybox')}:latest`, target, 'v2');
  const auth = { username: secureRegistry.username, password: secureRegistry.password, serveraddress: secureRegistry.host };
  const messages = await apiPush(daemon, target, 'v2', auth);
  assert.equal(messages.find((message) => message.error), undefined, JSON.stringify(messages));
  assert.ok(messages.some((message) => message.status === 'Pushed'), JSON.stringify(messages));
  const inspected = await skopeoInspect(secureRegistry, secureRegistry.repository('test/uploaded:v2'));
  assert.equal(messages.find((message) => message.aux)?.aux?.Digest, inspected.digest);

  const denied = await apiPush(daemon, target, 'v2', { ...auth, password: 'wrong' });
  assert.match(denied.at(-1)?.error ?? '', /unauthorized: authentication required/);
});

test('docker push through the CLI', async () => {
  await assertDockerTalksToBerth(daemon);
  const target = `${registry.host}/${registry.repository('test/cli')}:v3`;
  await tag(`${registry.host}/${registry.repository('library/busybox')}:latest`, `${registry.host}/${registry.repository('test/cli')}`, 'v3');
  const pushed = await docker(daemon, ['push', target]);
  assert.equal(pushed.exitCode, 0, pushed.stderr);
  const inspected = await skopeoInspect(registry, registry.repository('test/cli:v3'));
  assert.match(pushed.stdout, new RegExp(`v3: digest: ${inspected.digest}`));
});

test('push of missing and imported images', async () => {
  const missing = await apiPush(daemon, `${registry.host}/${registry.repository('test/absent')}`, 'v1');
  assert.equal(missing[0].httpStatus, 404);
  assert.equal(missing[0].error, `An image does not exist locally with the tag: ${registry.host}/${registry.repository('test/absent')}:v1`);

  const rootfs = makeLayerTar({ 'hello.txt': 'imported, not pulled\n' });
  const imported = await apiRequest(daemon, 'POST', `/images/create?${new URLSearchParams({ fromSrc: '-', repo: `${registry.host}/${registry.repository('test/loaded')}`, tag: 'v1' })}`, {}, rootfs);
  assert.equal(imported.status, 200, imported.text);
  const pushed = await apiPush(daemon, `${registry.host}/${registry.repository('test/loaded')}`, 'v1');
  assert.equal(pushed.at(-1)?.error, undefined, JSON.stringify(pushed.at(-1)));

  const save = await apiRequest(daemon, 'GET', `/images/${registry.host}/${registry.repository('test/loaded')}:v1/get`);
  assert.equal(save.status, 200, 'an imported image saves');
  const control = await apiRequest(daemon, 'GET', `/images/${registry.host}/${registry.repository('library/busybox')}:latest/get`);
  assert.equal(control.status, 200, 'a pulled image saves');
});
