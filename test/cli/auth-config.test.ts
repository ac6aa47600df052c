// The docker CLI's credential file as berth reads and writes it: keys,
// encoding, file modes and the fields other tools keep in the same file.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { authKeyForServer, DOCKER_IO_AUTH_KEY, encodeRegistryAuth, readCredentials, registryAuthFor, removeCredentials, storeCredentials } from '../../src/cli/commands/auth-config';
import { parseReference } from '../../src/cli/reference';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-auth-config-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

function decodeHeader(header: string): unknown {
  return JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
}

test('auth keys follow docker CLI', () => {
  assert.equal(authKeyForServer(''), DOCKER_IO_AUTH_KEY);
  assert.equal(authKeyForServer('docker.io'), DOCKER_IO_AUTH_KEY);
  assert.equal(authKeyForServer('https://index.docker.io/v1/'), DOCKER_IO_AUTH_KEY);
  assert.equal(authKeyForServer('https://registry.example:5000/v2/'), 'registry.example:5000');
  assert.equal(authKeyForServer('127.0.0.1:5000'), '127.0.0.1:5000');
});

test('credentials round trip through config', () => {
  const environment = { DOCKER_CONFIG: path.join(root, 'round-trip', 'nested') };
  const file = path.join(environment.DOCKER_CONFIG, 'config.json');
  fs.mkdirSync(environment.DOCKER_CONFIG, { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ auths: { 'other.example': { auth: 'b3RoZXI6cGFzcw==' } }, psFormat: 'table {{.ID}}' }));

  storeCredentials(environment, DOCKER_IO_AUTH_KEY, { username: 'hub-user', password: 'p:a:ss', identityToken: '' });
  const written = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(written.psFormat, 'table {{.ID}}', 'unrelated settings are kept');
  assert.equal(written.auths['other.example'].auth, 'b3RoZXI6cGFzcw==', 'other servers are kept');
  assert.equal(written.auths[DOCKER_IO_AUTH_KEY].auth, Buffer.from('hub-user:p:a:ss').toString('base64'));
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);

  const credentials = readCredentials(environment, DOCKER_IO_AUTH_KEY);
  assert.deepEqual(credentials, { username: 'hub-user', password: 'p:a:ss', identityToken: '', serverAddress: DOCKER_IO_AUTH_KEY });
  assert.deepEqual(decodeHeader(registryAuthFor(environment, parseReference('busybox'))), { username: 'hub-user', password: 'p:a:ss', serveraddress: DOCKER_IO_AUTH_KEY });
  assert.deepEqual(decodeHeader(registryAuthFor(environment, parseReference('third.example/x'))), {}, 'no credentials for another registry');

  assert.equal(removeCredentials(environment, DOCKER_IO_AUTH_KEY), true);
  assert.equal(readCredentials(environment, DOCKER_IO_AUTH_KEY), null);
  assert.equal(removeCredentials(environment, DOCKER_IO_AUTH_KEY), false);
  assert.ok(readCredentials(environment, 'other.example'), 'positive control: the other entry remains');
});

test('config directory created private', () => {
  const environment = { DOCKER_CONFIG: path.join(root, 'fresh') };
  storeCredentials(environment, 'reg.example', { username: 'u', password: 'p', identityToken: '' });
  assert.equal(fs.statSync(environment.DOCKER_CONFIG).mode & 0o777, 0o700);
  assert.equal(fs.statSync(path.join(environment.DOCKER_CONFIG, 'config.json')).mode & 0o777, 0o600);
});

test('identity token replaces password', () => {
  const environment = { DOCKER_CONFIG: path.join(root, 'token') };
  storeCredentials(environment, 'reg.example', { username: 'u', password: 'secret', identityToken: 'refresh-token' });
  const stored = JSON.parse(fs.readFileSync(path.join(environment.DOCKER_CONFIG, 'config.json'), 'utf8')).auths['reg.example'];
  assert.equal(stored.identitytoken, 'refresh-token');
  assert.equal(Buffer.from(stored.auth, 'base64').toString(), 'u:', 'the password is not stored next to a token');
  assert.deepEqual(decodeHeader(registryAuthFor(environment, parseReference('reg.example/app'))), { identitytoken: 'refresh-token', serveraddress: 'reg.example' });
  assert.equal(encodeRegistryAuth(null), 'e30=', 'no credentials encode as {}');
});
