import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/common/errors';
import { familiarString, familiarize, formatReference, normalizeReference, parseReference } from '../../src/image/reference';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

// input → [normalized with the default tag, familiar form]
const VALID: Array<[string, string, string]> = [
  ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['docker.io/library/busybox:latest', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['docker.io/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['index.docker.io/library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
  ['user/app', 'docker.io/user/app:latest', 'user/app:latest'],
  ['user/app:v1.2_rc-3', 'docker.io/user/app:v1.2_rc-3', 'user/app:v1.2_rc-3'],
  ['docker.io/library/a/b', 'docker.io/library/a/b:latest', 'library/a/b:latest'],
  ['localhost/app', 'localhost/app:latest', 'localhost/app:latest'],
  ['localhost:5000/app:dev', 'localhost:5000/app:dev', 'localhost:5000/app:dev'],
  ['registry.example.com/team/app', 'registry.example.com/team/app:latest', 'registry.example.com/team/app:latest'],
  ['registry.example.com:8443/app:1', 'registry.example.com:8443/app:1', 'registry.example.com:8443/app:1'],
  ['Registry.Example.com/app', 'Registry.Example.com/app:latest', 'Registry.Example.com/app:latest'],
  ['[::1]:5000/app', '[::1]:5000/app:latest', '[::1]:5000/app:latest'],
  ['a__b/c.d-e', 'docker.io/a__b/c.d-e:latest', 'a__b/c.d-e:latest'],
  [`busybox@${DIGEST}`, `docker.io/library/busybox@${DIGEST}`, `busybox@${DIGEST}`],
  [`busybox:1.36@${DIGEST}`, `docker.io/library/busybox:1.36@${DIGEST}`, `busybox:1.36@${DIGEST}`],
  [`localhost:5000/app@${DIGEST}`, `localhost:5000/app@${DIGEST}`, `localhost:5000/app@${DIGEST}`],
];

test('reference normalization table', () => {
  for (const [input, normalized, familiar] of VALID) {
    assert.equal(normalizeReference(input), normalized, `normalize ${input}`);
    assert.equal(familiarize(normalized), familiar, `familiarize ${normalized}`);
  }
});

test('reference one image three spellings', () => {
  const spellings = ['busybox', 'library/busybox', 'docker.io/library/busybox:latest'].map(normalizeReference);
  assert.equal(new Set(spellings).size, 1);
});

test('reference parts', () => {
  assert.deepEqual(parseReference('localhost:5000/team/app:v1'), { domain: 'localhost:5000', path: 'team/app', tag: 'v1', digest: null });
  assert.deepEqual(parseReference(`busybox@${DIGEST}`), { domain: 'docker.io', path: 'library/busybox', tag: null, digest: DIGEST });
  assert.equal(formatReference(parseReference('busybox')), 'docker.io/library/busybox');
  assert.equal(familiarString(parseReference('busybox')), 'busybox');
});

// input → exact error message
const INVALID: Array<[string, string]> = [
  ['Busybox', 'invalid reference format: repository name (library/Busybox) must be lowercase'],
  ['user/App:v1', 'invalid reference format: repository name (user/App) must be lowercase'],
  ['localhost:5000/App', 'invalid reference format: repository name (App) must be lowercase'],
  ['', 'invalid reference format'],
  ['busybox:', 'invalid reference format'],
  ['busybox:-bad', 'invalid reference format'],
  [`busybox:${'t'.repeat(129)}`, 'invalid reference format'],
  ['-busybox', 'invalid reference format'],
  ['bus--box_', 'invalid reference format'],
  ['busybox@sha256:abc', 'invalid reference format'],
  [`busybox@md5:${'a'.repeat(32)}`, `invalid reference format: unsupported digest algorithm: md5:${'a'.repeat(32)}`],
  [`busybox@sha256:${'a'.repeat(40)}`, `invalid reference format: invalid checksum digest length: sha256:${'a'.repeat(40)}`],
  ['a'.repeat(64), `invalid repository name (${'a'.repeat(64)}), cannot specify 64-byte hexadecimal strings`],
  [`${'a'.repeat(250)}/b`, 'invalid reference format: repository name must not be more than 255 characters'],
];

test('reference rejection table', () => {
  for (const [input, message] of INVALID) {
    assert.throws(
      () => parseReference(input),
      (error: unknown) => error instanceof InvalidArgumentError && error.message === message,
      `parse ${JSON.stringify(input.slice(0, 40))} should fail with: ${message}`,
    );
  }
  // Positive control: the valid neighbours of the rejected inputs parse.
  assert.equal(normalizeReference('bus--box'), 'docker.io/library/bus--box:latest');
  assert.equal(normalizeReference(`busybox:${'t'.repeat(128)}`), `docker.io/library/busybox:${'t'.repeat(128)}`);
});
