// berthd killed with SIGKILL, together with its process group, while
// containers run: they keep running under conmon, and the restarted daemon
// finds them, their output written during the outage, their real exit codes
// and their restart policies.
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

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

test('containers survive a berthd SIGKILL', async () => {
  const writer = await docker(daemon, ['run', '-d', '--name', 'writer', 'busybox', 'sh', '-c', 'while true; do echo "tick $(date +%s)"; sleep 0.1; done']);
  assert.equal(writer.exitCode, 0, writer.stderr);
  const exiter = await docker(daemon, ['run', '-d', '--name', 'exiter', 'busybox', 'sh', '-c', 'sleep 1; exit 7']);
  assert.equal(exiter.exitCode, 0, exiter.stderr);
  const restarter = await docker(daemon, ['run', '-d', '--name', 'restarter', '--restart', 'always', 'busybox', 'sh', '-c', 'sleep 1; exit 1']);
  assert.equal(restarter.exitCode, 0, restarter.stderr);
  await sleep(300);

  // busybox date has whole seconds only, so the outage lasts long enough to hold whole seconds.
  const outageStart = Math.floor(Date.now() / 1000);
  await daemon.killDaemon();
  await sleep(3500);
  const outageEnd = Math.floor(Date.now() / 1000);
  await daemon.restartDaemon();

  const running = await docker(daemon, ['ps', '--format', '{{.Names}} {{.State}}']);
  assert.match(running.stdout, /^writer running$/m);

  const logs = await docker(daemon, ['logs', 'writer']);
  const stamps = logs.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => Number(line.split(' ')[1]));
  const duringOutage = stamps.filter((stamp) => stamp > outageStart && stamp < outageEnd);
  assert.ok(duringOutage.length >= 5, `expected lines written during the outage, got ${duringOutage.length} of ${stamps.length}`);

  const exec = await docker(daemon, ['exec', 'writer', 'echo', 'exec-after-restart']);
  assert.equal(exec.stdout, 'exec-after-restart\n');

  const exited = await docker(daemon, ['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'exiter']);
  assert.equal(exited.stdout, 'exited 7\n');

  await sleep(2500);
  const restarted = await docker(daemon, ['inspect', '-f', '{{.RestartCount}}', 'restarter']);
  assert.ok(Number(restarted.stdout.trim()) >= 1, `restart policy resumed, RestartCount ${restarted.stdout}`);

  await docker(daemon, ['rm', '-f', 'writer', 'exiter', 'restarter']);
});
