// export, diff, commit and image prune against a real berthd. Each test first
// checks whether the daemon serves the endpoint. Without it, the command must
// fail with the route named in its message, and the rest of the test is skipped.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { request, startDaemon, type TestDaemon } from '../helpers/daemon';
import { berth, type CliResult } from '../helpers/cli';

const execFileAsync = promisify(execFile);

let daemon: TestDaemon;
let scratch: string;
let containerId: string;

before(async () => {
  daemon = await startDaemon();
  scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-cli-commit-'));
  // A stopped container with one added file, one changed directory and one removed file.
  const ran = await berth(daemon, ['run', '--name', 'changed', 'busybox', 'sh', '-c', 'echo added > /etc/berth-added && rm /bin/vi']);
  assert.equal(ran.exitCode, 0, ran.stderr);
  containerId = (await berth(daemon, ['inspect', '-f', '{{.Id}}', 'changed'])).stdout.trim();
});

after(async () => {
  await daemon?.stop();
  if (scratch) await fsp.rm(scratch, { recursive: true, force: true });
});

// Returns false when the daemon has no route for the request, because its router then returns "page not found".
async function serves(method: string, route: string): Promise<boolean> {
  const response = await request(daemon.socketPath, method, route);
  return !(response.status === 404 && /page not found/i.test(response.body.toString()));
}

function expectMissingRoute(t: TestContext, result: CliResult, route: string): void {
  assert.equal(result.exitCode, 1);
  assert.equal(result.stderr, `Error response from daemon: page not found: this berthd does not serve ${route}; upgrade berthd\n`);
  t.skip(`berthd does not serve ${route} yet`);
}

test('diff lists container changes', async (t) => {
  const result = await berth(daemon, ['diff', 'changed']);
  if (!(await serves('GET', `/containers/${containerId}/changes`))) return expectMissingRoute(t, result, 'GET /containers/{id}/changes');
  assert.equal(result.exitCode, 0, result.stderr);
  const lines = result.stdout.split('\n').filter(Boolean);
  assert.ok(lines.includes('C /etc'), result.stdout);
  assert.ok(lines.includes('A /etc/berth-added'), result.stdout);
  assert.ok(lines.includes('C /bin'), result.stdout);
  assert.ok(lines.includes('D /bin/vi'), result.stdout);
  assert.ok(!lines.some((line) => line.endsWith(' /usr')), 'an untouched directory is not listed');

  const missing = await berth(daemon, ['diff', 'no-such-container']);
  assert.equal(missing.exitCode, 1);
  assert.match(missing.stderr, /No such container: no-such-container/);
});

test('export writes container filesystem', async (t) => {
  const file = path.join(scratch, 'exported.tar');
  const result = await berth(daemon, ['export', '-o', file, 'changed']);
  if (!(await serves('GET', `/containers/${containerId}/export`))) return expectMissingRoute(t, result, 'GET /containers/{id}/export');
  assert.equal(result.exitCode, 0, result.stderr);
  const { stdout } = await execFileAsync('tar', ['-tf', file], { maxBuffer: 16 * 1024 * 1024 });
  const entries = stdout.split('\n').map((entry) => entry.replace(/^\.?\//, ''));
  assert.ok(entries.includes('etc/berth-added'), 'the added file is exported');
  assert.ok(entries.includes('bin/sh'), 'positive control: image files are exported');
  assert.ok(!entries.includes('bin/vi'), 'the removed file is not exported');
});

test('commit creates image from container', async (t) => {
  const result = await berth(daemon, ['commit', '-m', 'added a file', '-a', 'Berth Tester', '-c', 'ENV COMMITTED=yes', '-c', 'CMD ["cat", "/etc/berth-added"]', 'changed', 'committed:v1']);
  if (!(await serves('POST', '/commit?container=no-such-container'))) return expectMissingRoute(t, result, 'POST /commit');
  assert.equal(result.exitCode, 0, result.stderr);
  assert.match(result.stdout, /^sha256:[0-9a-f]{64}\n$/);

  const inspected = await berth(daemon, ['image', 'inspect', '-f', '{{.Id}}|{{.Comment}}|{{.Author}}|{{json .Config.Cmd}}', 'committed:v1']);
  assert.equal(inspected.stdout, `${result.stdout.trim()}|added a file|Berth Tester|["cat","/etc/berth-added"]\n`);
  const ran = await berth(daemon, ['run', '--rm', 'committed:v1']);
  assert.equal(ran.exitCode, 0, ran.stderr);
  assert.equal(ran.stdout, 'added\n');
  const environment = await berth(daemon, ['run', '--rm', 'committed:v1', 'sh', '-c', 'echo $COMMITTED; test -e /bin/vi || echo vi-removed']);
  assert.equal(environment.stdout, 'yes\nvi-removed\n');
});

test('image prune removes dangling images', async (t) => {
  const dangling = await berth(daemon, ['commit', 'changed']);
  const result = await berth(daemon, ['image', 'prune', '-f']);
  if (!(await serves('POST', '/images/prune'))) return expectMissingRoute(t, result, 'POST /images/prune');
  assert.equal(dangling.exitCode, 0, dangling.stderr);
  const danglingId = dangling.stdout.trim();
  assert.equal(result.exitCode, 0, result.stderr);
  assert.match(result.stdout, new RegExp(`^Deleted Images:\\n(.*\\n)*deleted: ${danglingId}\\n(.*\\n)*\\nTotal reclaimed space: [\\d.]+k?M?B\\n$`));
  const gone = await berth(daemon, ['image', 'inspect', danglingId]);
  assert.equal(gone.exitCode, 1, 'the dangling image is removed');
  const kept = await berth(daemon, ['image', 'inspect', 'busybox']);
  assert.equal(kept.exitCode, 0, 'positive control: a tagged image is kept');

  const declined = await berth(daemon, ['image', 'prune'], 'n\n');
  assert.equal(declined.exitCode, 0);
  assert.equal(declined.stdout, 'WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ');
});
