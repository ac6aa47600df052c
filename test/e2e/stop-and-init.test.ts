// Stopping: the stop signal first, SIGKILL after the timeout; with --init a
// statically linked tini is PID 1, forwards SIGTERM and reaps orphans.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertDockerTalksToBerth, docker } from '../helpers/cli';
import { startDaemon, type TestDaemon } from '../helpers/daemon';

let daemon: TestDaemon;

before(async () => {
  daemon = await startDaemon();
  await assertDockerTalksToBerth(daemon);
});

after(async () => {
  await daemon?.stop();
});

test('stop -t 2 kills a PID 1 that ignores SIGTERM', async () => {
  const started = await docker(daemon, ['run', '-d', 'busybox', 'sh', '-c', "trap '' TERM; while true; do sleep 0.1; done"]);
  const id = started.stdout.trim();
  const begin = Date.now();
  const stopped = await docker(daemon, ['stop', '-t', '2', id]);
  const elapsed = Date.now() - begin;
  assert.equal(stopped.exitCode, 0, stopped.stderr);
  assert.ok(elapsed >= 1900, `stop took ${elapsed} ms, expected about 2 s`);
  assert.ok(elapsed < 6000, `stop took ${elapsed} ms, expected about 2 s`);
  const exitCode = await docker(daemon, ['inspect', '-f', '{{.State.ExitCode}}', id]);
  assert.equal(exitCode.stdout, '137\n');
  await docker(daemon, ['rm', id]);
});

test('stop with --init ends with 143', async () => {
  const started = await docker(daemon, ['run', '-d', '--init', 'busybox', 'sh', '-c', 'sleep 100']);
  const id = started.stdout.trim();
  const pidOne = await docker(daemon, ['exec', id, 'cat', '/proc/1/cmdline']);
  assert.match(pidOne.stdout, /^\/sbin\/docker-init\0--\0sh\0/);

  const begin = Date.now();
  await docker(daemon, ['stop', id]);
  assert.ok(Date.now() - begin < 5000, 'SIGTERM reached the shell through tini');
  const exitCode = await docker(daemon, ['inspect', '-f', '{{.State.ExitCode}}', id]);
  assert.equal(exitCode.stdout, '143\n');
  await docker(daemon, ['rm', id]);
});

test('init reaps an orphaned zombie', async () => {
  const started = await docker(daemon, ['run', '-d', '--init', 'busybox', 'sh', '-c', '(sleep 0.2 &); exec sleep 100']);
  const id = started.stdout.trim();
  await new Promise((resolve) => setTimeout(resolve, 1200));
  const processes = await docker(daemon, ['exec', id, 'ps', '-o', 'pid,stat,comm']);
  assert.match(processes.stdout, /docker-init/, 'tini is running as PID 1');
  assert.match(processes.stdout, /sleep/, 'the main process is listed');
  assert.doesNotMatch(processes.stdout, /\sZ\s/, `no zombie expected:\n${processes.stdout}`);
  await docker(daemon, ['rm', '-f', id]);
});
