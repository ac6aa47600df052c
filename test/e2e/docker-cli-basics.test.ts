// The everyday Docker CLI workflow against berthd, with the real docker
// client: run, run -d, ps, logs -f, exec, stop, inspect, rm, load, images, rmi.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertDockerTalksToBerth, docker, runCommand } from '../helpers/cli';
import { BUSYBOX_ARCHIVE, startDaemon, type TestDaemon } from '../helpers/daemon';

let daemon: TestDaemon;

before(async () => {
  daemon = await startDaemon();
  await assertDockerTalksToBerth(daemon);
});

after(async () => {
  await daemon?.stop();
});

test('docker run --rm prints the output', async () => {
  const result = await docker(daemon, ['run', '--rm', 'busybox', 'echo', 'hello']);
  assert.equal(result.stderr, '');
  assert.equal(result.stdout, 'hello\n');
  assert.equal(result.exitCode, 0);

  const left = await docker(daemon, ['ps', '-aq']);
  assert.equal(left.stdout, '', 'the --rm container is gone');
});

test('docker run -d, ps, logs -f, stop, inspect, rm', async () => {
  const started = await docker(daemon, ['run', '-d', '--name', 'ticker', 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo line$i; sleep 0.2; done; exec sleep 100']);
  assert.equal(started.exitCode, 0, started.stderr);
  const id = started.stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);

  const listed = await docker(daemon, ['ps']);
  assert.match(listed.stdout, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES\n/);
  // Docker quotes arguments that contain spaces in the Command column, then truncates to 20 characters.
  assert.match(listed.stdout, new RegExp(`${id.slice(0, 12)}\\s+busybox\\s+"sh -c 'for i in 1 2…"\\s+.*Up .*ticker`));

  await new Promise((resolve) => setTimeout(resolve, 900));
  const logs = await docker(daemon, ['logs', 'ticker']);
  assert.equal(logs.stdout, 'line1\nline2\nline3\n');

  const stopped = await docker(daemon, ['stop', '-t', '1', 'ticker']);
  assert.equal(stopped.stdout, 'ticker\n');
  const exitCode = await docker(daemon, ['inspect', '-f', '{{.State.ExitCode}}', 'ticker']);
  assert.equal(exitCode.stdout, '137\n', 'sleep as PID 1 ignores SIGTERM, so stop ends with SIGKILL');
  const status = await docker(daemon, ['inspect', '-f', '{{.State.Status}} {{.State.Running}}', id]);
  assert.equal(status.stdout, 'exited false\n');

  const removed = await docker(daemon, ['rm', 'ticker']);
  assert.equal(removed.stdout, 'ticker\n');
  const missing = await docker(daemon, ['inspect', 'ticker']);
  assert.equal(missing.exitCode, 1);
  assert.match(missing.stderr, /No such object: ticker|No such container: ticker/);
});

test('docker logs -f follows until the container exits', async () => {
  const started = await docker(daemon, ['run', '-d', 'busybox', 'sh', '-c', 'for i in 1 2 3 4; do echo tick$i; sleep 0.3; done']);
  const id = started.stdout.trim();
  const followed = await docker(daemon, ['logs', '-f', id]);
  assert.equal(followed.exitCode, 0);
  assert.equal(followed.stdout, 'tick1\ntick2\ntick3\ntick4\n');
  await docker(daemon, ['rm', id]);
});

test('docker exec -it runs under a terminal', async () => {
  const started = await docker(daemon, ['run', '-d', '--name', 'shell', 'busybox', 'sleep', '100']);
  assert.equal(started.exitCode, 0, started.stderr);

  const result = await runCommand('script', ['-qec', 'docker exec -it shell sh -c "tty; echo in-terminal"', '/dev/null'], daemon.env);
  assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /\/dev\/pts\/\d+\r\n/);
  assert.match(result.stdout, /in-terminal\r\n/);

  const plain = await docker(daemon, ['exec', 'shell', 'sh', '-c', 'echo out; echo err >&2; exit 4']);
  assert.equal(plain.stdout, 'out\n');
  assert.equal(plain.stderr, 'err\n');
  assert.equal(plain.exitCode, 4);

  await docker(daemon, ['rm', '-f', 'shell']);
});

test('docker load, images, tag and rmi', async () => {
  const loaded = await docker(daemon, ['load', '-i', BUSYBOX_ARCHIVE]);
  assert.equal(loaded.exitCode, 0, loaded.stderr);
  assert.match(loaded.stdout, /Loaded image: busybox:latest/);

  const tagged = await docker(daemon, ['tag', 'busybox', 'example.test/tools/busybox:v1']);
  assert.equal(tagged.exitCode, 0, tagged.stderr);
  const images = await docker(daemon, ['images']);
  assert.match(images.stdout, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\n/);
  assert.match(images.stdout, /\nbusybox\s+latest\s+[0-9a-f]{12}\s/);
  assert.match(images.stdout, /\nexample\.test\/tools\/busybox\s+v1\s+[0-9a-f]{12}\s/);

  const untagged = await docker(daemon, ['rmi', 'example.test/tools/busybox:v1']);
  assert.equal(untagged.exitCode, 0, untagged.stderr);
  assert.equal(untagged.stdout, 'Untagged: example.test/tools/busybox:v1\n');
  const after = await docker(daemon, ['images', '--format', '{{.Repository}}:{{.Tag}}']);
  assert.equal(after.stdout, 'busybox:latest\n');
});
