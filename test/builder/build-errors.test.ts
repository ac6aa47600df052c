// Failed builds through a real berthd: the messages and codes Docker's
// classic builder reports, and no containers, mounts or temporary
// directories left behind afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fsp from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { request, startDaemon, type TestDaemon } from '../helpers/daemon';
import { buildOk, ContextDirectories, type ContextEntry, postBuild } from './build-harness';

let daemon: TestDaemon;
const contexts = new ContextDirectories();

before(async () => {
  daemon = await startDaemon();
});

after(async () => {
  await daemon?.stop();
  await contexts.removeAll();
});

function context(dockerfile: string, files: Record<string, ContextEntry> = {}): Promise<string> {
  return contexts.create(dockerfile, files);
}

async function mountsUnderRoot(): Promise<string[]> {
  const mountinfo = await fsp.readFile('/proc/self/mountinfo', 'utf8');
  return mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point) => point !== undefined && point.startsWith(daemon.root));
}

// Directories named like the builder's per-build temporary directories, anywhere under the daemon's root.
async function buildTemporaryDirectories(): Promise<string[]> {
  const found: string[] = [];
  const pending = [daemon.root];
  while (pending.length > 0) {
    const directory = pending.pop() as string;
    const entries = await fsp.readdir(directory, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const full = path.join(directory, entry.name);
      if (/^build-[0-9a-f]{16}-/.test(entry.name)) found.push(full);
      else if (!['overlay', 'layers', 'diff', 'merged'].includes(entry.name)) pending.push(full);
    }
  }
  return found;
}

async function assertNothingLeft(mountsBefore: string[]): Promise<void> {
  const containers = await request(daemon.socketPath, 'GET', '/containers/json?all=1');
  assert.deepEqual(containers.json(), []);
  assert.deepEqual(await mountsUnderRoot(), mountsBefore);
  assert.deepEqual(await buildTemporaryDirectories(), []);
}

test('syntax error names the line', async () => {
  const directory = await context('FROM busybox\nRUN true\nFROBNICATE now\n');
  const outcome = await postBuild(daemon, directory);
  assert.match(outcome.error ?? '', /^Dockerfile:3: unknown instruction: FROBNICATE/);
  assert.equal(outcome.imageId, null);
});

test('RUN exit code reaches the client', async () => {
  const mountsBefore = await mountsUnderRoot();
  const directory = await context('FROM busybox\nRUN echo before\nRUN exit 2\n');
  const outcome = await postBuild(daemon, directory);

  assert.equal(outcome.error, "The command '/bin/sh -c exit 2' returned a non-zero code: 2");
  assert.equal(outcome.errorCode, 2);
  assert.match(outcome.output, /^before$/m);
  await assertNothingLeft(mountsBefore);
});

test('missing COPY source names file and line', async () => {
  const directory = await context('FROM busybox\n\nCOPY missing.txt /missing.txt\n');
  const outcome = await postBuild(daemon, directory);
  assert.match(outcome.error ?? '', /^Dockerfile:3: COPY failed: .*missing\.txt/);
  assert.equal(outcome.errorCode, 1);
});

test('secret mount is rejected clearly', async () => {
  const directory = await context('FROM busybox\nRUN --mount=type=secret,id=token cat /run/secrets/token\n');
  const outcome = await postBuild(daemon, directory);
  assert.match(outcome.error ?? '', /^Dockerfile:2: RUN --mount=type=secret is not supported/);
});

test('failing stage stops parallel stages cleanly', async () => {
  const mountsBefore = await mountsUnderRoot();
  const directory = await context(
    [
      'FROM busybox AS slow',
      'RUN sleep 3',
      'FROM busybox AS bad',
      'RUN exit 5',
      'FROM busybox',
      'COPY --from=slow /etc/passwd /a',
      'COPY --from=bad /etc/passwd /b',
      '',
    ].join('\n'),
  );

  const started = Date.now();
  const outcome = await postBuild(daemon, directory);
  assert.equal(outcome.errorCode, 5);
  assert.equal(outcome.error, "The command '/bin/sh -c exit 5' returned a non-zero code: 5");
  assert.ok(Date.now() - started < 2500, `the failed build took ${Date.now() - started} ms, so the slow stage was not stopped`);
  await assertNothingLeft(mountsBefore);

  // Positive control: the same daemon still builds, its temporary directory is seen while it runs, and it too leaves nothing behind.
  const good = await context('FROM busybox\nRUN sleep 1\nCOPY Dockerfile /Dockerfile\n');
  const building = buildOk(daemon, good);
  let seen: string[] = [];
  for (let attempt = 0; attempt < 40 && seen.length === 0; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    seen = await buildTemporaryDirectories();
  }
  await building;
  assert.equal(seen.length, 1, 'no build temporary directory was seen during the build');
  await assertNothingLeft(mountsBefore);
});

test('client hang-up cleans up build', async () => {
  const mountsBefore = await mountsUnderRoot();
  const directory = await context('FROM busybox\nRUN echo started && sleep 30\n');
  const body = execFileSync('tar', ['-C', directory, '-cf', '-', '.']);

  // Sends the build and hangs up once the RUN's output shows its container is running.
  await new Promise<void>((resolve, reject) => {
    const client = http.request(
      { socketPath: daemon.socketPath, method: 'POST', path: '/build?nocache=1', headers: { 'Content-Type': 'application/x-tar' } },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          // The RUN's own output line, not the step header that also contains the word.
          if (text.includes('{"stream":"started\\n"}')) {
            client.destroy();
            resolve();
          }
        });
        response.on('end', () => reject(new Error(`build ended before its RUN started: ${text}`)));
      },
    );
    client.on('error', () => undefined);
    client.end(body);
  });

  // The step container exists while the RUN runs, which is the positive control for the checks below.
  let remaining: unknown[] = [];
  for (let attempt = 0; attempt < 100; attempt++) {
    remaining = (await request(daemon.socketPath, 'GET', '/containers/json?all=1')).json<unknown[]>();
    if (remaining.length === 0 && (await buildTemporaryDirectories()).length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await assertNothingLeft(mountsBefore);
});
