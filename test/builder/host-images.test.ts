// Docker's parent-image rules, shown with images made by `docker commit`,
// which records the container's image as Parent just as a build step does:
// inspect reports Parent, the listing hides untagged parents unless all=1,
// prune keeps a parent while its child exists, and rmi of the child takes
// its untagged parents with it unless noprune is set.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../helpers/daemon';
import { assertDockerTalksToBerth, docker } from '../helpers/cli';
import { requestJson } from '../changes/api';

let daemon: TestDaemon;
let busyboxId: string;

before(async () => {
  daemon = await startDaemon();
  await assertDockerTalksToBerth(daemon);
  busyboxId = (await requestJson(daemon, 'GET', '/images/busybox/json')).json.Id;
});

after(async () => {
  await daemon?.stop();
});

// Runs a container from image that writes a file, commits it (tagged when reference is given) and removes the container.
async function commitChild(image: string, file: string, reference?: string): Promise<string> {
  const name = `c-${file}`;
  const run = await docker(daemon, ['run', '--name', name, image, 'sh', '-c', `echo ${file} > /${file}`]);
  assert.equal(run.exitCode, 0, run.stderr);
  const query = new URLSearchParams({ container: name });
  if (reference) {
    const [repo, tag] = reference.split(':');
    query.set('repo', repo);
    query.set('tag', tag);
  }
  const committed = await requestJson(daemon, 'POST', `/commit?${query}`);
  assert.equal(committed.status, 201, committed.text);
  const removed = await docker(daemon, ['rm', name]);
  assert.equal(removed.exitCode, 0, removed.stderr);
  return committed.json.Id;
}

async function listedIds(all: boolean): Promise<string[]> {
  const response = await requestJson(daemon, 'GET', `/images/json${all ? '?all=1' : ''}`);
  assert.equal(response.status, 200, response.text);
  return (response.json as Array<{ Id: string }>).map((image) => image.Id);
}

async function exists(id: string): Promise<boolean> {
  return (await requestJson(daemon, 'GET', `/images/${id}/json`)).status === 200;
}

test('inspect reports Parent and ParentId', async () => {
  const middle = await commitChild('busybox', 'one');
  const top = await commitChild(middle, 'two', 'parented:v1');

  const inspectedTop = await requestJson(daemon, 'GET', '/images/parented:v1/json');
  assert.equal(inspectedTop.json.Parent, middle);
  const inspectedMiddle = await requestJson(daemon, 'GET', `/images/${middle}/json`);
  assert.equal(inspectedMiddle.json.Parent, busyboxId);
  const inspectedBase = await requestJson(daemon, 'GET', '/images/busybox/json');
  assert.equal(inspectedBase.json.Parent, '', 'a loaded image has no parent');

  const summaries = (await requestJson(daemon, 'GET', '/images/json?all=1')).json as Array<{ Id: string; ParentId: string }>;
  assert.equal(summaries.find((summary) => summary.Id === top)?.ParentId, middle);

  const format = await docker(daemon, ['image', 'inspect', '--format', '{{.Parent}}', 'parented:v1']);
  assert.equal(format.stdout.trim(), middle, format.stderr);
});

test('listing hides intermediate images without all', async () => {
  const middle = await commitChild('busybox', 'three');
  const top = await commitChild(middle, 'four', 'listed:v1');
  const leaf = await commitChild('busybox', 'five');

  const plain = await listedIds(false);
  assert.ok(plain.includes(top), 'the tagged child is listed');
  assert.ok(plain.includes(leaf), 'an untagged image without children is listed');
  assert.ok(!plain.includes(middle), 'the untagged parent is hidden');

  const all = await listedIds(true);
  assert.ok(all.includes(middle), 'all=1 lists the untagged parent');

  const cli = await docker(daemon, ['images', '-a', '-q', '--no-trunc']);
  assert.ok(cli.stdout.split('\n').includes(middle), cli.stdout);
  const cliPlain = await docker(daemon, ['images', '-q', '--no-trunc']);
  assert.ok(!cliPlain.stdout.split('\n').includes(middle), cliPlain.stdout);
});

test('prune keeps parent of live child', async () => {
  const middle = await commitChild('busybox', 'six');
  await commitChild(middle, 'seven', 'pruned:v1');
  const leaf = await commitChild('busybox', 'eight');

  const pruned = await requestJson(daemon, 'POST', '/images/prune');
  assert.equal(pruned.status, 200, pruned.text);
  assert.equal(await exists(leaf), false, 'a dangling image without children is pruned');
  assert.equal(await exists(middle), true, 'the parent of a tagged image stays');
  assert.equal(await exists('busybox'), true);
});

test('rmi by ID of a parent is a conflict', async () => {
  const middle = await commitChild('busybox', 'nine');
  await commitChild(middle, 'ten', 'conflict:v1');

  const removal = await requestJson(daemon, 'DELETE', `/images/${middle}?force=1`);
  assert.equal(removal.status, 409, removal.text);
  assert.match(removal.json.message, /image has dependent child images/);
  assert.equal(await exists(middle), true);
});

test('rmi of a child removes untagged parents', async () => {
  const middle = await commitChild('busybox', 'eleven');
  const top = await commitChild(middle, 'twelve', 'cascade:v1');

  const removal = await requestJson(daemon, 'DELETE', '/images/cascade:v1');
  assert.equal(removal.status, 200, removal.text);
  const deleted = (removal.json as Array<{ Deleted?: string }>).map((entry) => entry.Deleted).filter(Boolean);
  assert.ok(deleted.includes(top), removal.text);
  assert.ok(deleted.includes(middle), removal.text);
  assert.equal(await exists(middle), false);
  assert.equal(await exists('busybox'), true, 'the tagged base stays');
});

test('rmi with noprune keeps untagged parents', async () => {
  const middle = await commitChild('busybox', 'thirteen');
  const top = await commitChild(middle, 'fourteen', 'kept:v1');

  const removal = await requestJson(daemon, 'DELETE', '/images/kept:v1?noprune=1');
  assert.equal(removal.status, 200, removal.text);
  assert.equal(await exists(top), false);
  assert.equal(await exists(middle), true, 'noprune leaves the parent');

  const plain = await listedIds(false);
  assert.ok(plain.includes(middle), 'the parent is listed again once it has no child');
});

test('rmi keeps a parent with another child', async () => {
  const middle = await commitChild('busybox', 'fifteen');
  await commitChild(middle, 'sixteen', 'sibling:a');
  await commitChild(middle, 'seventeen', 'sibling:b');

  const removal = await requestJson(daemon, 'DELETE', '/images/sibling:a');
  assert.equal(removal.status, 200, removal.text);
  assert.equal(await exists(middle), true, 'the other child still needs the parent');

  const second = await requestJson(daemon, 'DELETE', '/images/sibling:b');
  assert.equal(second.status, 200, second.text);
  assert.equal(await exists(middle), false, 'the last child takes the parent with it');
});
