// The unmodified Docker CLI against a real berthd: version, info, ps,
// images and the volume commands read and print what the API returns.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { docker } from '../helpers/cli';
import { BUSYBOX_ARCHIVE, request, startDaemon, type TestDaemon } from '../helpers/daemon';

let daemon: TestDaemon;

before(async () => {
  daemon = await startDaemon({ loadBusybox: false });
  // Load errors arrive in the 200 response body, so check it here rather than in later tests.
  const loaded = await request(daemon.socketPath, 'POST', '/images/load?quiet=1', fs.readFileSync(BUSYBOX_ARCHIVE), { 'Content-Type': 'application/x-tar' });
  assert.equal(loaded.status, 200);
  assert.equal(loaded.body.toString(), '{"stream":"Loaded image: busybox:latest\\n"}\r\n');
});

after(async () => {
  await daemon?.stop();
});

test('docker CLI reaches berthd', async () => {
  const ping = await request(daemon.socketPath, 'GET', '/_ping');
  assert.match(String(ping.headers.server), /^Berth\/\S+ \(linux\)$/);
  const result = await docker(daemon, ['version', '--format', '{{.Server.Os}} {{.Server.Version}}']);
  assert.equal(result.exitCode, 0, result.stderr);
  const version = await request(daemon.socketPath, 'GET', '/version');
  assert.equal(result.stdout, `linux ${version.json<{ Version: string }>().Version}\n`);
});

test('docker version shows the API range', async () => {
  const result = await docker(daemon, ['version', '--format', '{{.Server.APIVersion}} {{.Server.MinAPIVersion}} {{.Server.Platform.Name}}']);
  assert.equal(result.exitCode, 0, result.stderr);
  assert.equal(result.stdout, '1.50 1.24 Berth\n');
});

test('docker info prints the engine state', async () => {
  const result = await docker(daemon, ['info']);
  assert.equal(result.exitCode, 0, result.stderr);
  assert.match(result.stdout, /Server Version: \S+/);
  assert.match(result.stdout, /Storage Driver: overlay\n/);
  assert.match(result.stdout, /Cgroup Driver: cgroupfs\n/);
  assert.match(result.stdout, /Default Runtime: runc\n/);
  assert.match(result.stdout, /Images: 1\n/);
  assert.doesNotMatch(result.stderr, /WARNING/);
  assert.match(result.stdout, /Network: bridge host null\n/);

  const formatted = await docker(daemon, ['info', '--format', '{{.OSType}}/{{.CgroupVersion}}/{{json .SecurityOptions}}']);
  assert.equal(formatted.stdout, 'linux/1/["name=seccomp,profile=builtin"]\n');
});

test('docker ps -a lists created and exited containers', async () => {
  const created = await docker(daemon, ['create', '--name', 'listed', '--label', 'purpose=ps', 'busybox', 'echo', 'hello world']);
  assert.equal(created.exitCode, 0, created.stderr);
  const ran = await docker(daemon, ['run', '--name', 'finished', 'busybox', 'sh', '-c', 'exit 3']);
  assert.equal(ran.exitCode, 3, ran.stderr);

  const listed = await docker(daemon, ['ps', '-a', '--format', '{{.Names}}|{{.Image}}|{{.Command}}|{{.Status}}']);
  assert.equal(listed.exitCode, 0, listed.stderr);
  const lines = listed.stdout.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^finished\|busybox\|"sh -c 'exit 3'"\|Exited \(3\) (Less than a second|\d+ seconds?) ago$/);
  assert.equal(lines[1], `listed|busybox|"echo 'hello world'"|Created`);

  const running = await docker(daemon, ['ps', '-q']);
  assert.equal(running.stdout, '', 'no container runs');
  const filtered = await docker(daemon, ['ps', '-a', '--filter', 'label=purpose=ps', '--format', '{{.Names}}']);
  assert.equal(filtered.stdout, 'listed\n');
  const exited = await docker(daemon, ['ps', '-a', '--filter', 'exited=3', '--format', '{{.Names}}']);
  assert.equal(exited.stdout, 'finished\n');

  const removed = await docker(daemon, ['rm', 'listed', 'finished']);
  assert.equal(removed.exitCode, 0, removed.stderr);
});

test('docker images lists busybox', async () => {
  const result = await docker(daemon, ['images']);
  assert.equal(result.exitCode, 0, result.stderr);
  assert.match(result.stdout, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\n/);
  assert.match(result.stdout, /\nbusybox\s+latest\s+[0-9a-f]{12}\s/);
  const inspected = await docker(daemon, ['image', 'inspect', '--format', '{{.Os}} {{index .RepoTags 0}} {{len .RootFS.Layers}}', 'busybox']);
  assert.equal(inspected.exitCode, 0, inspected.stderr);
  assert.equal(inspected.stdout, 'linux busybox:latest 1\n');
});

test('docker volume create, ls, inspect, rm', async () => {
  const created = await docker(daemon, ['volume', 'create', '--label', 'owner=api-test', 'api-vol']);
  assert.equal(created.exitCode, 0, created.stderr);
  assert.equal(created.stdout, 'api-vol\n');

  const listed = await docker(daemon, ['volume', 'ls', '--format', '{{.Driver}} {{.Name}}']);
  assert.match(listed.stdout, /^local api-vol$/m);
  const filtered = await docker(daemon, ['volume', 'ls', '-q', '--filter', 'label=owner=api-test']);
  assert.equal(filtered.stdout, 'api-vol\n');

  const inspected = await docker(daemon, ['volume', 'inspect', '--format', '{{.Name}} {{.Driver}} {{.Scope}} {{.Labels.owner}}', 'api-vol']);
  assert.equal(inspected.exitCode, 0, inspected.stderr);
  assert.equal(inspected.stdout, 'api-vol local local api-test\n');

  const removed = await docker(daemon, ['volume', 'rm', 'api-vol']);
  assert.equal(removed.exitCode, 0, removed.stderr);
  assert.equal(removed.stdout, 'api-vol\n');
  const missing = await docker(daemon, ['volume', 'inspect', 'api-vol']);
  assert.equal(missing.exitCode, 1);
  assert.match(missing.stderr, /no such volume/);
});
