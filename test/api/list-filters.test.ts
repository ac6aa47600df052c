// GET /containers/json, /images/json and /volumes: filters, all/limit and
// ordering, through the server and the in-memory engine double.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { globToRegExp, parseUntil } from '../../src/api/filters/image-volume-filters';
import { BUSYBOX_ID, busyboxImage } from './in-memory-engine-double';
import { startHarness, type Harness } from './api-harness';

let harness: Harness;

const OLDEST = '1'.repeat(64);
const MIDDLE = '2'.repeat(64);
const NEWEST = '3'.repeat(64);
const OTHER_IMAGE = `sha256:${'e'.repeat(64)}`;

before(async () => {
  harness = await startHarness();
  const engine = harness.engine;
  engine.addContainer({ id: OLDEST, name: 'oldest', created: '2024-01-01T00:00:00Z', spec: { labels: { tier: 'db' } } });
  engine.addContainer({ id: MIDDLE, name: 'middle', created: '2024-01-02T00:00:00Z', spec: { labels: { tier: 'web', env: 'prod' } } });
  engine.addContainer({ id: NEWEST, name: 'newest', created: '2024-01-03T00:00:00Z', imageId: OTHER_IMAGE });
  engine.setStatus(OLDEST, 'running');
  engine.setStatus(MIDDLE, 'running');
  engine.setStatus(MIDDLE, 'exited', 3);
  engine.images.set(OTHER_IMAGE, {
    ...busyboxImage(),
    id: OTHER_IMAGE,
    repoTags: ['localhost:5000/tools/app:v1'],
    config: { ...busyboxImage().config, created: '2024-12-01T00:00:00Z', config: { Labels: { maintainer: 'ops' } } },
  });
  for (const name of ['data', 'cache']) {
    await engine.createVolume({ name, driver: 'local', labels: name === 'data' ? { keep: 'yes' } : {}, driverOptions: {} });
  }
  engine.containers.get(OLDEST)!.mounts = [{ type: 'volume', name: 'data', source: '/v/data', destination: '/data', driver: 'local', mode: 'z', rw: true, propagation: '' }];
});

after(async () => {
  await harness?.close();
});

async function names(query: string): Promise<string[]> {
  const response = await harness.request('GET', `/containers/json${query}`);
  assert.equal(response.status, 200, response.text);
  return response.json<{ Names: string[] }[]>().map((summary) => summary.Names[0].slice(1));
}

function filters(value: Record<string, string[]>): string {
  return `filters=${encodeURIComponent(JSON.stringify(value))}`;
}

test('containers: running default, all, limit', async () => {
  assert.deepEqual(await names(''), ['oldest']);
  assert.deepEqual(await names('?all=1'), ['newest', 'middle', 'oldest']);
  assert.deepEqual(await names('?all=true&limit=2'), ['newest', 'middle']);
  assert.deepEqual(await names('?limit=1'), ['newest'], 'a limit lists stopped containers too');
});

test('containers: status, name, id and label filters', async () => {
  assert.deepEqual(await names(`?${filters({ status: ['exited'] })}`), ['middle'], 'a status filter implies all');
  assert.deepEqual(await names(`?${filters({ status: ['created', 'running'] })}`), ['newest', 'oldest']);
  assert.deepEqual(await names(`?all=1&${filters({ name: ['mid'] })}`), ['middle'], 'names match as expressions');
  assert.deepEqual(await names(`?all=1&${filters({ name: ['^/newest$'] })}`), ['newest']);
  assert.deepEqual(await names(`?all=1&${filters({ id: ['3333'] })}`), ['newest']);
  assert.deepEqual(await names(`?all=1&${filters({ label: ['tier'] })}`), ['middle', 'oldest']);
  assert.deepEqual(await names(`?all=1&${filters({ label: ['tier=web', 'env=prod'] })}`), ['middle']);
  assert.deepEqual(await names(`?all=1&${filters({ label: ['tier=cache'] })}`), []);
});

test('containers: legacy filter form', async () => {
  const legacy = encodeURIComponent(JSON.stringify({ status: { exited: true } }));
  assert.deepEqual(await names(`?filters=${legacy}`), ['middle']);
});

test('containers: exited, ancestor, volume, before and since', async () => {
  assert.deepEqual(await names(`?all=1&${filters({ exited: ['3'] })}`), ['middle']);
  assert.deepEqual(await names(`?all=1&${filters({ exited: ['0'] })}`), [], 'never-started containers have no exit code');
  assert.deepEqual(await names(`?all=1&${filters({ ancestor: ['busybox'] })}`), ['middle', 'oldest']);
  assert.deepEqual(await names(`?all=1&${filters({ ancestor: ['missing-image'] })}`), []);
  assert.deepEqual(await names(`?all=1&${filters({ volume: ['data'] })}`), ['oldest']);
  assert.deepEqual(await names(`?all=1&${filters({ volume: ['/data'] })}`), ['oldest']);
  assert.deepEqual(await names(`?all=1&${filters({ before: ['newest'] })}`), ['middle', 'oldest']);
  assert.deepEqual(await names(`?all=1&${filters({ since: ['oldest'] })}`), ['newest', 'middle']);
  assert.deepEqual(await names(`?all=1&${filters({ network: ['none'] })}`), ['newest', 'middle', 'oldest']);
  assert.deepEqual(await names(`?all=1&${filters({ network: ['host'] })}`), []);
});

test('containers: filter errors', async () => {
  const cases: [Record<string, string[]>, number, string][] = [
    [{ status: ['sleeping'] }, 400, "invalid filter 'status=sleeping'"],
    [{ exited: ['x'] }, 400, "invalid filter 'exited=x'"],
    [{ before: ['ghost'] }, 404, 'No such container: ghost'],
    [{ publish: ['80:80'] }, 400, "filter for 'publish' should not contain ':'"],
  ];
  for (const [value, status, message] of cases) {
    const response = await harness.request('GET', `/containers/json?${filters(value)}`);
    assert.equal(response.status, status, JSON.stringify(value));
    assert.ok((response.json().message as string).startsWith(message), response.text);
  }
});

async function imageIds(query: string): Promise<string[]> {
  const response = await harness.request('GET', `/images/json${query}`);
  assert.equal(response.status, 200, response.text);
  return response.json<{ Id: string }[]>().map((summary) => summary.Id);
}

test('images: newest first and filters', async () => {
  assert.deepEqual(await imageIds(''), [OTHER_IMAGE, BUSYBOX_ID]);
  assert.deepEqual(await imageIds(`?${filters({ reference: ['busybox'] })}`), [BUSYBOX_ID]);
  assert.deepEqual(await imageIds(`?${filters({ reference: ['busy*:latest'] })}`), [BUSYBOX_ID]);
  assert.deepEqual(await imageIds(`?${filters({ reference: ['localhost:5000/tools/*'] })}`), [OTHER_IMAGE]);
  assert.deepEqual(await imageIds(`?${filters({ label: ['maintainer=ops'] })}`), [OTHER_IMAGE]);
  assert.deepEqual(await imageIds(`?${filters({ before: ['localhost:5000/tools/app:v1'] })}`), [BUSYBOX_ID]);
  assert.deepEqual(await imageIds(`?${filters({ since: ['busybox'] })}`), [OTHER_IMAGE]);
  assert.deepEqual(await imageIds(`?${filters({ dangling: ['true'] })}`), []);
  assert.deepEqual(await imageIds(`?${filters({ until: ['2024-10-01T00:00:00Z'] })}`), [BUSYBOX_ID]);
  assert.deepEqual(await imageIds('?filter=busybox'), [OTHER_IMAGE, BUSYBOX_ID], 'the legacy filter is for API 1.24 only');
  const legacy = await harness.request('GET', '/v1.24/images/json?filter=busybox');
  assert.deepEqual(legacy.json<{ Id: string }[]>().map((summary) => summary.Id), [BUSYBOX_ID]);

  const bad = await harness.request('GET', `/images/json?${filters({ dangling: ['maybe'] })}`);
  assert.equal(bad.status, 400);
});

test('images: reference globs and until values', () => {
  assert.ok(globToRegExp('busy*').test('busybox'));
  assert.ok(!globToRegExp('busy*').test('busy/box'), 'a star does not cross a slash');
  assert.ok(globToRegExp('b?sybox').test('busybox'));
  assert.ok(globToRegExp('[a-c]usybox').test('busybox'));
  assert.ok(!globToRegExp('[!b]usybox').test('busybox'));
  const now = Date.parse('2024-06-01T00:00:00Z');
  assert.equal(parseUntil('1700000000', now), 1_700_000_000_000);
  assert.equal(parseUntil('1h30m', now), now - 90 * 60 * 1000);
  assert.equal(parseUntil('2024-05-01T00:00:00Z', now), Date.parse('2024-05-01T00:00:00Z'));
  assert.throws(() => parseUntil('someday', now), /invalid filter 'until=someday'/);
});

async function volumeNames(query: string): Promise<string[]> {
  const response = await harness.request('GET', `/volumes${query}`);
  assert.equal(response.status, 200, response.text);
  const body = response.json<{ Volumes: { Name: string }[]; Warnings: unknown }>();
  assert.equal(body.Warnings, null);
  return body.Volumes.map((volume) => volume.Name).sort();
}

test('volumes: list filters', async () => {
  assert.deepEqual(await volumeNames(''), ['cache', 'data']);
  assert.deepEqual(await volumeNames(`?${filters({ dangling: ['true'] })}`), ['cache']);
  assert.deepEqual(await volumeNames(`?${filters({ dangling: ['false'] })}`), ['data']);
  assert.deepEqual(await volumeNames(`?${filters({ label: ['keep=yes'] })}`), ['data']);
  assert.deepEqual(await volumeNames(`?${filters({ name: ['^ca'] })}`), ['cache']);
  assert.deepEqual(await volumeNames(`?${filters({ driver: ['other'] })}`), []);
  const bad = await harness.request('GET', `/volumes?${filters({ colour: ['red'] })}`);
  assert.equal(bad.status, 400);
  assert.equal(bad.json().message, "invalid filter 'colour'");
});
