// The berth CLI side of events and health checks (berth events, the
// --health-* run flags), event kinds beyond the container lifecycle, and
// health checks resuming after a daemon restart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertDockerTalksToBerth, berth, docker } from '../helpers/cli';
import { startDaemon, type TestDaemon } from '../helpers/daemon';

let daemon: TestDaemon;

before(async () => {
  daemon = await startDaemon();
  await assertDockerTalksToBerth(daemon);
});

after(async () => {
  await daemon?.stop();
});

function unixSeconds(): string {
  return (Date.now() / 1000).toFixed(3);
}

async function healthOf(name: string): Promise<{ Status: string; FailingStreak: number; Log: unknown[] }> {
  const result = await docker(daemon, ['inspect', '-f', '{{json .State.Health}}', name]);
  assert.equal(result.exitCode, 0, result.stderr);
  return JSON.parse(result.stdout);
}

async function waitForHealth(name: string, status: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await healthOf(name)).Status !== status) {
    if (Date.now() > deadline) assert.fail(`${name} did not become ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('berth events matches docker events', async () => {
  const since = unixSeconds();
  const created = await berth(daemon, ['create', '--name', 'cli-ev', 'busybox', 'true']);
  assert.equal(created.exitCode, 0, created.stderr);
  const id = created.stdout.trim();
  await berth(daemon, ['rm', 'cli-ev']);
  const until = unixSeconds();

  const fromBerth = await berth(daemon, ['events', '--since', since, '--until', until]);
  const fromDocker = await docker(daemon, ['events', '--since', since, '--until', until]);
  assert.equal(fromBerth.exitCode, 0, fromBerth.stderr);
  assert.equal(fromBerth.stdout, fromDocker.stdout);
  assert.match(fromBerth.stdout, new RegExp(`container create ${id} \\(image=busybox, name=cli-ev\\)\\n`));
  assert.match(fromBerth.stdout, new RegExp(`container destroy ${id} \\(image=busybox, name=cli-ev\\)\\n`));

  const formatted = await berth(daemon, ['events', '--since', since, '--until', until, '--filter', 'event=destroy', '--format', '{{.Action}} {{.Actor.Attributes.name}}']);
  assert.equal(formatted.stdout, 'destroy cli-ev\n');
  const none = await berth(daemon, ['events', '--since', since, '--until', until, '--filter', 'container=other']);
  assert.equal(none.stdout, '');
});

test('exec, image and network events', async () => {
  const since = unixSeconds();
  const started = await docker(daemon, ['run', '-d', '--name', 'kinds', 'busybox', 'sleep', '100']);
  assert.equal(started.exitCode, 0, started.stderr);
  await docker(daemon, ['exec', 'kinds', 'true']);
  await docker(daemon, ['tag', 'busybox', 'kinds-tag:v1']);
  await docker(daemon, ['rmi', 'kinds-tag:v1']);
  await docker(daemon, ['network', 'create', 'kinds-net']);
  await docker(daemon, ['network', 'rm', 'kinds-net']);
  await docker(daemon, ['rm', '-f', 'kinds']);
  const until = unixSeconds();

  const result = await docker(daemon, ['events', '--since', since, '--until', until, '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}']);
  const lines = result.stdout.split('\n');
  assert.ok(lines.includes('container exec_create: true kinds'), result.stdout);
  assert.ok(lines.includes('container exec_start: true kinds'), result.stdout);
  assert.ok(lines.includes('container exec_die kinds'), result.stdout);
  assert.ok(lines.includes('image tag kinds-tag:v1'), result.stdout);
  assert.ok(lines.includes('image untag kinds-tag:v1'), result.stdout);
  assert.ok(lines.includes('network create kinds-net'), result.stdout);
  assert.ok(lines.includes('network destroy kinds-net'), result.stdout);
  assert.ok(lines.includes('container kill kinds'), result.stdout);

  const images = await docker(daemon, ['events', '--since', since, '--until', until, '--filter', 'type=image', '--format', '{{.Type}}']);
  assert.equal(images.stdout, 'image\nimage\n');
});

test('berth run health flags', async () => {
  const started = await berth(daemon, ['run', '-d', '--name', 'cli-hc', '--health-cmd', 'test -f /ok', '--health-interval', '150ms', '--health-retries', '2', 'busybox', 'sleep', '100']);
  assert.equal(started.exitCode, 0, started.stderr);
  const config = await docker(daemon, ['inspect', '-f', '{{json .Config.Healthcheck}}', 'cli-hc']);
  assert.equal(config.stdout, '{"Test":["CMD-SHELL","test -f /ok"],"Interval":150000000,"Retries":2}\n');
  await waitForHealth('cli-hc', 'unhealthy');
  const listed = await berth(daemon, ['ps', '--filter', 'health=unhealthy', '--format', '{{.Names}}']);
  assert.equal(listed.stdout, 'cli-hc\n');

  const conflict = await berth(daemon, ['run', '--no-healthcheck', '--health-cmd', 'true', 'busybox', 'true']);
  assert.equal(conflict.exitCode, 125);
  assert.match(conflict.stderr, /--no-healthcheck conflicts with --health-\* options/);
  const negative = await docker(daemon, ['run', '--health-interval', '-1s', 'busybox', 'true']);
  assert.notEqual(negative.exitCode, 0);
  const tooShort = await docker(daemon, ['create', '--health-cmd', 'true', '--health-interval', '10us', 'busybox', 'true']);
  assert.notEqual(tooShort.exitCode, 0);
  assert.match(tooShort.stderr, /Interval in Healthcheck cannot be less than 1ms/);

  await docker(daemon, ['rm', '-f', 'cli-hc']);
});

test('health checks resume after restart', async () => {
  const started = await docker(daemon, ['run', '-d', '--name', 'hc-resume', '--health-cmd', 'test -f /ok', '--health-interval', '200ms', 'busybox', 'sh', '-c', 'touch /ok; exec sleep 100']);
  assert.equal(started.exitCode, 0, started.stderr);
  await waitForHealth('hc-resume', 'healthy');

  await daemon.killDaemon();
  await daemon.restartDaemon();
  const running = await docker(daemon, ['inspect', '-f', '{{.State.Status}}', 'hc-resume']);
  assert.equal(running.stdout, 'running\n', 'the container outlived the daemon restart');
  await docker(daemon, ['exec', 'hc-resume', 'rm', '/ok']);
  await waitForHealth('hc-resume', 'unhealthy');
  const later = await healthOf('hc-resume');
  assert.ok(later.FailingStreak >= 3, 'probes ran after the restart');

  await docker(daemon, ['rm', '-f', 'hc-resume']);
});
