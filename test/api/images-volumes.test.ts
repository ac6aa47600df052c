// Image, volume and system endpoints: load and import streams, tag, remove,
// volume lifecycle and prune, /info, through the in-memory engine double.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { NotFoundError } from '../../src/common/errors';
import { loadedImageLine, pullReference } from '../../src/api/routes/images';
import { startHarness, type Harness } from './api-harness';
import { InMemoryEngineDouble } from './in-memory-engine-double';

let harness: Harness;

before(async () => {
  harness = await startHarness();
});

after(async () => {
  await harness?.close();
});

test('images: load streams one line per image', async () => {
  const response = await harness.request('POST', '/images/load?quiet=1', Buffer.from('tar bytes'), { 'Content-Type': 'application/x-tar' });
  assert.equal(response.status, 200);
  assert.equal(response.headers['content-type'], 'application/json');
  assert.equal(response.text, '{"stream":"Loaded image: busybox:latest\\n"}\r\n');
  assert.deepEqual(harness.engine.calls.at(-1), { method: 'loadImages', args: [9] });
});

test('images: load errors go in-band', async () => {
  const response = await harness.request('POST', '/images/load', Buffer.alloc(0), { 'Content-Type': 'application/x-tar' });
  assert.equal(response.status, 200);
  assert.equal(response.text, '{"errorDetail":{"message":"load image archive: empty archive"},"error":"load image archive: empty archive"}\r\n');
});

test('images: loaded line formats', () => {
  assert.equal(loadedImageLine('docker.io/library/busybox:latest'), 'Loaded image: busybox:latest\n');
  assert.equal(loadedImageLine('localhost:5000/a/b:v1'), 'Loaded image: localhost:5000/a/b:v1\n');
  assert.equal(loadedImageLine(`sha256:${'a'.repeat(64)}`), `Loaded image ID: sha256:${'a'.repeat(64)}\n`);
  assert.equal(loadedImageLine('Loaded image: x:y'), 'Loaded image: x:y\n');
});

test('images: import from the request body', async () => {
  const response = await harness.request('POST', '/images/create?fromSrc=-&repo=example/root&tag=v2&changes=CMD%20%5B%22sh%22%5D&changes=ENV%20A%3D1', Buffer.from('rootfs'), {
    'Content-Type': 'application/x-tar',
  });
  assert.equal(response.status, 200, response.text);
  assert.equal(response.text, `{"status":"sha256:${'d'.repeat(64)}"}\r\n`);
  assert.deepEqual(harness.engine.calls.at(-1), {
    method: 'importImage',
    args: [6, { reference: 'example/root:v2', changes: ['CMD ["sh"]', 'ENV A=1'], message: 'Imported from -' }],
  });
  const fromUrl = await harness.request('POST', '/images/create?fromSrc=http%3A%2F%2Fexample.test%2Fa.tar');
  assert.equal(fromUrl.status, 501);
});

test('images: tag and remove', async () => {
  const tagged = await harness.request('POST', '/images/busybox/tag?repo=example.test/tools/busybox&tag=v1');
  assert.equal(tagged.status, 201);
  assert.deepEqual(harness.engine.calls.at(-1), { method: 'tagImage', args: ['busybox', 'example.test/tools/busybox:v1'] });
  const missingRepo = await harness.request('POST', '/images/busybox/tag');
  assert.equal(missingRepo.status, 400);

  const removed = await harness.request('DELETE', '/images/busybox?force=1');
  assert.equal(removed.status, 200);
  assert.deepEqual(removed.json(), [
    { Untagged: 'busybox:latest' },
    { Untagged: 'example.test/tools/busybox:v1' },
    { Deleted: `sha256:${'b'.repeat(64)}` },
  ]);
  assert.deepEqual(harness.engine.calls.at(-1)?.args[1], { force: true, noPrune: false });
});

test('volumes: create, inspect, list, remove', async () => {
  const created = await harness.request('POST', '/volumes/create', { Name: 'web-data', Labels: { app: 'web' }, DriverOpts: { o: 'x' } });
  assert.equal(created.status, 201);
  assert.deepEqual(created.json(), {
    CreatedAt: '2024-10-01T00:00:00Z',
    Driver: 'local',
    Labels: { app: 'web' },
    Mountpoint: '/volumes/web-data/_data',
    Name: 'web-data',
    Options: { o: 'x' },
    Scope: 'local',
  });
  const inspected = await harness.request('GET', '/volumes/web-data');
  assert.equal(inspected.json().Name, 'web-data');

  const wrongType = await harness.request('POST', '/volumes/create', { Name: 5 });
  assert.equal(wrongType.status, 400);
  assert.equal(wrongType.json().message, 'invalid JSON: Name: expected a string, got an integer');

  const removed = await harness.request('DELETE', '/volumes/web-data?force=1');
  assert.equal(removed.status, 204);
  assert.deepEqual(harness.engine.calls.at(-1), { method: 'removeVolume', args: ['web-data', { force: true }] });
  const afterRemoval = await harness.request('GET', '/volumes/web-data');
  assert.equal(afterRemoval.status, 404);
});

test('volumes: prune by API version and filters', async () => {
  await harness.request('POST', '/volumes/create', { Name: 'named' });
  await harness.request('POST', '/volumes/create', {});
  const anonymousOnly = await harness.request('POST', '/volumes/prune');
  assert.equal(anonymousOnly.status, 200);
  assert.equal(anonymousOnly.json<{ VolumesDeleted: string[] }>().VolumesDeleted.length, 1);
  assert.deepEqual(harness.engine.calls.at(-1)?.args[0], { all: false, labels: [] });

  const all = await harness.request('POST', `/volumes/prune?filters=${encodeURIComponent('{"all":["true"],"label":["a=b"]}')}`);
  assert.deepEqual(harness.engine.calls.at(-1)?.args[0], { all: true, labels: ['a=b'] });
  assert.deepEqual(all.json(), { VolumesDeleted: ['named'], SpaceReclaimed: 0 });

  await harness.request('POST', '/v1.41/volumes/prune');
  assert.deepEqual(harness.engine.calls.at(-1)?.args[0], { all: true, labels: [] }, 'before API 1.42 prune removes named volumes');

  const bad = await harness.request('POST', `/volumes/prune?filters=${encodeURIComponent('{"dangling":["true"]}')}`);
  assert.equal(bad.status, 400);
});

test('system: info shape', async () => {
  const response = await harness.request('GET', '/info');
  assert.equal(response.status, 200);
  const info = response.json<Record<string, unknown>>();
  assert.equal(info.ID, 'engine-double');
  assert.equal(info.Driver, 'overlay');
  assert.equal(info.CgroupDriver, 'cgroupfs');
  assert.equal(info.CgroupVersion, '1');
  assert.equal(info.OSType, 'linux');
  assert.equal(info.NCPU, 2);
  assert.equal(info.ServerVersion, '9.9.9-test');
  assert.equal(info.DefaultRuntime, 'runc');
  assert.deepEqual(info.SecurityOptions, ['name=seccomp,profile=builtin']);
  assert.deepEqual(info.Plugins, { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['k8s-file'] });
  assert.equal(info.Warnings, null);
  assert.equal(typeof info.MemoryLimit, 'boolean');
  assert.equal('Expected' in (info.RuncCommit as object), false, 'Expected is gone from API 1.49');
  const old = await harness.request('GET', '/v1.48/info');
  assert.equal((old.json<{ RuncCommit: Record<string, string> }>().RuncCommit).Expected, '');
});

test('containers: lifecycle calls reach the engine', async () => {
  const created = await harness.request('POST', '/containers/create?name=life', { Image: 'busybox', Cmd: ['sleep', '9'] });
  assert.equal(created.status, 201);
  assert.deepEqual(created.json(), { Id: created.json<{ Id: string }>().Id, Warnings: [] });

  const steps: [string, string, number, string][] = [
    ['POST', '/containers/life/start', 204, 'startContainer'],
    ['POST', '/containers/life/start', 304, 'startContainer'],
    ['POST', '/containers/life/pause', 204, 'pauseContainer'],
    ['POST', '/containers/life/unpause', 204, 'unpauseContainer'],
    ['POST', '/containers/life/kill?signal=HUP', 204, 'killContainer'],
    ['POST', '/containers/life/restart?t=2&signal=SIGINT', 204, 'restartContainer'],
    ['POST', '/containers/life/stop?t=1', 204, 'stopContainer'],
    ['POST', '/containers/life/rename?name=renamed', 204, 'renameContainer'],
    ['DELETE', '/containers/renamed?force=1&v=1', 204, 'removeContainer'],
  ];
  for (const [method, requestPath, status, engineMethod] of steps) {
    const response = await harness.request(method, requestPath);
    assert.equal(response.status, status, `${method} ${requestPath}: ${response.text}`);
    if (status !== 304) assert.equal(harness.engine.calls.at(-1)?.method, engineMethod, requestPath);
  }
  const restart = harness.engine.calls.find((call) => call.method === 'restartContainer');
  assert.deepEqual(restart?.args[1], { signal: 'SIGINT', timeout: 2 });
  const kill = harness.engine.calls.find((call) => call.method === 'killContainer');
  assert.equal(kill?.args[1], 'HUP');
  const removal = harness.engine.calls.find((call) => call.method === 'removeContainer');
  assert.deepEqual(removal?.args[1], { force: true, volumes: true });

  const renameEmpty = await harness.request('POST', '/containers/x/rename');
  assert.equal(renameEmpty.status, 400);
  assert.equal(renameEmpty.json().message, 'Neither old nor new names may be empty');
});

test('images: pull reference forms', () => {
  assert.equal(pullReference('busybox', ''), 'busybox');
  assert.equal(pullReference('busybox:', ''), 'busybox', 'pull -a sends a trailing colon');
  assert.equal(pullReference('busybox', '1.36'), 'busybox:1.36');
  assert.equal(pullReference('busybox', `sha256:${'a'.repeat(64)}`), `busybox@sha256:${'a'.repeat(64)}`);
});

test('images: pull streams engine progress', async () => {
  const pulls: unknown[][] = [];
  const engine = Object.assign(new InMemoryEngineDouble(), {
    async pullImage(reference: string, options: { registryAuth: string | null; platform: string | null }, onProgress: (message: object) => void) {
      pulls.push([reference, options]);
      if (reference.startsWith('missing')) throw new NotFoundError(`manifest for ${reference} not found: manifest unknown`);
      onProgress({ status: 'Pulling from library/alpine', id: '3' });
      if (reference.startsWith('broken')) throw new Error(`pull ${reference}: connection reset`);
      onProgress({ status: 'Status: Downloaded newer image for alpine:3' });
    },
  });
  const local = await startHarness(engine);
  try {
    const pulled = await local.request('POST', '/images/create?fromImage=alpine&tag=3', undefined, { 'X-Registry-Auth': 'e30=' });
    assert.equal(pulled.status, 200);
    assert.equal(pulled.text, '{"status":"Pulling from library/alpine","id":"3"}\r\n{"status":"Status: Downloaded newer image for alpine:3"}\r\n');
    assert.equal(pulls.length, 1);

    const missing = await local.request('POST', '/images/create?fromImage=missing');
    assert.equal(missing.status, 404, 'an error before any progress keeps its own status');
    assert.match(missing.text, /manifest unknown/);

    const broken = await local.request('POST', '/images/create?fromImage=broken');
    assert.equal(broken.status, 200, 'an error after progress goes in-band');
    assert.match(broken.text, /"errorDetail":\{"message":"pull broken: connection reset"\}/);
  } finally {
    await local.close();
  }
});

test('containers: size from an engine that reports it', async () => {
  const engine = Object.assign(new InMemoryEngineDouble(), {
    async containerSize() {
      return { sizeRw: 12, sizeRootFs: 34 };
    },
  });
  const record = engine.addContainer({ name: 'sized' });
  engine.setStatus(record.id, 'running');
  const local = await startHarness(engine);
  try {
    const inspected = await local.request('GET', '/containers/sized/json?size=1');
    assert.equal(inspected.json().SizeRw, 12);
    assert.equal(inspected.json().SizeRootFs, 34);
    const listed = await local.request('GET', '/containers/json?size=true');
    assert.deepEqual(listed.json<Record<string, unknown>[]>().map((summary) => [summary.SizeRw, summary.SizeRootFs]), [[12, 34]]);
    const withoutSize = await local.request('GET', '/containers/sized/json');
    assert.equal('SizeRw' in withoutSize.json(), false);
  } finally {
    await local.close();
  }
  const plain = await harness.request('GET', '/containers/json?size=1&all=1');
  assert.equal(plain.status, 200, 'an engine without sizes still lists');
});
