// The compiled berth CLI against a real berthd (temporary root, unique
// instance): exit codes, container lifecycle, logs, images, exec with a
// terminal, and the errors docker users expect.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BERTH, BUSYBOX_ARCHIVE, startDaemon, type TestDaemon } from '../helpers/daemon';
import { berth, runCommand } from '../helpers/cli';

let daemon: TestDaemon;
const created: string[] = [];

before(async () => {
  daemon = await startDaemon();
});

after(async () => {
  if (daemon && created.length > 0) await berth(daemon, ['rm', '-f', ...created]);
  await daemon?.stop();
});

test('run prints output and passes exit codes', async () => {
  const hello = await berth(daemon, ['run', '--rm', 'busybox', 'echo', 'hello']);
  assert.equal(hello.exitCode, 0, hello.stderr);
  assert.equal(hello.stdout, 'hello\n');

  const three = await berth(daemon, ['run', '--rm', 'busybox', 'sh', '-c', 'exit 3']);
  assert.equal(three.exitCode, 3, three.stderr);
  assert.equal(three.stderr, '');
});

test('run start failures exit 127 and 126', async () => {
  const missing = await berth(daemon, ['run', '--rm', 'busybox', 'no-such-command']);
  assert.equal(missing.exitCode, 127, missing.stderr);
  assert.match(missing.stderr, /^berth: Error response from daemon: .*no-such-command.*executable file not found/);
  assert.match(missing.stderr, /\n\nRun 'berth run --help' for more information\n$/);

  const notExecutable = await berth(daemon, ['run', '--rm', 'busybox', '/etc/passwd']);
  assert.equal(notExecutable.exitCode, 126, notExecutable.stderr);
  assert.match(notExecutable.stderr, /permission denied/);
});

test('daemon-rejected memory exits 125', async () => {
  const rejected = await berth(daemon, ['run', '--rm', '--memory', '1k', 'busybox', 'true']);
  assert.equal(rejected.exitCode, 125);
  assert.match(rejected.stderr, /^berth: Error response from daemon: Minimum memory limit allowed is 6MB/);

  const accepted = await berth(daemon, ['run', '--rm', '--memory', '64m', 'busybox', 'true']);
  assert.equal(accepted.exitCode, 0, accepted.stderr);
});

test('unknown flag exits 125 with usage', async () => {
  const result = await berth(daemon, ['run', '--bogus', 'busybox']);
  assert.equal(result.exitCode, 125);
  assert.equal(result.stderr, "unknown flag: --bogus\n\nUsage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'berth run --help' for more information\n");

  const known = await berth(daemon, ['run', '--rm', 'busybox', 'true']);
  assert.equal(known.exitCode, 0, known.stderr);
});

test('detached container lifecycle', async () => {
  const started = await berth(daemon, ['run', '-d', '--name', 'lifecycle', 'busybox', 'sh', '-c', 'echo out; echo err >&2; printf partial; sleep 300']);
  assert.equal(started.exitCode, 0, started.stderr);
  const id = started.stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  created.push(id);

  const listed = await berth(daemon, ['ps', '--format', '{{.ID}} {{.Names}} {{.State}}']);
  assert.equal(listed.exitCode, 0, listed.stderr);
  assert.match(listed.stdout, new RegExp(`^${id.slice(0, 12)} lifecycle running$`, 'm'));
  const table = await berth(daemon, ['ps']);
  assert.match(table.stdout, /^CONTAINER ID {3}IMAGE {5}COMMAND {18}CREATED +STATUS +PORTS +NAMES\n/);
  // The command is quoted and cut to 20 characters with an ellipsis.
  assert.match(table.stdout, /^[0-9a-f]{12} {3}busybox {3}"sh -c 'echo out; ec…" {3}/m);

  // The log keeps stdout and stderr apart and the last line without its newline.
  let logs = await berth(daemon, ['logs', 'lifecycle']);
  for (let attempt = 0; attempt < 20 && !logs.stdout.endsWith('partial'); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    logs = await berth(daemon, ['logs', 'lifecycle']);
  }
  assert.equal(logs.stdout, 'out\npartial');
  assert.equal(logs.stderr, 'err\n');

  const stopped = await berth(daemon, ['stop', '-t', '1', 'lifecycle', 'no-such-container']);
  assert.equal(stopped.exitCode, 1);
  assert.equal(stopped.stdout, 'lifecycle\n');
  assert.equal(stopped.stderr, 'Error response from daemon: No such container: no-such-container\n');

  const exitCode = await berth(daemon, ['inspect', '-f', '{{.State.ExitCode}} {{.State.Status}}', id]);
  assert.equal(exitCode.stdout, '137 exited\n', exitCode.stderr);

  const inspected = await berth(daemon, ['inspect', 'lifecycle']);
  assert.equal(inspected.exitCode, 0, inspected.stderr);
  assert.match(inspected.stdout, /^\[\n {4}\{\n {8}"Id": "[0-9a-f]{64}",\n/);
  assert.equal((JSON.parse(inspected.stdout) as Array<{ Name: string }>)[0].Name, '/lifecycle');

  const removed = await berth(daemon, ['rm', 'lifecycle']);
  assert.equal(removed.exitCode, 0, removed.stderr);
  assert.equal(removed.stdout, 'lifecycle\n');
  const afterRemoval = await berth(daemon, ['inspect', 'lifecycle']);
  assert.equal(afterRemoval.exitCode, 1);
  assert.equal(afterRemoval.stdout, '[]\n');
  assert.equal(afterRemoval.stderr, 'Error: No such object: lifecycle\n');
});

test('images, tag, rmi and load', async () => {
  const tagged = await berth(daemon, ['tag', 'busybox', 'berth-test/tagged:1']);
  assert.equal(tagged.exitCode, 0, tagged.stderr);
  const images = await berth(daemon, ['images']);
  assert.match(images.stdout, /^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE\n/);
  assert.match(images.stdout, /^busybox +latest +[0-9a-f]{12} +.+ago +[\d.]+[kMG]?B$/m);
  assert.match(images.stdout, /^berth-test\/tagged +1 +/m);

  const removed = await berth(daemon, ['rmi', 'berth-test/tagged:1']);
  assert.equal(removed.exitCode, 0, removed.stderr);
  assert.equal(removed.stdout, 'Untagged: berth-test/tagged:1\n');
  const after = await berth(daemon, ['images', '--format', '{{.Repository}}:{{.Tag}}']);
  assert.doesNotMatch(after.stdout, /berth-test/);

  const loaded = await berth(daemon, ['load', '-i', BUSYBOX_ARCHIVE]);
  assert.equal(loaded.exitCode, 0, loaded.stderr);
  assert.match(loaded.stdout, /Loaded image: busybox:latest/);
  const missingFile = await berth(daemon, ['load', '-i', '/nonexistent/archive.tar']);
  assert.equal(missingFile.exitCode, 1);
  assert.match(missingFile.stderr, /no such file or directory/);
});

test('exec with a terminal gets its size', async () => {
  const started = await berth(daemon, ['run', '-d', 'busybox', 'sleep', '300']);
  assert.equal(started.exitCode, 0, started.stderr);
  const id = started.stdout.trim();
  created.push(id);

  const command = `stty rows 50 cols 200; ${process.execPath} ${BERTH} exec -it ${id} sh -c 'stty size; exit 5'; echo "exit=$?"`;
  const result = await runCommand('script', ['-qec', command, '/dev/null'], daemon.env);
  // script's ctrl-d at the end of its stdin can arrive as a NUL byte, echoed as "^@" (see the test below).
  assert.match(result.stdout, /^(\^@)?50 200\r?$/m, result.stdout);
  assert.match(result.stdout, /exit=5/);

  const plain = await berth(daemon, ['exec', id, 'sh', '-c', 'echo out; echo err >&2; exit 4']);
  assert.equal(plain.exitCode, 4);
  assert.equal(plain.stdout, 'out\n');
  assert.match(plain.stderr, /err\n/);
});

test('exec -it output survives unread stdin', async () => {
  const started = await berth(daemon, ['run', '-d', 'busybox', 'sleep', '300']);
  assert.equal(started.exitCode, 0, started.stderr);
  const id = started.stdout.trim();
  created.push(id);

  // script writes its end-of-file character (ctrl-d) to the terminal when its
  // own stdin ends. berth forwards it, and when the exec exits before conmon
  // reads it, the daemon's attach socket gets ECONNRESET ahead of the last output.
  // If ctrl-d arrives before raw mode, the kernel hands it over as a NUL byte,
  // which the container's terminal echoes as "^@".
  const command = `${process.execPath} ${BERTH} exec -it ${id} sh -c 'echo out; exit 5'; echo "exit=$?"`;
  for (let attempt = 0; attempt < 20; attempt++) {
    const result = await runCommand('script', ['-qec', command, '/dev/null'], daemon.env);
    assert.match(result.stdout, /^(\^@)?out\r?$/m, `attempt ${attempt}: ${JSON.stringify(result.stdout)}`);
    assert.match(result.stdout, /exit=5/, `attempt ${attempt}: ${JSON.stringify(result.stdout)}`);
  }
});

test('exec terminal follows a resize', async () => {
  const started = await berth(daemon, ['run', '-d', 'busybox', 'sleep', '300']);
  const id = started.stdout.trim();
  created.push(id);

  // "stty rows 30 cols 100" raises SIGWINCH twice. The last size must win.
  const script = [
    'stty rows 50 cols 200',
    `${process.execPath} ${BERTH} exec -it ${id} sh -c 'stty size; sleep 3; stty size' < /dev/tty &`,
    'CLIENT=$!',
    'sleep 1.5',
    'stty rows 30 cols 100',
    'kill -WINCH $CLIENT',
    'wait $CLIENT',
  ].join('\n');
  const result = await runCommand('script', ['-qec', `bash -c '${script.replace(/'/g, "'\\''")}'`, '/dev/null'], daemon.env);
  const sizes = result.stdout.match(/\d+ \d+/g);
  assert.deepEqual(sizes, ['50 200', '30 100'], result.stdout);
});

test('detach keys leave the container running', async () => {
  const name = 'detach-test';
  const command = `${process.execPath} ${BERTH} run -it --name ${name} busybox sh; echo "exit=$?"`;
  // ctrl-p ctrl-q is typed two seconds after the start, when the shell waits for input.
  const typed = `(sleep 2; printf '\\020\\021'; sleep 2) | script -qec '${command}' /dev/null`;
  const result = await runCommand('bash', ['-c', typed], daemon.env);
  created.push(name);
  assert.match(result.stdout, /exit=0/, result.stdout);
  const state = await berth(daemon, ['inspect', '-f', '{{.State.Status}}', name]);
  assert.equal(state.stdout, 'running\n');

  const stopped = await berth(daemon, ['stop', '-t', '0', name]);
  assert.equal(stopped.exitCode, 0, stopped.stderr);
  const after = await berth(daemon, ['inspect', '-f', '{{.State.Status}}', name]);
  assert.equal(after.stdout, 'exited\n');
});

test('run -i forwards stdin until its end', async () => {
  const result = await berth(daemon, ['run', '-i', '--rm', 'busybox', 'sh', '-c', 'cat; echo done'], 'line one\nline two');
  assert.equal(result.exitCode, 0, result.stderr);
  assert.equal(result.stdout, 'line one\nline twodone\n');
});

test('missing daemon without autostart', async () => {
  const env = { ...daemon.env, BERTH_HOST: `unix://${daemon.root}/absent.sock`, BERTH_NO_AUTOSTART: '1' };
  const result = await runCommand(process.execPath, [BERTH, 'ps'], env);
  assert.equal(result.exitCode, 1);
  assert.equal(result.stderr, `Cannot connect to the Berth daemon at unix://${daemon.root}/absent.sock. Is berthd running?\n`);
});
