// The registry and image commands against a real berthd and real registries
// (Debian's docker-registry): pull, push, login and logout, save, history,
// and run's pull of a missing image. docker.io names resolve to the plain
// test registry through berthd's mirror settings, so nothing public is contacted.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { BERTH, DOCKER, startDaemon, type TestDaemon } from '../helpers/daemon';
import { berth, docker, assertDockerTalksToBerth } from '../helpers/cli';
import { BUSYBOX_ARCHIVE, skopeoInspect, skopeoPush, startRegistry, type TestRegistry } from '../distribution/registry';

const execFileAsync = promisify(execFile);

let plain: TestRegistry;
let secured: TestRegistry;
let daemon: TestDaemon;
let certsDirectory: string;
let scratch: string;

before(async () => {
  plain = await startRegistry();
  secured = await startRegistry({ variant: 'tls-basic' });
  await skopeoPush(plain, `docker-archive:${BUSYBOX_ARCHIVE}`, 'library/busybox:latest');
  await skopeoPush(secured, `docker-archive:${BUSYBOX_ARCHIVE}`, 'private/busybox:latest');
  certsDirectory = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-cli-certs-'));
  await fsp.mkdir(path.join(certsDirectory, secured.host));
  await fsp.copyFile(secured.caFile!, path.join(certsDirectory, secured.host, 'ca.crt'));
  scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-cli-files-'));
  daemon = await startDaemon({
    loadBusybox: false,
    extraEnv: { BERTH_REGISTRY_MIRRORS: plain.url, BERTH_REGISTRY_MIRRORS_ONLY: '1', BERTH_REGISTRY_CERTS_DIRECTORIES: certsDirectory },
  });
});

after(async () => {
  await daemon?.stop();
  await plain?.stop();
  await secured?.stop();
  if (certsDirectory) await fsp.rm(certsDirectory, { recursive: true, force: true });
  if (scratch) await fsp.rm(scratch, { recursive: true, force: true });
});

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

test('pull prints docker progress lines', async () => {
  const image = `${plain.host}/library/busybox`;
  const pulled = await berth(daemon, ['pull', image]);
  assert.equal(pulled.exitCode, 0, pulled.stderr);
  const output = lines(pulled.stdout);
  assert.equal(output[0], 'Using default tag: latest');
  assert.equal(output[1], 'latest: Pulling from library/busybox');
  const layerLines = output.filter((line) => /^[0-9a-f]{12}: /.test(line));
  assert.ok(layerLines.some((line) => /^[0-9a-f]{12}: Pulling fs layer$/.test(line)), pulled.stdout);
  assert.ok(layerLines.some((line) => /^[0-9a-f]{12}: Download complete$/.test(line)), pulled.stdout);
  assert.ok(layerLines.some((line) => /^[0-9a-f]{12}: Pull complete$/.test(line)), pulled.stdout);
  assert.ok(!pulled.stdout.includes('Downloading'), 'byte counts are left out without a terminal');
  assert.match(output.at(-3)!, /^Digest: sha256:[0-9a-f]{64}$/);
  assert.equal(output.at(-2), `Status: Downloaded newer image for ${image}:latest`);
  assert.equal(output.at(-1), `${image}:latest`);

  const ran = await berth(daemon, ['run', '--rm', image, 'echo', 'pulled image runs']);
  assert.equal(ran.exitCode, 0, ran.stderr);
  assert.equal(ran.stdout, 'pulled image runs\n');
});

test('pull output equals docker CLI output', async () => {
  await assertDockerTalksToBerth(daemon);
  const image = `${plain.host}/library/busybox:latest`;
  const outputs: string[] = [];
  for (const tool of [berth, docker]) {
    await berth(daemon, ['rmi', image]);
    const pulled = await tool(daemon, ['pull', image]);
    assert.equal(pulled.exitCode, 0, pulled.stderr);
    outputs.push(pulled.stdout);
  }
  assert.equal(outputs[0], outputs[1]);
});

// script(1) gives both CLIs a terminal of 130 columns, wide enough for the progress bar.
async function pullOnTerminal(command: string, image: string): Promise<string> {
  const { stdout } = await execFileAsync('script', ['-qec', `stty cols 130; ${command} pull ${image}`, '/dev/null'], { env: daemon.env, timeout: 60_000 });
  return stdout;
}

test('pull on terminal equals docker', async () => {
  const image = `${plain.host}/library/busybox:latest`;
  const outputs: string[] = [];
  for (const command of [`${process.execPath} ${BERTH}`, DOCKER]) {
    await berth(daemon, ['rmi', image]);
    outputs.push(await pullOnTerminal(command, image));
  }
  assert.match(outputs[0], /\x1b\[1A\x1b\[2K\r[0-9a-f]{12}: (Downloading|Extracting) \[[= >]{51}\] +[\d.]+[kM]?B\/[\d.]+MB\r\x1b\[1B/, JSON.stringify(outputs[0]));
  assert.match(outputs[0], /[0-9a-f]{12}: Pull complete \r\x1b\[1BDigest: sha256:/);
  // Byte counts and the number of redraws depend on timing, so the byte-count redraws are compared only by shape above.
  const withoutCounts = (text: string) => text.replace(/\x1b\[\d+A\x1b\[2K\r[0-9a-f]{12}: (Downloading|Extracting|Pushing) [^\r]*\r\x1b\[\d+B/g, '');
  assert.equal(withoutCounts(outputs[0]), withoutCounts(outputs[1]));
});

test('pull quiet and rejected flags', async () => {
  const quiet = await berth(daemon, ['pull', '-q', 'busybox']);
  assert.equal(quiet.exitCode, 0, quiet.stderr);
  assert.equal(quiet.stdout, 'docker.io/library/busybox:latest\n');

  const { digest } = await skopeoInspect(plain, 'library/busybox:latest');
  const byDigest = await berth(daemon, ['pull', `busybox@${digest}`]);
  assert.equal(byDigest.exitCode, 0, byDigest.stderr);
  assert.doesNotMatch(byDigest.stdout, /Using default tag/);
  assert.equal(lines(byDigest.stdout).at(-1), `docker.io/library/busybox@${digest}`);

  const allTags = await berth(daemon, ['pull', '-a', 'busybox']);
  assert.equal(allTags.exitCode, 1);
  assert.match(allTags.stderr, /--all-tags is not supported/);

  const invalid = await berth(daemon, ['pull', 'Not/Valid']);
  assert.equal(invalid.exitCode, 1);
  assert.match(invalid.stderr, /invalid reference format/);

  const missing = await berth(daemon, ['pull', `${plain.host}/library/absent:1`]);
  assert.equal(missing.exitCode, 1);
  assert.match(missing.stderr, /^Error response from daemon: .*(not found|unknown)/i);
});

test('run pulls missing image with policy', async () => {
  const image = `${plain.host}/library/busybox:latest`;
  await berth(daemon, ['rmi', image]);

  const never = await berth(daemon, ['run', '--rm', '--pull', 'never', image, 'true']);
  assert.equal(never.exitCode, 125);
  assert.match(never.stderr, /No such image/i);

  const ran = await berth(daemon, ['run', '--rm', image, 'echo', 'after pull']);
  assert.equal(ran.exitCode, 0, ran.stderr);
  assert.equal(ran.stdout, 'after pull\n');
  const stderr = lines(ran.stderr);
  assert.equal(stderr[0], `Unable to find image '${image}' locally`);
  assert.ok(stderr.includes(`Status: Downloaded newer image for ${image}`), ran.stderr);

  const always = await berth(daemon, ['create', '--pull', 'always', image]);
  assert.equal(always.exitCode, 0, always.stderr);
  assert.match(always.stdout, /^[0-9a-f]{64}\n$/, 'create prints only the ID on stdout');
  assert.match(always.stderr, /Status: Image is up to date for/);
  assert.doesNotMatch(always.stderr, /Unable to find image/);
  await berth(daemon, ['rm', always.stdout.trim()]);
});

test('push uploads image skopeo sees', async () => {
  const source = `${plain.host}/library/busybox:latest`;
  await berth(daemon, ['pull', '-q', source]);
  const target = `${plain.host}/pushed/busybox:v1`;
  assert.equal((await berth(daemon, ['tag', source, target])).exitCode, 0);

  const pushed = await berth(daemon, ['push', target]);
  assert.equal(pushed.exitCode, 0, pushed.stderr);
  const output = lines(pushed.stdout);
  assert.equal(output[0], `The push refers to repository [${plain.host}/pushed/busybox]`);
  assert.ok(output.some((line) => /^[0-9a-f]{12}: Preparing$/.test(line)), pushed.stdout);
  assert.ok(output.some((line) => /^[0-9a-f]{12}: (Pushed|Mounted from library\/busybox|Layer already exists)$/.test(line)), pushed.stdout);
  const last = output.at(-1)!.match(/^v1: digest: (sha256:[0-9a-f]{64}) size: (\d+)$/);
  assert.ok(last, pushed.stdout);

  const inspected = await skopeoInspect(plain, 'pushed/busybox:v1');
  assert.equal(inspected.digest, last[1]);
  assert.equal(Buffer.byteLength(inspected.raw), Number(last[2]));

  const again = await berth(daemon, ['push', target]);
  assert.equal(again.exitCode, 0, again.stderr);
  assert.match(again.stdout, /: Layer already exists\n/);

  const quiet = await berth(daemon, ['push', '-q', target]);
  assert.equal(quiet.exitCode, 0, quiet.stderr);
  assert.equal(quiet.stdout, `${target}\n`);

  const absent = await berth(daemon, ['push', `${plain.host}/pushed/none:v9`]);
  assert.equal(absent.exitCode, 1);
  assert.match(absent.stderr, /An image does not exist locally with the tag/);
});

test('login stores credentials for private pull', async () => {
  const configPath = path.join(daemon.env.DOCKER_CONFIG!, 'config.json');
  const privateImage = `${secured.host}/private/busybox:latest`;

  const anonymous = await berth(daemon, ['pull', privateImage]);
  assert.equal(anonymous.exitCode, 1, 'the registry requires a login');
  assert.match(anonymous.stderr, /^Error response from daemon: .*(unauthorized|authentication required|no basic auth)/im);

  const wrong = await berth(daemon, ['login', '-u', secured.username!, '--password-stdin', secured.host], 'wrong-password\n');
  assert.equal(wrong.exitCode, 1);
  assert.match(wrong.stderr, /^Error response from daemon: .*unauthorized/im);
  assert.ok(!fs.existsSync(configPath), 'a failed login stores nothing');

  const login = await berth(daemon, ['login', '-u', secured.username!, '--password-stdin', secured.host], `${secured.password}\n`);
  assert.equal(login.exitCode, 0, login.stderr);
  assert.equal(login.stdout, 'Login Succeeded\n');
  assert.equal(fs.statSync(configPath).mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.dirname(configPath)).mode & 0o777, 0o700);
  const config = JSON.parse(fs.readFileSync(configPath, 'utf8')) as { auths: Record<string, { auth: string }> };
  assert.equal(config.auths[secured.host].auth, Buffer.from(`${secured.username}:${secured.password}`).toString('base64'));

  const pulled = await berth(daemon, ['pull', privateImage]);
  assert.equal(pulled.exitCode, 0, pulled.stderr);
  assert.equal(lines(pulled.stdout).at(-1), privateImage);

  const logout = await berth(daemon, ['logout', secured.host]);
  assert.equal(logout.exitCode, 0, logout.stderr);
  assert.equal(logout.stdout, `Removing login credentials for ${secured.host}\n`);
  const after = JSON.parse(fs.readFileSync(configPath, 'utf8')) as { auths: Record<string, unknown> };
  assert.equal(after.auths[secured.host], undefined);
  const again = await berth(daemon, ['logout', secured.host]);
  assert.equal(again.exitCode, 0);
  assert.equal(again.stdout, `Removing login credentials for ${secured.host}\n`, 'docker prints this even when nothing is stored');

  await berth(daemon, ['rmi', privateImage]);
  const denied = await berth(daemon, ['pull', privateImage]);
  assert.equal(denied.exitCode, 1, 'after logout the pull has no credentials');
});

test('login flag checks', async () => {
  const noUser = await berth(daemon, ['login', '--password-stdin', secured.host], 'x\n');
  assert.equal(noUser.exitCode, 1);
  assert.equal(noUser.stderr, 'Must provide --username with --password-stdin\n');

  const noTerminal = await berth(daemon, ['login', secured.host]);
  assert.equal(noTerminal.exitCode, 1);
  assert.match(noTerminal.stderr, /Cannot perform an interactive login from a non TTY device/);

  const conflicting = await berth(daemon, ['login', '-u', 'x', '-p', 'y', '--password-stdin', secured.host], 'z\n');
  assert.equal(conflicting.exitCode, 1);
  assert.equal(conflicting.stderr, 'conflicting options: cannot specify both --password and --password-stdin\n');

  const withPassword = await berth(daemon, ['login', '-u', secured.username!, '-p', secured.password!, secured.host]);
  assert.equal(withPassword.exitCode, 0, withPassword.stderr);
  assert.match(withPassword.stderr, /WARNING! Using --password via the CLI is insecure/);
  assert.equal((await berth(daemon, ['logout', secured.host])).exitCode, 0);
});

test('login prompts on terminal', async () => {
  const configPath = path.join(daemon.env.DOCKER_CONFIG!, 'config.json');
  // script(1) gives the CLI a terminal. The replies arrive after the prompts, as typed, with the terminal's Enter (\r).
  const typing = `(sleep 1; printf '${secured.username}\\r'; sleep 1; printf '${secured.password}\\r'; sleep 2)`;
  const { stdout } = await execFileAsync('bash', ['-c', `${typing} | script -qec "${process.execPath} ${BERTH} login ${secured.host}" /dev/null`], { env: daemon.env, timeout: 30_000 });
  assert.match(stdout, /^Username: tester\r\nPassword: \r\n/, 'the user name is echoed and the password is not');
  assert.ok(!stdout.includes(secured.password!), 'the password never reaches the terminal');
  assert.match(stdout, /Login Succeeded\r\n$/);
  const config = JSON.parse(fs.readFileSync(configPath, 'utf8')) as { auths: Record<string, { auth: string }> };
  assert.equal(config.auths[secured.host].auth, Buffer.from(`${secured.username}:${secured.password}`).toString('base64'));
  assert.equal((await berth(daemon, ['logout', secured.host])).exitCode, 0);
});

test('save writes archive skopeo reads', async () => {
  await berth(daemon, ['pull', '-q', 'busybox']);
  const file = path.join(scratch, 'saved.tar');
  const saved = await berth(daemon, ['save', '-o', file, 'busybox']);
  assert.equal(saved.exitCode, 0, saved.stderr);
  assert.equal(saved.stdout, '');
  const { stdout } = await execFileAsync('skopeo', ['inspect', `docker-archive:${file}`]);
  const inspected = JSON.parse(stdout) as { Layers: string[]; Architecture: string };
  assert.equal(inspected.Layers.length, 1);
  assert.equal(inspected.Architecture, os.arch() === 'x64' ? 'amd64' : os.arch());

  const streamed = await berth(daemon, ['image', 'save', 'busybox', `${plain.host}/library/busybox:latest`]);
  assert.equal(streamed.exitCode, 0, streamed.stderr);
  assert.ok(streamed.stdout.length > 1024, 'the archive goes to stdout without -o');

  const badDirectory = await berth(daemon, ['save', '-o', path.join(scratch, 'absent', 'x.tar'), 'busybox']);
  assert.equal(badDirectory.exitCode, 1);
  assert.equal(badDirectory.stderr, `failed to save image: invalid output path: stat ${path.join(scratch, 'absent')}: no such file or directory\n`);
});

test('history table matches docker', async () => {
  await berth(daemon, ['pull', '-q', 'busybox']);
  const table = await berth(daemon, ['history', 'busybox']);
  assert.equal(table.exitCode, 0, table.stderr);
  const [header, ...rows] = lines(table.stdout);
  assert.match(header, /^IMAGE +CREATED +CREATED BY +SIZE +COMMENT$/);
  assert.ok(rows.length >= 1);
  assert.match(rows[0], /^[0-9a-f]{12} /);

  const format = '{{.ID}}|{{.CreatedAt}}|{{.CreatedBy}}|{{.Size}}|{{.Comment}}';
  for (const args of [['-H=false', '--no-trunc', '--format', format], ['--format', format], ['-q'], ['-q', '--no-trunc'], []]) {
    const ours = await berth(daemon, ['history', ...args, 'busybox']);
    const theirs = await docker(daemon, ['history', ...args, 'busybox']);
    assert.equal(ours.exitCode, 0, ours.stderr);
    // The two runs may straddle a second, so relative times ("34 seconds ago") are compared as one token.
    const relative = /\b(\d+|About an?|Less than a) \w+ ago\b/g;
    assert.equal(ours.stdout.replace(relative, 'TIME ago'), theirs.stdout.replace(relative, 'TIME ago'), `history ${args.join(' ')}`);
  }

  const bytes = await berth(daemon, ['history', '-H=false', '--format', '{{.Size}}', 'busybox']);
  assert.ok(lines(bytes.stdout).every((line) => /^\d+$/.test(line)), bytes.stdout);
});
