// The build cache as the user sees it after a build: GET /system/df lists
// the same objects that POST /build/prune removes, `berth builder prune`
// reports them as docker does, and `history` names the intermediate images.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request, startDaemon, type TestDaemon } from '../helpers/daemon';
import { berth, docker } from '../helpers/cli';
import { buildOk, ContextDirectories } from './build-harness';

interface BuildCacheRecord {
  ID: string;
  Parents: string[];
  Type: string;
  Description: string;
  InUse: boolean;
  Shared: boolean;
  Size: number;
  CreatedAt: string;
  LastUsedAt: string | null;
  UsageCount: number;
}

let daemon: TestDaemon;
const contexts = new ContextDirectories();

before(async () => {
  daemon = await startDaemon();
});

after(async () => {
  await daemon?.stop();
  await contexts.removeAll();
});

const DOCKERFILE = [
  'FROM busybox',
  'RUN --mount=type=cache,id=report-cache,target=/cache echo filled > /cache/file && head -c 20000 /dev/zero > /cache/blob',
  'RUN echo two > /two',
  'RUN echo three > /three',
  '',
].join('\n');

async function buildCache(): Promise<BuildCacheRecord[]> {
  const response = await request(daemon.socketPath, 'GET', '/system/df');
  assert.equal(response.status, 200);
  return (response.json() as { BuildCache: BuildCacheRecord[] }).BuildCache;
}

async function buildImage(tag: string): Promise<string> {
  const directory = await contexts.create(DOCKERFILE, {});
  const outcome = await buildOk(daemon, directory, { tags: [tag] });
  return outcome.imageId as string;
}

test('system df lists what build prune removes', async () => {
  await buildImage('report:one');

  const records = await buildCache();
  const regular = records.filter((record) => record.Type === 'regular');
  const mounts = records.filter((record) => record.Type === 'exec.cachemount');
  assert.equal(regular.length, 3);
  assert.equal(mounts.length, 1);
  assert.ok(regular.some((record) => record.Description.includes('echo two > /two')), JSON.stringify(regular));
  assert.ok(regular.every((record) => record.Size === 0 && record.Shared && !record.InUse));
  assert.equal(mounts[0].Description, 'cache mount report-cache');
  assert.ok(mounts[0].Size >= 20000, `cache mount size ${mounts[0].Size}`);
  assert.ok(!Number.isNaN(Date.parse(mounts[0].CreatedAt)));

  const summary = await berth(daemon, ['system', 'df']);
  assert.equal(summary.exitCode, 0, summary.stderr);
  assert.match(summary.stdout, /^Build Cache\s+4\s+0\s+/m);
  const dockerSummary = await docker(daemon, ['system', 'df']);
  assert.equal(dockerSummary.exitCode, 0, dockerSummary.stderr);
  assert.match(dockerSummary.stdout, /^Build Cache\s+4\s+0\s+/m);

  const verbose = await berth(daemon, ['system', 'df', '-v']);
  assert.equal(verbose.exitCode, 0, verbose.stderr);
  assert.match(verbose.stdout, /exec\.cachemount/);
  assert.equal(verbose.stdout.match(/\sregular\s/g)?.length, 3);

  const pruned = await request(daemon.socketPath, 'POST', '/build/prune?all=1');
  assert.equal(pruned.status, 200);
  const deleted = (pruned.json() as { CachesDeleted: string[] }).CachesDeleted;
  assert.equal(deleted.length, records.length);
  assert.deepEqual([...deleted].sort(), records.map((record) => record.ID).sort());

  assert.deepEqual(await buildCache(), []);
  const after = await berth(daemon, ['system', 'df']);
  assert.match(after.stdout, /^Build Cache\s+0\s+0\s+0B/m);
});

test('builder prune prints deleted objects', async () => {
  await buildImage('report:two');
  const records = await buildCache();
  assert.ok(records.length > 0);

  const declined = await berth(daemon, ['builder', 'prune', '-a'], 'n\n');
  assert.equal(declined.exitCode, 0, declined.stderr);
  assert.match(declined.stdout, /WARNING! This will remove all build cache\. Are you sure you want to continue\? \[y\/N\]/);
  assert.equal((await buildCache()).length, records.length);

  const pruned = await berth(daemon, ['builder', 'prune', '-a', '-f']);
  assert.equal(pruned.exitCode, 0, pruned.stderr);
  assert.match(pruned.stdout, /^Deleted build cache objects:\n/);
  for (const record of records) assert.ok(pruned.stdout.includes(`${record.ID}\n`), `${record.ID} missing from ${pruned.stdout}`);
  assert.match(pruned.stdout, /\n\nTotal reclaimed space: \d+(\.\d+)?k?B\n$/);
  assert.deepEqual(await buildCache(), []);

  const empty = await berth(daemon, ['builder', 'prune', '--force']);
  assert.equal(empty.exitCode, 0, empty.stderr);
  assert.equal(empty.stdout, 'Total reclaimed space: 0B\n');
});

test('builder prune without all keeps live entries', async () => {
  await buildImage('report:three');
  const before = await buildCache();
  const prompt = await berth(daemon, ['builder', 'prune'], 'y\n');
  assert.equal(prompt.exitCode, 0, prompt.stderr);
  assert.match(prompt.stdout, /WARNING! This will remove all dangling build cache\./);

  // Entries whose images exist stay, but the cache mount is removed either way, as pruneBuildCache does.
  const remaining = await buildCache();
  assert.equal(remaining.filter((record) => record.Type === 'regular').length, before.filter((record) => record.Type === 'regular').length);
  assert.equal(remaining.filter((record) => record.Type === 'exec.cachemount').length, 0);
});

test('history names intermediate images', async () => {
  const imageId = await buildImage('report:history');
  const history = await request(daemon.socketPath, 'GET', '/images/report:history/history');
  assert.equal(history.status, 200);
  const rows = history.json() as Array<{ Id: string; CreatedBy: string; Tags: string[] | null }>;

  const base = await request(daemon.socketPath, 'GET', '/images/busybox/json');
  const baseId = (base.json() as { Id: string }).Id;
  const baseRows = rows.length - 3;
  assert.ok(baseRows >= 1);

  assert.equal(rows[0].Id, imageId);
  assert.ok(rows[0].Tags?.includes('report:history'), JSON.stringify(rows[0].Tags));
  assert.match(rows[0].CreatedBy, /echo three/);
  const inspectParent = async (id: string) => (await request(daemon.socketPath, 'GET', `/images/${id}/json`)).json() as { Parent: string };
  const second = (await inspectParent(imageId)).Parent;
  const first = (await inspectParent(second)).Parent;
  assert.equal(rows[1].Id, second);
  assert.match(rows[1].CreatedBy, /echo two/);
  assert.equal(rows[2].Id, first);
  assert.match(rows[2].CreatedBy, /echo filled/);

  // The local base image was loaded, not built, so its build steps have no images of their own.
  assert.equal(rows[3].Id, baseId);
  for (const row of rows.slice(4)) assert.equal(row.Id, '<missing>');

  const cli = await berth(daemon, ['history', 'report:history']);
  assert.equal(cli.exitCode, 0, cli.stderr);
  const ids = cli.stdout.trim().split('\n').slice(1).map((line) => line.split(/\s+/)[0]);
  assert.equal(ids.filter((id) => id !== '<missing>').length, 4);
});
