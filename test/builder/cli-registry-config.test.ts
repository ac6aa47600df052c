import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseBuildArgs, parseLabels, registryConfigHeader } from '../../src/cli/commands/build';

function decode(header: string): Record<string, Record<string, string>> {
  return JSON.parse(Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8')) as Record<string, Record<string, string>>;
}

test('registry config header logins', (t) => {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-registry-config-'));
  t.after(() => fs.rmSync(directory, { recursive: true, force: true }));
  const environment = { DOCKER_CONFIG: directory };

  assert.deepEqual(decode(registryConfigHeader(environment)), {}, 'no config file gives no logins');

  const auths = {
    '127.0.0.1:5000': { auth: Buffer.from('alice:secret').toString('base64') },
    'registry.example.invalid': { auth: Buffer.from('bob:').toString('base64'), identitytoken: 'token-1' },
  };
  fs.writeFileSync(path.join(directory, 'config.json'), JSON.stringify({ auths }));

  assert.deepEqual(decode(registryConfigHeader(environment)), {
    '127.0.0.1:5000': { username: 'alice', password: 'secret', serveraddress: '127.0.0.1:5000' },
    'registry.example.invalid': { identitytoken: 'token-1', serveraddress: 'registry.example.invalid' },
  });
});

test('build arg and label parsing', () => {
  assert.deepEqual(parseBuildArgs(['A=1', 'B=', 'C=x=y', 'FROM_ENV', 'UNSET'], { FROM_ENV: 'env' }), { A: '1', B: '', C: 'x=y', FROM_ENV: 'env', UNSET: null });
  assert.throws(() => parseBuildArgs(['=1'], {}), /variable name is empty/);
  assert.deepEqual(parseLabels(['a=b', 'empty', 'c=d=e']), { a: 'b', empty: '', c: 'd=e' });
});
