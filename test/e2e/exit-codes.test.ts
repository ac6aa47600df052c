// Docker's exit codes through the real docker CLI: the container's own code,
// 126 and 127 for commands that cannot run, 125 for what the daemon rejects,
// and 128+n for death by signal n.
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

test('container exit code passes through', async () => {
  const result = await docker(daemon, ['run', '--rm', 'busybox', 'sh', '-c', 'exit 3']);
  assert.equal(result.exitCode, 3);
  const success = await docker(daemon, ['run', '--rm', 'busybox', 'true']);
  assert.equal(success.exitCode, 0);
});

test('missing command exits 127', async () => {
  const result = await docker(daemon, ['run', '--rm', 'busybox', 'no-such-command']);
  assert.equal(result.exitCode, 127, result.stderr);
  assert.match(result.stderr, /no-such-command/);
});

test('non-executable file exits 126', async () => {
  const result = await docker(daemon, ['run', '--rm', 'busybox', '/etc/passwd']);
  assert.equal(result.exitCode, 126, result.stderr);
  assert.match(result.stderr, /permission denied/);
});

test('daemon-rejected values exit 125', async () => {
  const memory = await docker(daemon, ['run', '--rm', '--memory', '1k', 'busybox', 'true']);
  assert.equal(memory.exitCode, 125);
  assert.match(memory.stderr, /Minimum memory limit allowed is 6MB/);

  const capability = await docker(daemon, ['run', '--rm', '--cap-add', 'FOO', 'busybox', 'true']);
  assert.equal(capability.exitCode, 125);
  assert.match(capability.stderr, /unknown capability: "CAP_FOO"/);

  const accepted = await docker(daemon, ['run', '--rm', '--memory', '64m', '--cap-add', 'NET_ADMIN', 'busybox', 'true']);
  assert.equal(accepted.exitCode, 0, accepted.stderr);
});

test('kill -s KILL reports 137', async () => {
  const started = await docker(daemon, ['run', '-d', 'busybox', 'sleep', '100']);
  const id = started.stdout.trim();
  const killed = await docker(daemon, ['kill', '-s', 'KILL', id]);
  assert.equal(killed.exitCode, 0, killed.stderr);
  const waited = await docker(daemon, ['wait', id]);
  assert.equal(waited.stdout, '137\n');
  const oom = await docker(daemon, ['inspect', '-f', '{{.State.ExitCode}} {{.State.OOMKilled}}', id]);
  assert.equal(oom.stdout, '137 false\n');
  await docker(daemon, ['rm', id]);
});
