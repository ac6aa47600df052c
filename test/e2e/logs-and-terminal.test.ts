// Log bytes come back exactly as written, and exec -t starts with the
// client's terminal size and follows its resizes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertDockerTalksToBerth, docker, runCommand } from '../helpers/cli';
import { startDaemon, type TestDaemon } from '../helpers/daemon';

let daemon: TestDaemon;

before(async () => {
  daemon = await startDaemon();
  await assertDockerTalksToBerth(daemon);
});

after(async () => {
  await daemon?.stop();
});

test('logs keep a last line without newline', async () => {
  const started = await docker(daemon, ['run', '-d', 'busybox', 'sh', '-c', "printf 'first\\nsecond\\n\\nlast'; printf 'err-no-newline' >&2"]);
  const id = started.stdout.trim();
  await docker(daemon, ['wait', id]);

  const logs = await docker(daemon, ['logs', id]);
  assert.equal(logs.stdout, 'first\nsecond\n\nlast');
  assert.equal(logs.stderr, 'err-no-newline');

  const followed = await docker(daemon, ['logs', '-f', id]);
  assert.equal(followed.stdout, 'first\nsecond\n\nlast');

  // --tail counts lines of both streams together, as Docker does.
  const tail = await docker(daemon, ['logs', '--tail', '2', id]);
  assert.equal(tail.stdout, 'last');
  assert.equal(tail.stderr, 'err-no-newline');
  await docker(daemon, ['rm', id]);
});

test('exec -t gets the terminal size and resizes', async () => {
  const started = await docker(daemon, ['run', '-d', '--name', 'sized', 'busybox', 'sleep', '100']);
  assert.equal(started.exitCode, 0, started.stderr);

  // sh -c gives background jobs /dev/null as stdin, so the resize names the terminal explicitly.
  // One stty setting makes one resize: "rows R cols C" would raise two SIGWINCH, and the docker
  // CLI sends their resize requests concurrently, so they may arrive in either order.
  const script = 'stty rows 50 cols 200; (sleep 1.5; stty cols 100 < /dev/tty) & docker exec -it sized sh -c "stty size; sleep 3; stty size"';
  const result = await runCommand('script', ['-qec', script, '/dev/null'], daemon.env);
  assert.equal(result.exitCode, 0, result.stdout);
  const sizes = result.stdout.match(/\d+ \d+(?=\r?\n)/g);
  assert.deepEqual(sizes, ['50 200', '50 100'], `output: ${JSON.stringify(result.stdout)}`);
  await docker(daemon, ['rm', '-f', 'sized']);
});
