// Memory limits and the OOM killer, restart policies, and users.
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

test('memory limit OOM kill sets OOMKilled', async () => {
  // PID 1 reads 64 MiB into a shell variable, past the 16 MiB limit.
  const result = await docker(daemon, ['run', '--name', 'hungry', '--memory', '16m', '--memory-swap', '16m', 'busybox', 'sh', '-c', 'a=$(head -c 67108864 /dev/zero | tr "\\0" x); echo survived']);
  assert.equal(result.exitCode, 137, result.stdout + result.stderr);
  const state = await docker(daemon, ['inspect', '-f', '{{.State.ExitCode}} {{.State.OOMKilled}} {{.HostConfig.Memory}}', 'hungry']);
  assert.equal(state.stdout, `137 true ${16 * 1024 * 1024}\n`);
  await docker(daemon, ['rm', 'hungry']);

  const fits = await docker(daemon, ['run', '--rm', '--memory', '16m', '--memory-swap', '16m', 'busybox', 'sh', '-c', 'a=$(head -c 1048576 /dev/zero | tr "\\0" x); echo survived']);
  assert.equal(fits.stdout, 'survived\n');
});

test('restart on-failure:3 restarts exactly three times', async () => {
  const started = await docker(daemon, ['run', '-d', '--restart', 'on-failure:3', 'busybox', 'sh', '-c', 'exit 1']);
  const id = started.stdout.trim();
  const deadline = Date.now() + 20_000;
  let state = '';
  while (Date.now() < deadline) {
    state = (await docker(daemon, ['inspect', '-f', '{{.State.Status}} {{.RestartCount}}', id])).stdout.trim();
    if (state === 'exited 3') break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.equal(state, 'exited 3');
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const settled = await docker(daemon, ['inspect', '-f', '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}} {{json .HostConfig.RestartPolicy}}', id]);
  assert.equal(settled.stdout, 'exited 3 1 {"Name":"on-failure","MaximumRetryCount":3}\n');
  await docker(daemon, ['rm', id]);
});

test('user flag sets uid and gid', async () => {
  const numeric = await docker(daemon, ['run', '--rm', '-u', '1234', 'busybox', 'id']);
  assert.match(numeric.stdout, /^uid=1234 gid=0\(root\)/);
  const pair = await docker(daemon, ['run', '--rm', '-u', '1234:5678', 'busybox', 'sh', '-c', 'id -u; id -g']);
  assert.equal(pair.stdout, '1234\n5678\n');
  const named = await docker(daemon, ['run', '--rm', '-u', 'nobody', 'busybox', 'sh', '-c', 'id -u; id -g']);
  assert.equal(named.stdout, '65534\n65534\n');
  const root = await docker(daemon, ['run', '--rm', 'busybox', 'id', '-u']);
  assert.equal(root.stdout, '0\n');
});
