// Routing, version prefixes, headers and error mapping of the API server,
// as (method, path, body) → (status, checks) tables against the in-memory engine double.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { createApiServer } from '../../src/api/server';
import { defaultConfig } from '../../src/common/config';
import { sendRequest, startHarness, type Harness, type HarnessResponse } from './api-harness';

let harness: Harness;

before(async () => {
  harness = await startHarness();
  harness.engine.addContainer({ id: 'a'.repeat(64), name: 'web' });
});

after(async () => {
  await harness?.close();
});

interface Case {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  status: number;
  check?: (response: HarnessResponse) => void;
}

const messageIs = (expected: string) => (response: HarnessResponse) => assert.equal(response.json<{ message: string }>().message, expected);
const messageMatches = (pattern: RegExp) => (response: HarnessResponse) => assert.match(response.json<{ message: string }>().message, pattern);

const cases: Case[] = [
  { name: 'ping', method: 'GET', path: '/_ping', status: 200, check: (response) => assert.equal(response.text, 'OK') },
  { name: 'ping with prefix', method: 'GET', path: '/v1.41/_ping', status: 200 },
  { name: 'version without prefix', method: 'GET', path: '/version', status: 200, check: (response) => assert.equal(response.json().ApiVersion, '1.50') },
  { name: 'oldest version', method: 'GET', path: '/v1.24/version', status: 200 },
  { name: 'newest version', method: 'GET', path: '/v1.50/version', status: 200 },
  {
    name: 'version too old',
    method: 'GET',
    path: '/v1.23/version',
    status: 400,
    check: messageIs('client version 1.23 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version'),
  },
  {
    name: 'version too new',
    method: 'GET',
    path: '/v1.99/version',
    status: 400,
    check: messageIs('client version 1.99 is too new. Maximum supported API version is 1.50'),
  },
  { name: 'version 1.9 is older than 1.24', method: 'GET', path: '/v1.9/version', status: 400, check: messageMatches(/too old/) },
  { name: 'unknown route', method: 'GET', path: '/v1.50/nothing/here', status: 404, check: messageIs('page not found') },
  { name: 'wrong method', method: 'PUT', path: '/containers/json', status: 404, check: messageIs('page not found') },
  { name: 'missing container', method: 'GET', path: '/containers/nope/json', status: 404, check: messageIs('No such container: nope') },
  { name: 'container by name', method: 'GET', path: '/containers/web/json', status: 200, check: (response) => assert.equal(response.json().Name, '/web') },
  { name: 'container by id prefix', method: 'GET', path: '/v1.44/containers/aaaa/json', status: 200 },
  { name: 'engine conflict', method: 'POST', path: '/containers/web/kill', status: 409, check: messageIs('container web is not running') },
  { name: 'invalid kill signal', method: 'POST', path: '/containers/web/kill?signal=SIGNOPE', status: 400, check: messageIs('Invalid signal: SIGNOPE') },
  { name: 'malformed JSON', method: 'POST', path: '/containers/create', body: '{"Image": "busybox",', status: 400, check: messageMatches(/^invalid JSON: /) },
  {
    name: 'wrong field type',
    method: 'POST',
    path: '/containers/create',
    body: { Image: 'busybox', HostConfig: { Memory: 'lots' } },
    status: 400,
    check: messageIs('invalid JSON: HostConfig.Memory: expected an integer, got a string ("lots")'),
  },
  { name: 'string for a bool', method: 'POST', path: '/containers/create', body: { Image: 'busybox', Tty: 'yes' }, status: 400, check: messageMatches(/Tty: expected a boolean/) },
  { name: 'empty create body', method: 'POST', path: '/containers/create', status: 400, check: messageIs('config cannot be empty in order to create a container') },
  { name: 'JSON array body', method: 'POST', path: '/containers/create', body: '[]', status: 400, check: messageMatches(/expected an object/) },
  {
    name: 'wrong content type',
    method: 'POST',
    path: '/containers/create',
    body: '{"Image":"busybox"}',
    headers: { 'Content-Type': 'text/plain' },
    status: 400,
    check: messageIs("unsupported Content-Type header (text/plain): must be 'application/json'"),
  },
  {
    name: 'invalid name',
    method: 'POST',
    path: '/containers/create?name=bad%20name',
    body: { Image: 'busybox' },
    status: 400,
    check: messageIs('Invalid container name (bad name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed'),
  },
  { name: 'one-letter name', method: 'POST', path: '/containers/create?name=a', body: { Image: 'busybox' }, status: 400, check: messageMatches(/Invalid container name \(a\)/) },
  { name: 'valid name', method: 'POST', path: '/containers/create?name=/good.name-1', body: { Image: 'busybox' }, status: 201 },
  { name: 'missing image', method: 'POST', path: '/containers/create', body: { Image: 'nope' }, status: 404, check: messageIs('No such image: nope') },
  { name: 'bad resize height', method: 'POST', path: '/containers/web/resize?h=x&w=80', status: 400, check: messageIs('invalid resize height "x": invalid syntax') },
  { name: 'negative resize width', method: 'POST', path: '/containers/web/resize?h=24&w=-1', status: 400, check: messageIs('invalid resize width "-1": value out of range') },
  { name: 'valid resize', method: 'POST', path: '/containers/web/resize?h=24&w=80', status: 200 },
  { name: 'bad wait condition', method: 'POST', path: '/containers/web/wait?condition=soon', status: 400, check: messageIs('invalid condition: "soon"') },
  { name: 'logs without streams', method: 'GET', path: '/containers/web/logs', status: 400, check: messageIs("must specify at least one of 'stdout' or 'stderr'") },
  { name: 'bad filters JSON', method: 'GET', path: '/containers/json?filters=%7Bnot', status: 400, check: messageIs('invalid filter') },
  { name: 'unknown filter', method: 'GET', path: '/containers/json?filters=%7B%22colour%22%3A%5B%22red%22%5D%7D', status: 400, check: messageIs("invalid filter 'colour'") },
  { name: 'bad stop timeout', method: 'POST', path: '/containers/web/stop?t=soon', status: 400, check: messageMatches(/invalid value for "t"/) },
  { name: 'stop of a stopped container', method: 'POST', path: '/containers/web/stop', status: 304, check: (response) => assert.equal(response.body.length, 0) },
  { name: 'start with a HostConfig body', method: 'POST', path: '/containers/web/start', body: { Binds: ['/a:/b'] }, status: 400, check: messageMatches(/removed in v1.24/) },
  { name: 'image with slashes', method: 'GET', path: '/images/localhost:5000/foo/bar/json', status: 404, check: messageIs('No such image: localhost:5000/foo/bar') },
  { name: 'exec without command', method: 'POST', path: '/containers/web/exec', body: { Cmd: [] }, status: 400, check: messageIs('No exec command specified') },
  { name: 'exec bad detach keys', method: 'POST', path: '/containers/web/exec', body: { Cmd: ['sh'], DetachKeys: 'ctrl-1' }, status: 400, check: messageIs('Invalid escape keys (ctrl-1) provided') },
  { name: 'missing exec', method: 'GET', path: '/exec/nope/json', status: 404, check: messageIs('No such exec instance: nope') },
  { name: 'missing volume', method: 'GET', path: '/volumes/nope', status: 404, check: messageIs('get nope: no such volume') },
  { name: 'bad percent-encoding', method: 'GET', path: '/containers/%zz/json', status: 400, check: messageMatches(/bad percent-encoding/) },
];

for (const entry of cases) {
  test(`route: ${entry.name}`, async () => {
    const response = await harness.request(entry.method, entry.path, entry.body, entry.headers);
    assert.equal(response.status, entry.status, response.text);
    entry.check?.(response);
  });
}

test('every response carries the version headers', async () => {
  for (const requestPath of ['/_ping', '/v1.23/version', '/nothing', '/containers/web/json']) {
    const response = await harness.request('GET', requestPath);
    assert.equal(response.headers['api-version'], '1.50', requestPath);
    assert.equal(response.headers['docker-experimental'], 'false', requestPath);
    assert.equal(response.headers.ostype, 'linux', requestPath);
    assert.equal(response.headers.server, 'Berth/9.9.9-test (linux)', requestPath);
  }
});

test('ping headers and HEAD body', async () => {
  const head = await harness.request('HEAD', '/_ping');
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  assert.equal(head.headers['builder-version'], '1');
  assert.equal(head.headers['cache-control'], 'no-cache, no-store, must-revalidate');
  assert.equal(head.headers.pragma, 'no-cache');
  const get = await harness.request('GET', '/_ping');
  assert.equal(get.text, 'OK');
});

test('error bodies are JSON with a newline', async () => {
  const response = await harness.request('GET', '/nothing');
  assert.equal(response.headers['content-type'], 'application/json');
  assert.equal(response.text, '{"message":"page not found"}\n');
});

test('unknown fields are ignored and logged', async () => {
  const response = await harness.request('POST', '/containers/create', {
    Image: 'busybox',
    FutureField: 1,
    HostConfig: { FutureHostField: true, Dns: ['10.0.0.1'] },
  });
  assert.equal(response.status, 201, response.text);
  const logged = harness.logLines.find((line) => line.msg === 'create request: ignoring unknown fields');
  assert.ok(logged, 'a debug line lists the unknown fields');
  assert.equal(logged.level, 20);
  assert.deepEqual(logged.fields, ['FutureField', 'HostConfig.FutureHostField']);

  const created = harness.engine.calls.filter((call) => call.method === 'createContainer').pop();
  const spec = created?.args[0] as { extra: { HostConfig: Record<string, unknown> } };
  assert.deepEqual(spec.extra.HostConfig.Dns, ['10.0.0.1'], 'known but unused fields are kept for inspect');
  assert.equal('FutureHostField' in spec.extra.HostConfig, false, 'unknown fields are not kept');
});

test('request log levels', async () => {
  harness.logLines.length = 0;
  await harness.request('GET', '/containers/nope/json');
  await harness.request('GET', '/_ping');
  const rejected = harness.logLines.find((line) => line.msg === 'request rejected');
  assert.equal(rejected?.level, 30);
  assert.equal(rejected?.status, 404);
  const served = harness.logLines.filter((line) => line.msg === 'request');
  assert.equal(served.length, 2);
  assert.equal(served[1].status, 200);
  assert.equal(typeof served[1].durationMs, 'number');
});

test('internal errors get 500 and an error log', async () => {
  const original = harness.engine.topContainer;
  harness.engine.topContainer = async () => {
    throw new Error('ps exploded');
  };
  try {
    const response = await harness.request('GET', '/containers/web/top');
    assert.equal(response.status, 500);
    assert.equal(response.json().message, 'ps exploded');
    const failed = harness.logLines.find((line) => line.msg === 'request failed');
    assert.equal(failed?.level, 50);
    assert.equal(failed?.id, 'web');
  } finally {
    harness.engine.topContainer = original;
  }
  const healthy = await harness.request('GET', '/containers/web/top');
  assert.equal(healthy.status, 200);
  assert.deepEqual(healthy.json(), { Titles: ['PID', 'CMD'], Processes: [['1', 'sleep 100']] });
});

test('socket is root-only', () => {
  assert.equal(fs.statSync(harness.socketPath).mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.dirname(harness.socketPath)).mode & 0o777, 0o700);
});

function quietServer() {
  return createApiServer(harness.engine, { config: defaultConfig('apitest'), logger: pino({ level: 'silent' }), version: 'x' });
}

test('listen rejects a live socket', async () => {
  await assert.rejects(quietServer().listen(harness.socketPath), /another server is already listening on this socket/);
  const ping = await harness.request('GET', '/_ping');
  assert.equal(ping.status, 200, 'the first server still serves');
});

test('listen replaces a stale socket', async () => {
  const stalePath = path.join(harness.directory, 'stale.sock');
  // A process killed with SIGKILL leaves its socket file behind, with no server listening.
  const script = `require('net').createServer().listen(${JSON.stringify(stalePath)}, () => process.kill(process.pid, 'SIGKILL'))`;
  spawnSync(process.execPath, ['-e', script]);
  assert.ok(fs.lstatSync(stalePath).isSocket(), 'the stale socket file exists');

  const server = quietServer();
  await server.listen(stalePath);
  try {
    const ping = await sendRequest(stalePath, 'GET', '/_ping');
    assert.equal(ping.text, 'OK');
  } finally {
    await server.close();
  }
  assert.equal(fs.existsSync(stalePath), false, 'close removes the socket file');
});

test('listen rejects a non-socket path', async () => {
  const filePath = path.join(harness.directory, 'plain-file');
  fs.writeFileSync(filePath, 'data');
  await assert.rejects(quietServer().listen(filePath), /the path exists and is not a socket/);
  assert.equal(fs.readFileSync(filePath, 'utf8'), 'data', 'the file is left alone');
});
