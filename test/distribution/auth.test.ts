// Authentication against real registries: basic auth over TLS with a test CA
// (htpasswd), and bearer tokens from a token server the test runs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { subsystemLogger } from '../../src/common/logger';
import { RegistryClient } from '../../src/image/distribution/client';
import { hostCertificates } from '../../src/image/distribution/endpoints';
import { fetchManifest } from '../../src/image/distribution/manifest';
import { parseRegistryAuth } from '../../src/image/distribution/auth';
import { startDaemon, type TestDaemon } from '../helpers/daemon';
import { BUSYBOX_ARCHIVE, skopeoPush, useRegistry, type TestRegistry } from './registry';
import { apiPull, apiRequest } from './api';
import { assertDockerTalksToBerth, docker } from '../helpers/cli';

let tlsRegistry: TestRegistry;
let tokenRegistry: TestRegistry;
let daemon: TestDaemon;
let certsDirectory: string;

before(async () => {
  tlsRegistry = await useRegistry('tls-basic');
  tokenRegistry = await useRegistry('token');
  await skopeoPush(tlsRegistry, `docker-archive:${BUSYBOX_ARCHIVE}`, tlsRegistry.repository('library/busybox:latest'));
  await skopeoPush(tokenRegistry, `docker-archive:${BUSYBOX_ARCHIVE}`, tokenRegistry.repository('private/busybox:latest'));
  certsDirectory = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-certs-'));
  await fsp.mkdir(path.join(certsDirectory, tlsRegistry.host));
  await fsp.copyFile(tlsRegistry.caFile!, path.join(certsDirectory, tlsRegistry.host, 'ca.crt'));
  daemon = await startDaemon({
    loadBusybox: false,
    extraEnv: { BERTH_REGISTRY_MIRRORS: tlsRegistry.url, BERTH_REGISTRY_MIRRORS_ONLY: '1', BERTH_REGISTRY_CERTS_DIRECTORIES: certsDirectory },
  });
});

after(async () => {
  await daemon?.stop();
  await tlsRegistry?.stop();
  await tokenRegistry?.stop();
  if (certsDirectory) await fsp.rm(certsDirectory, { recursive: true, force: true });
});

test('X-Registry-Auth decoding', () => {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  assert.deepEqual(parseRegistryAuth(encode({ username: 'u', password: 'p', serveraddress: 'x' })), { kind: 'basic', username: 'u', password: 'p' });
  assert.deepEqual(parseRegistryAuth(encode({ identitytoken: 't' })), { kind: 'identity-token', identityToken: 't' });
  assert.equal(parseRegistryAuth('e30='), null, '"{}" means no credentials');
  assert.equal(parseRegistryAuth(null), null);
  assert.throws(() => parseRegistryAuth('not json at all'), /invalid X-Registry-Auth header/);
});

test('basic auth over TLS pulls with the right password', async () => {
  const reference = `${tlsRegistry.host}/${tlsRegistry.repository('library/busybox')}`;
  const messages = await apiPull(daemon, reference, 'latest', { auth: { username: tlsRegistry.username, password: tlsRegistry.password, serveraddress: tlsRegistry.host } });
  assert.equal(messages.find((message) => message.error), undefined, JSON.stringify(messages));
  assert.equal(messages.at(-1)?.status, `Status: Downloaded newer image for ${reference}:latest`);
});

test('basic auth rejects a wrong password', async () => {
  const reference = `${tlsRegistry.host}/${tlsRegistry.repository('library/busybox')}`;
  const wrong = await apiPull(daemon, reference, 'latest', { auth: { username: tlsRegistry.username, password: 'wrong', serveraddress: tlsRegistry.host } });
  assert.match(wrong.at(-1)?.error ?? '', /unauthorized: authentication required/);
  const anonymous = await apiPull(daemon, reference, 'latest');
  assert.match(anonymous.at(-1)?.error ?? '', /unauthorized: authentication required/);
});

test('client checks the registry certificate against certs.d', async () => {
  const logger = subsystemLogger('distribution-test');
  const credentials = { kind: 'basic' as const, username: tlsRegistry.username!, password: tlsRegistry.password! };
  const ca = hostCertificates(tlsRegistry.host, [certsDirectory]);
  assert.equal(ca.length, 1);

  const trusting = new RegistryClient({ url: tlsRegistry.url, mirror: false, skipTlsVerify: false, ca }, tlsRegistry.repository('library/busybox'), credentials, ['pull'], logger);
  try {
    const manifest = await fetchManifest(trusting, 'latest');
    assert.equal(manifest.parsed.kind, 'manifest');
  } finally {
    trusting.close();
  }

  const untrusting = new RegistryClient({ url: tlsRegistry.url, mirror: false, skipTlsVerify: false, ca: [] }, tlsRegistry.repository('library/busybox'), credentials, ['pull'], logger);
  try {
    await assert.rejects(fetchManifest(untrusting, 'latest'), /certificate/);
  } finally {
    untrusting.close();
  }
});

test('token flow pulls with credentials', async () => {
  const reference = `${tokenRegistry.host}/${tokenRegistry.repository('private/busybox')}`;
  const before = tokenRegistry.tokenRequests.length;
  const messages = await apiPull(daemon, reference, 'latest', { auth: { username: tokenRegistry.username, password: tokenRegistry.password } });
  assert.equal(messages.find((message) => message.error), undefined, JSON.stringify(messages));
  const requests = tokenRegistry.tokenRequests.slice(before);
  assert.ok(requests.some((query) => new URLSearchParams(query).get('scope') === `repository:${tokenRegistry.repository('private/busybox')}:pull`), JSON.stringify(requests));

  const wrong = await apiPull(daemon, reference, 'latest', { auth: { username: tokenRegistry.username, password: 'wrong' } });
  assert.match(wrong.at(-1)?.error ?? '', /unauthorized: authentication required/);
});

test('docker login then pull with stored credentials', async () => {
  await assertDockerTalksToBerth(daemon);
  const wrong = await docker(daemon, ['login', tlsRegistry.host, '-u', tlsRegistry.username!, '--password-stdin'], 'wrong\n');
  assert.equal(wrong.exitCode, 1);
  assert.match(wrong.stderr, new RegExp(`login attempt to https://${tlsRegistry.host}/v2/ failed with status: 401 Unauthorized`));

  const login = await docker(daemon, ['login', tlsRegistry.host, '-u', tlsRegistry.username!, '--password-stdin'], `${tlsRegistry.password}\n`);
  assert.equal(login.exitCode, 0, login.stderr);
  assert.match(login.stdout, /Login Succeeded/);

  const pulled = await docker(daemon, ['pull', `${tlsRegistry.host}/${tlsRegistry.repository('library/busybox')}:latest`]);
  assert.equal(pulled.exitCode, 0, pulled.stderr);
  assert.match(pulled.stdout, /Digest: sha256:[a-f0-9]{64}/);
});

test('POST /auth checks token credentials', async () => {
  const body = (password: string) => Buffer.from(JSON.stringify({ username: tokenRegistry.username, password, serveraddress: tokenRegistry.host }));
  const accepted = await apiRequest(daemon, 'POST', '/auth', { 'Content-Type': 'application/json' }, body(tokenRegistry.password!));
  assert.equal(accepted.status, 200, accepted.text);
  assert.deepEqual(JSON.parse(accepted.text), { Status: 'Login Succeeded', IdentityToken: '' });

  const rejected = await apiRequest(daemon, 'POST', '/auth', { 'Content-Type': 'application/json' }, body('wrong'));
  assert.equal(rejected.status, 401, rejected.text);
});
