// Bad API input gets a clear error with Docker's status code and never
// crashes berthd.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request, startDaemon, type TestDaemon } from '../helpers/daemon';

let daemon: TestDaemon;

before(async () => {
  daemon = await startDaemon();
});

after(async () => {
  await daemon?.stop();
});

test('malformed JSON gets 400', async () => {
  const response = await request(daemon.socketPath, 'POST', '/v1.50/containers/create', '{"Image": "busybox",', { 'Content-Type': 'application/json' });
  assert.equal(response.status, 400);
  assert.equal(typeof response.json<{ message: string }>().message, 'string');
});

test('wrong field type gets 400', async () => {
  const response = await request(daemon.socketPath, 'POST', '/v1.50/containers/create', { Image: 'busybox', Cmd: 42 });
  assert.equal(response.status, 400);
  assert.match(response.json<{ message: string }>().message, /Cmd/);
});

test('unknown image and container get 404', async () => {
  const image = await request(daemon.socketPath, 'POST', '/v1.50/containers/create', { Image: 'no-such-image:v9', Cmd: ['true'] });
  assert.equal(image.status, 404);
  assert.match(image.json<{ message: string }>().message, /No such image: no-such-image:v9/);

  const container = await request(daemon.socketPath, 'GET', '/v1.50/containers/nope/json');
  assert.equal(container.status, 404);
  assert.equal(container.json<{ message: string }>().message, 'No such container: nope');
});

test('daemon survives a burst of bad requests', async () => {
  const bodies = ['', 'null', '[]', '{"HostConfig": 5}', '{"Image": {}}', '\u0000\u0001', '{"Image":"busybox","HostConfig":{"Memory":"lots"}}'];
  for (const body of bodies) {
    const response = await request(daemon.socketPath, 'POST', '/containers/create', body, { 'Content-Type': 'application/json' });
    assert.ok(response.status >= 400, `body ${JSON.stringify(body)} got ${response.status}`);
    assert.ok(response.status < 500, `body ${JSON.stringify(body)} got ${response.status}`);
  }
  const ping = await request(daemon.socketPath, 'GET', '/_ping');
  assert.equal(ping.status, 200);
  assert.equal(ping.body.toString(), 'OK');

  const valid = await request(daemon.socketPath, 'POST', '/containers/create', { Image: 'busybox', Cmd: ['true'] });
  assert.equal(valid.status, 201, valid.body.toString());
});
