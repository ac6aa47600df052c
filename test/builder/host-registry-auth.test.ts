// Choosing one registry's credentials from POST /build's X-Registry-Config header.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { registryAuthFor } from '../../src/engine/build-registry-auth';

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64');
}

function decode(header: string | null): unknown {
  assert.notEqual(header, null);
  return JSON.parse(Buffer.from(header!, 'base64').toString('utf8'));
}

const CONFIG = encode({
  'https://index.docker.io/v1/': { username: 'hub-user', password: 'hub-secret' },
  'registry.example:5000': { auth: Buffer.from('private-user:private-secret').toString('base64') },
});

test('registry config picks Docker Hub entry', () => {
  assert.deepEqual(decode(registryAuthFor(CONFIG, 'busybox:latest')), { username: 'hub-user', password: 'hub-secret' });
});

test('registry config decodes the auth field', () => {
  const picked = decode(registryAuthFor(CONFIG, 'registry.example:5000/team/app:1')) as Record<string, string>;
  assert.equal(picked.username, 'private-user');
  assert.equal(picked.password, 'private-secret');
});

test('registry config without a match', () => {
  assert.equal(registryAuthFor(CONFIG, 'other.example/app'), null);
  assert.equal(registryAuthFor(null, 'busybox'), null);
  assert.equal(registryAuthFor('', 'busybox'), null);
});

test('registry config rejects invalid JSON', () => {
  assert.throws(() => registryAuthFor(Buffer.from('not json').toString('base64'), 'busybox'), /invalid X-Registry-Config header/);
});
