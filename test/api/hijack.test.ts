// Hijacked connections (attach, exec start), wait and logs over a real
// socket, against sessions of the in-memory engine double.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { FrameDecoder } from '../../src/api/streams/mux';
import type { ContainerRecord } from '../../src/container/types';
import { rawRequest, readUntilEnd, startHarness, upgradeRequest, waitFor, type Harness } from './api-harness';

let harness: Harness;

before(async () => {
  harness = await startHarness();
});

after(async () => {
  await harness?.close();
});

function container(spec: Partial<ContainerRecord['spec']>, status: ContainerRecord['state']['status'] = 'running'): ContainerRecord {
  const record = harness.engine.addContainer({ spec });
  harness.engine.setStatus(record.id, status);
  return record;
}

function frames(bytes: Buffer): [number, string][] {
  return new FrameDecoder().push(bytes).map((frame) => [frame.stream, frame.payload.toString()]);
}

test('attach: upgrade returns 101 with multiplexed frames', async () => {
  const record = container({ openStdin: true });
  const response = await rawRequest(harness.socketPath, upgradeRequest('POST', `/v1.50/containers/${record.id}/attach?stream=1&stdout=1&stderr=1`));
  assert.equal(response.statusLine, 'HTTP/1.1 101 UPGRADED');
  assert.equal(response.headers['content-type'], 'application/vnd.docker.multiplexed-stream');
  assert.equal(response.headers.connection, 'Upgrade');
  assert.equal(response.headers.upgrade, 'tcp');
  assert.equal(response.headers['api-version'], '1.50');

  const session = harness.engine.sessions.at(-1)!;
  session.emit('stdout', 'out\n');
  session.emit('stderr', 'err\n');
  session.output.end();
  const bytes = await readUntilEnd(response.socket, response.rest);
  assert.deepEqual(frames(bytes), [[1, 'out\n'], [2, 'err\n']]);
  assert.equal(session.closed, true);
});

test('attach: API 1.41 names the raw stream type', async () => {
  const record = container({});
  const response = await rawRequest(harness.socketPath, upgradeRequest('POST', `/v1.41/containers/${record.id}/attach?stream=1&stdout=1`));
  assert.equal(response.headers['content-type'], 'application/vnd.docker.raw-stream');
  harness.engine.sessions.at(-1)!.output.end();
  await readUntilEnd(response.socket, response.rest);
});

test('attach: raw TTY output, detach keys', async () => {
  const record = container({ tty: true, openStdin: true });
  const response = await rawRequest(harness.socketPath, upgradeRequest('POST', `/containers/${record.id}/attach?stream=1&stdin=1&stdout=1`));
  assert.equal(response.headers['content-type'], 'application/vnd.docker.raw-stream');
  const session = harness.engine.sessions.at(-1)!;
  session.emit('stdout', 'prompt$ ');

  const ended = readUntilEnd(response.socket, response.rest);
  response.socket.write('ls\n\x10');
  await waitFor(() => session.stdinText() === 'ls\n', 'input before the detach keys');
  response.socket.write('\x11after');
  const bytes = await ended;
  assert.equal(bytes.toString(), 'prompt$ ');
  assert.equal(session.closed, true);
  assert.equal(session.stdinText(), 'ls\n', 'the detach sequence and later input are not forwarded');
  assert.equal(session.stdinClosed, false, 'detaching leaves the process stdin open');
});

test('attach: custom and invalid detach keys', async () => {
  const record = container({ tty: true, openStdin: true });
  const response = await rawRequest(harness.socketPath, upgradeRequest('POST', `/containers/${record.id}/attach?stream=1&stdin=1&stdout=1&detachKeys=ctrl-a,x`));
  const session = harness.engine.sessions.at(-1)!;
  const ended = readUntilEnd(response.socket, response.rest);
  response.socket.write('\x10\x11a\x01x');
  await ended;
  assert.equal(session.stdinText(), '\x10\x11a', 'ctrl-p,ctrl-q is plain input when other keys are set');

  const invalid = await harness.request('POST', `/containers/${record.id}/attach?stream=1&detachKeys=ctrl-1`);
  assert.equal(invalid.status, 400);
  assert.equal(invalid.json().message, 'Invalid detach keys (ctrl-1) provided');
});

test('attach: end of input closes StdinOnce stdin', async () => {
  const record = container({ openStdin: true, stdinOnce: true });
  const response = await rawRequest(harness.socketPath, upgradeRequest('POST', `/containers/${record.id}/attach?stream=1&stdin=1&stdout=1`));
  const session = harness.engine.sessions.at(-1)!;
  const ended = readUntilEnd(response.socket, response.rest);
  response.socket.end('data\x10\x11');
  await waitFor(() => session.stdinClosed, 'stdin to close');
  assert.equal(session.stdinText(), 'data\x10\x11', 'without a TTY the detach keys are plain input');
  session.emit('stdout', 'after eof\n');
  session.output.end();
  assert.deepEqual(frames(await ended), [[1, 'after eof\n']]);
});

test('attach: EOF ends session, keeps stdin', async () => {
  const record = container({ openStdin: true });
  const response = await rawRequest(harness.socketPath, upgradeRequest('POST', `/containers/${record.id}/attach?stream=1&stdin=1&stdout=1`));
  const session = harness.engine.sessions.at(-1)!;
  const ended = readUntilEnd(response.socket, response.rest);
  response.socket.end('x');
  await ended;
  assert.equal(session.closed, true);
  assert.equal(session.stdinClosed, false);
  assert.equal(session.stdinText(), 'x');
});

test('attach: input dropped without stdin request', async () => {
  const record = container({ openStdin: true });
  const response = await rawRequest(harness.socketPath, upgradeRequest('POST', `/containers/${record.id}/attach?stream=1&stdout=1`));
  const session = harness.engine.sessions.at(-1)!;
  const ended = readUntilEnd(response.socket, response.rest);
  response.socket.end('ignored');
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(session.stdinText(), '');
  assert.equal(session.closed, false, 'closing input means nothing without stdin');
  session.output.end();
  await ended;
});

test('attach: no upgrade returns bare 200', async () => {
  const record = container({});
  const response = await rawRequest(
    harness.socketPath,
    `POST /containers/${record.id}/attach?stream=1&stdout=1 HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n`,
  );
  assert.equal(response.statusLine, 'HTTP/1.1 200 OK');
  assert.equal(response.headers['content-type'], 'application/vnd.docker.multiplexed-stream');
  const session = harness.engine.sessions.at(-1)!;
  session.emit('stdout', 'plain\n');
  session.output.end();
  assert.deepEqual(frames(await readUntilEnd(response.socket, response.rest)), [[1, 'plain\n']]);
});

test('attach: errors before the upgrade are plain HTTP', async () => {
  const missing = await rawRequest(harness.socketPath, upgradeRequest('POST', '/containers/nope/attach?stream=1'));
  assert.equal(missing.statusLine, 'HTTP/1.1 404 Not Found');
  assert.equal(missing.headers.connection, 'close');
  const body = await readUntilEnd(missing.socket, missing.rest);
  assert.equal(body.toString(), '{"message":"No such container: nope"}\n');

  const paused = container({}, 'paused');
  const conflict = await harness.request('POST', `/containers/${paused.id}/attach?stream=1`);
  assert.equal(conflict.status, 409);
  assert.match(conflict.json().message as string, /is paused, unpause the container before attach/);
});

test('exec: create, start with stdin, inspect', async () => {
  const record = container({});
  const created = await harness.request('POST', `/containers/${record.id}/exec`, { Cmd: ['cat'], AttachStdin: true, AttachStdout: true });
  assert.equal(created.status, 201);
  const execId = created.json<{ Id: string }>().Id;

  // The body and the first stdin bytes arrive in one packet, as they may from a fast client.
  const response = await rawRequest(harness.socketPath, upgradeRequest('POST', `/exec/${execId}/start`, '{"Detach":false,"Tty":false}') + 'first');
  assert.equal(response.statusLine, 'HTTP/1.1 101 UPGRADED');
  const session = harness.engine.sessions.at(-1)!;
  await waitFor(() => session.stdinText() === 'first', 'stdin sent with the request');
  response.socket.end(' second');
  await waitFor(() => session.stdinClosed, 'exec stdin to close at end of input');
  assert.equal(session.stdinText(), 'first second');
  session.emit('stdout', 'first second');
  session.output.end();
  assert.deepEqual(frames(await readUntilEnd(response.socket, response.rest)), [[1, 'first second']]);

  const inspected = await harness.request('GET', `/exec/${execId}/json`);
  assert.equal(inspected.status, 200);
  const shape = inspected.json<{ ID: string; ContainerID: string; ProcessConfig: { entrypoint: string; arguments: string[] }; OpenStdin: boolean }>();
  assert.equal(shape.ID, execId);
  assert.equal(shape.ContainerID, record.id);
  assert.equal(shape.ProcessConfig.entrypoint, 'cat');
  assert.deepEqual(shape.ProcessConfig.arguments, []);
  assert.equal(shape.OpenStdin, true);
});

test('exec: detached start returns 200 without a stream', async () => {
  const record = container({});
  const created = await harness.request('POST', `/containers/${record.id}/exec`, { Cmd: ['sleep', '1'] });
  const execId = created.json<{ Id: string }>().Id;
  const started = await harness.request('POST', `/exec/${execId}/start`, { Detach: true });
  assert.equal(started.status, 200);
  assert.equal(started.body.length, 0);
  const call = harness.engine.calls.filter((entry) => entry.method === 'startExec').at(-1);
  assert.deepEqual(call?.args[1], { detach: true, consoleSize: null });
});

test('exec: TTY console size and resize', async () => {
  const record = container({});
  const created = await harness.request('POST', `/containers/${record.id}/exec`, { Cmd: ['sh'], Tty: true, AttachStdout: true });
  const execId = created.json<{ Id: string }>().Id;
  const response = await rawRequest(harness.socketPath, upgradeRequest('POST', `/exec/${execId}/start`, '{"Tty":true,"ConsoleSize":[40,120]}'));
  assert.equal(response.headers['content-type'], 'application/vnd.docker.raw-stream');
  const call = harness.engine.calls.filter((entry) => entry.method === 'startExec').at(-1);
  assert.deepEqual(call?.args[1], { detach: false, consoleSize: [40, 120] });

  const resized = await harness.request('POST', `/exec/${execId}/resize?h=30&w=100`);
  assert.equal(resized.status, 200);
  assert.deepEqual(harness.engine.calls.at(-1), { method: 'resizeExec', args: [execId, 30, 100] });
  harness.engine.sessions.at(-1)!.output.end();
  await readUntilEnd(response.socket, response.rest);
});

test('wait: headers arrive before the container exits', async () => {
  const record = container({});
  const body = await new Promise<string>((resolve, reject) => {
    const request = http.request({ socketPath: harness.socketPath, method: 'POST', path: `/containers/${record.id}/wait?condition=next-exit` }, (response) => {
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['content-type'], 'application/json');
      // The status is already here while the container still runs.
      assert.equal(harness.engine.containers.get(record.id)?.state.status, 'running');
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve(text));
      setTimeout(() => harness.engine.setStatus(record.id, 'exited', 137), 30);
    });
    request.on('error', reject);
    request.end();
  });
  assert.equal(body, '{"StatusCode":137,"Error":null}\n');
});

test('wait: a missing container is a plain 404', async () => {
  const response = await harness.request('POST', '/containers/nope/wait');
  assert.equal(response.status, 404);
});

test('logs: frames, timestamps and tail', async () => {
  const record = container({});
  harness.engine.logs.set(record.id, [
    { stream: 'stdout', time: '2024-01-01T00:00:00.000000001Z', data: Buffer.from('one\n') },
    { stream: 'stderr', time: '2024-01-01T00:00:01.000000002Z', data: Buffer.from('two\n') },
    { stream: 'stdout', time: '2024-01-01T00:00:02.000000003Z', data: Buffer.from('three') },
  ]);
  const all = await harness.request('GET', `/containers/${record.id}/logs?stdout=1&stderr=1`);
  assert.equal(all.status, 200);
  assert.equal(all.headers['content-type'], 'application/vnd.docker.multiplexed-stream');
  assert.deepEqual(frames(all.body), [[1, 'one\n'], [2, 'two\n'], [1, 'three']]);

  const stamped = await harness.request('GET', `/containers/${record.id}/logs?stdout=1&timestamps=1&tail=1`);
  assert.deepEqual(frames(stamped.body), [[1, '2024-01-01T00:00:02.000000003Z three']]);
  const options = harness.engine.calls.filter((call) => call.method === 'containerLogs').at(-1)?.args[1];
  assert.deepEqual(options, { follow: false, stdout: true, stderr: false, since: 0, until: 0, tail: 1 });

  const everything = await harness.request('GET', `/containers/${record.id}/logs?stdout=1&tail=all&since=1700000000.5`);
  assert.equal(everything.status, 200);
  const lastOptions = harness.engine.calls.filter((call) => call.method === 'containerLogs').at(-1)?.args[1] as { tail: number | null; since: number };
  assert.equal(lastOptions.tail, null);
  assert.equal(lastOptions.since, 1700000000.5);

  const badSince = await harness.request('GET', `/containers/${record.id}/logs?stdout=1&since=yesterday`);
  assert.equal(badSince.status, 400);
  assert.match(badSince.json().message as string, /invalid value for "since"/);
});

test('logs: TTY containers stream raw bytes', async () => {
  const record = container({ tty: true });
  harness.engine.logs.set(record.id, [{ stream: 'stdout', time: '2024-01-01T00:00:00Z', data: Buffer.from('raw\r\n') }]);
  const response = await harness.request('GET', `/containers/${record.id}/logs?stdout=1`);
  assert.equal(response.headers['content-type'], 'application/vnd.docker.raw-stream');
  assert.equal(response.text, 'raw\r\n');
});

test('logs: drivers that cannot be read', async () => {
  const record = harness.engine.addContainer({ logDriver: 'none' });
  const response = await harness.request('GET', `/containers/${record.id}/logs?stdout=1`);
  assert.equal(response.status, 501);
  assert.equal(response.json().message, 'configured logging driver does not support reading');
});
