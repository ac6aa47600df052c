// The API client against a small HTTP server on a unix socket in a temporary
// directory: version negotiation, error bodies, hijacked connections, and
// the host precedence rules.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { ApiClient, ApiError, DaemonUnreachableError, encodeQuery } from '../../src/cli/client/api-client';
import { autostartEnabled, HostError, resolveHost } from '../../src/cli/client/host';
import { encodeFrame } from '../../src/cli/client/stdcopy';
import { defaultConfig } from '../../src/common/config';

let directory: string;
let socketPath: string;
let server: http.Server;
let serverVersion = '1.50';
const seen: string[] = [];

before(async () => {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cli-client-'));
  socketPath = path.join(directory, 'api.sock');
  server = http.createServer((request, response) => {
    seen.push(`${request.method} ${request.url}`);
    const headers = { 'Api-Version': serverVersion, 'Content-Type': 'application/json' };
    if (request.url === '/_ping') {
      response.writeHead(200, headers).end(request.method === 'HEAD' ? undefined : 'OK');
    } else if (request.url?.endsWith('/containers/missing/json')) {
      response.writeHead(404, headers).end('{"message":"No such container: missing"}\n');
    } else if (request.url?.endsWith('/plain-error')) {
      response.writeHead(500, { 'Content-Type': 'text/plain' }).end('something broke\n');
    } else if (request.url?.endsWith('/empty-error')) {
      response.writeHead(404).end();
    } else if (request.url?.endsWith('/containers/json')) {
      response.writeHead(200, headers).end('[{"Id":"abc"}]');
    } else {
      response.writeHead(404, headers).end('{"message":"page not found"}');
    }
  });
  server.on('upgrade', (request: http.IncomingMessage, socket: Duplex) => {
    seen.push(`UPGRADE ${request.url} ${request.headers.connection} ${request.headers.upgrade}`);
    socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    // Echo stdin back as stdout frames until the client half-closes, then end with one stderr frame.
    socket.on('data', (chunk: Buffer) => socket.write(encodeFrame(1, chunk)));
    socket.on('end', () => socket.end(encodeFrame(2, 'bye\n')));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
});

after(async () => {
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(directory, { recursive: true, force: true });
});

test('negotiation keeps 1.50 or lowers it', async () => {
  serverVersion = '1.50';
  const current = new ApiClient(socketPath);
  await current.negotiate();
  assert.equal(current.version, '1.50');

  serverVersion = '1.41';
  const older = new ApiClient(socketPath);
  await older.negotiate();
  assert.equal(older.version, '1.41');
  seen.length = 0;
  await older.json('GET', '/containers/json');
  assert.deepEqual(seen, ['GET /v1.41/containers/json']);

  serverVersion = '1.99';
  const newer = new ApiClient(socketPath);
  await newer.negotiate();
  assert.equal(newer.version, '1.50');
  serverVersion = '1.50';
});

test('error bodies become ApiError', async () => {
  const client = new ApiClient(socketPath);
  await assert.rejects(client.json('GET', '/containers/missing/json'), (error: unknown) => error instanceof ApiError && error.status === 404 && error.message === 'Error response from daemon: No such container: missing');
  await assert.rejects(client.json('GET', '/plain-error'), (error: unknown) => error instanceof ApiError && error.daemonMessage === 'something broke');
  await assert.rejects(client.json('GET', '/empty-error'), (error: unknown) => error instanceof ApiError && /request returned 404 Not Found for API route/.test(error.message));
  assert.deepEqual(await client.json('GET', '/containers/json'), [{ Id: 'abc' }]);
});

test('missing socket is unreachable', async () => {
  const client = new ApiClient(path.join(directory, 'absent.sock'));
  await assert.rejects(client.negotiate(), (error: unknown) => error instanceof DaemonUnreachableError && error.code === 'ENOENT');
});

test('hijacked connection streams both ways', async () => {
  const client = new ApiClient(socketPath);
  const connection = await client.hijack('/containers/abc/attach', { query: { stream: true, stdin: true } });
  const received: Buffer[] = [];
  const ended = new Promise<void>((resolve) => connection.output.on('end', resolve));
  connection.output.on('data', (chunk: Buffer) => received.push(chunk));
  connection.write(Buffer.from('ping\n'));
  await new Promise((resolve) => setTimeout(resolve, 50));
  connection.closeWrite();
  await ended;
  assert.deepEqual(Buffer.concat(received), Buffer.concat([encodeFrame(1, 'ping\n'), encodeFrame(2, 'bye\n')]));
  assert.ok(seen.includes('UPGRADE /v1.50/containers/abc/attach?stdin=1&stream=1 Upgrade tcp'), seen.join('\n'));
});

test('query strings sort keys and repeat arrays', () => {
  assert.equal(encodeQuery({ stream: true, b: 'x y', a: 1, skip: undefined, no: false, changes: ['CMD a', 'ENV b=1'] }), '?a=1&b=x%20y&changes=CMD%20a&changes=ENV%20b%3D1&no=0&stream=1');
  assert.equal(encodeQuery({}), '');
});

test('host precedence and autostart rules', () => {
  const config = () => defaultConfig('berth');
  const environment = { BERTH_HOST: 'unix:///tmp/b.sock', DOCKER_HOST: 'unix:///tmp/d.sock' };
  assert.deepEqual(resolveHost(['unix:///tmp/f.sock'], environment, config), { socketPath: '/tmp/f.sock', url: 'unix:///tmp/f.sock', source: 'flag' });
  assert.equal(resolveHost([], environment, config).socketPath, '/tmp/b.sock');
  assert.equal(resolveHost([], { DOCKER_HOST: 'unix:///tmp/d.sock' }, config).source, 'DOCKER_HOST');
  const fallback = resolveHost([], {}, config);
  assert.deepEqual(fallback, { socketPath: '/run/berth/berth.sock', url: 'unix:///run/berth/berth.sock', source: 'config' });

  assert.throws(() => resolveHost(['tcp://127.0.0.1:2375'], {}, config), (error: unknown) => error instanceof HostError && /tcp connections are not supported/.test(error.message));
  assert.throws(() => resolveHost(['a', 'b'], {}, config), /specify only one -H/);

  assert.equal(autostartEnabled(fallback, {}), true);
  assert.equal(autostartEnabled(fallback, { BERTH_NO_AUTOSTART: '1' }), false);
  assert.equal(autostartEnabled(resolveHost([], { DOCKER_HOST: 'unix:///tmp/d.sock' }, config), {}, config), false);
  assert.equal(autostartEnabled(resolveHost(['unix:///tmp/other.sock'], {}, config), {}, config), false, 'another socket is not autostarted');
  assert.equal(autostartEnabled(resolveHost(['unix:///run/berth/berth.sock'], {}, config), {}, config), true, 'the instance socket named with -H is');
});
