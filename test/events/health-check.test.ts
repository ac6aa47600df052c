// Health checks run by berthd, driven with the real docker CLI: the starting,
// healthy and unhealthy transitions, the retries count, the start period,
// State.Health in inspect, ps Status and --filter health, and health_status events.
// A file in the container (/ok) is the switch the check command tests.
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

interface Health {
  Status: string;
  FailingStreak: number;
  Log: { Start: string; End: string; ExitCode: number; Output: string }[];
}

async function health(name: string): Promise<Health> {
  const result = await docker(daemon, ['inspect', '-f', '{{json .State.Health}}', name]);
  assert.equal(result.exitCode, 0, result.stderr);
  return JSON.parse(result.stdout) as Health;
}

// Polls State.Health until the predicate returns true, returning every observation on the way.
async function observeUntil(name: string, done: (state: Health) => boolean, timeoutMs = 10_000): Promise<Health[]> {
  const observed: Health[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await health(name);
    observed.push(state);
    if (done(state)) return observed;
    if (Date.now() > deadline) assert.fail(`health of ${name} did not reach the expected state: ${JSON.stringify(state)}`);
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
}

async function exec(name: string, command: string): Promise<void> {
  const result = await docker(daemon, ['exec', name, 'sh', '-c', command]);
  assert.equal(result.exitCode, 0, result.stderr);
}

const FAST_CHECK = ['--health-cmd', 'test -f /ok', '--health-interval', '200ms', '--health-timeout', '2s'];

test('health retries before unhealthy', async () => {
  const since = (Date.now() / 1000).toFixed(3);
  const started = await docker(daemon, ['run', '-d', '--name', 'hc-retries', ...FAST_CHECK, '--health-retries', '3', 'busybox', 'sleep', '100']);
  assert.equal(started.exitCode, 0, started.stderr);

  const first = await health('hc-retries');
  assert.equal(first.Status, 'starting');

  // No /ok yet: every probe fails, and only the third consecutive failure makes it unhealthy.
  const failing = await observeUntil('hc-retries', (state) => state.FailingStreak >= 3);
  for (const state of failing.filter((observation) => observation.FailingStreak < 3)) {
    assert.equal(state.Status, 'starting', `streak ${state.FailingStreak} keeps starting`);
  }
  assert.ok(failing.some((state) => state.FailingStreak === 2 && state.Status === 'starting'), 'a streak of 2 was seen as starting');
  const unhealthy = failing[failing.length - 1];
  assert.equal(unhealthy.Status, 'unhealthy');
  assert.equal(unhealthy.Log.at(-1)?.ExitCode, 1);

  const listed = await docker(daemon, ['ps', '--filter', 'health=unhealthy', '--format', '{{.Names}} {{.Status}}']);
  assert.match(listed.stdout, /^hc-retries Up .* \(unhealthy\)$/m);

  // One success makes it healthy and resets the streak.
  await exec('hc-retries', 'touch /ok');
  const healthy = await observeUntil('hc-retries', (state) => state.Status === 'healthy');
  assert.equal(healthy.at(-1)?.FailingStreak, 0);
  const healthyList = await docker(daemon, ['ps', '--filter', 'health=healthy', '--format', '{{.Names}} {{.Status}}']);
  assert.match(healthyList.stdout, /^hc-retries Up .* \(healthy\)$/m);
  const noneList = await docker(daemon, ['ps', '--filter', 'health=unhealthy', '--format', '{{.Names}}']);
  assert.doesNotMatch(noneList.stdout, /hc-retries/);

  // From healthy, two failures keep it healthy and the third makes it unhealthy again.
  await exec('hc-retries', 'rm /ok');
  const again = await observeUntil('hc-retries', (state) => state.FailingStreak >= 3);
  for (const state of again.filter((observation) => observation.FailingStreak > 0 && observation.FailingStreak < 3)) {
    assert.equal(state.Status, 'healthy', `streak ${state.FailingStreak} keeps healthy`);
  }
  assert.equal(again.at(-1)?.Status, 'unhealthy');
  assert.ok((again.at(-1)?.Log.length ?? 0) <= 5, 'the log keeps the last 5 probes');

  const until = (Date.now() / 1000).toFixed(3);
  const events = await docker(daemon, ['events', '--since', since, '--until', until, '--filter', 'container=hc-retries', '--filter', 'event=health_status', '--format', '{{.Action}}']);
  assert.equal(events.exitCode, 0, events.stderr);
  assert.equal(events.stdout, 'health_status: unhealthy\nhealth_status: healthy\nhealth_status: unhealthy\n');

  await docker(daemon, ['rm', '-f', 'hc-retries']);
});

test('health start period ignores failures', async () => {
  const started = await docker(daemon, [
    'run', '-d', '--name', 'hc-start', ...FAST_CHECK, '--health-retries', '1',
    '--health-start-period', '60s', '--health-start-interval', '200ms', 'busybox', 'sleep', '100',
  ]);
  assert.equal(started.exitCode, 0, started.stderr);

  // Failures inside the start period are logged but do not count, even with retries 1.
  const ignored = await observeUntil('hc-start', (state) => state.Log.length >= 3);
  for (const state of ignored) {
    assert.equal(state.Status, 'starting');
    assert.equal(state.FailingStreak, 0);
  }
  assert.ok(ignored.at(-1)?.Log.every((probe) => probe.ExitCode === 1), 'the ignored probes did fail');
  const listed = await docker(daemon, ['ps', '--filter', 'name=hc-start', '--format', '{{.Status}}']);
  assert.match(listed.stdout, /\(health: starting\)/);

  // A success inside the start period makes it healthy; after that a failure counts.
  await exec('hc-start', 'touch /ok');
  await observeUntil('hc-start', (state) => state.Status === 'healthy');
  await exec('hc-start', 'rm /ok');
  const counted = await observeUntil('hc-start', (state) => state.Status === 'unhealthy');
  assert.equal(counted.at(-1)?.FailingStreak, 1);

  await docker(daemon, ['rm', '-f', 'hc-start']);
});

test('health check timeout counts as failure', async () => {
  const started = await docker(daemon, [
    'run', '-d', '--name', 'hc-timeout', '--health-cmd', 'sleep 5', '--health-interval', '200ms',
    '--health-timeout', '300ms', '--health-retries', '1', 'busybox', 'sleep', '100',
  ]);
  assert.equal(started.exitCode, 0, started.stderr);
  const states = await observeUntil('hc-timeout', (state) => state.Status === 'unhealthy');
  const probe = states.at(-1)?.Log.at(-1);
  assert.equal(probe?.ExitCode, -1);
  assert.equal(probe?.Output, 'Health check exceeded timeout (300ms)');

  await docker(daemon, ['rm', '-f', 'hc-timeout']);
});

test('no-healthcheck and stopped containers', async () => {
  const plain = await docker(daemon, ['run', '-d', '--name', 'hc-none', '--no-healthcheck', 'busybox', 'sleep', '100']);
  assert.equal(plain.exitCode, 0, plain.stderr);
  const inspected = await docker(daemon, ['inspect', '-f', '{{json .State.Health}}', 'hc-none']);
  assert.equal(inspected.stdout, 'null\n');
  const none = await docker(daemon, ['ps', '--filter', 'health=none', '--format', '{{.Names}}']);
  assert.match(none.stdout, /^hc-none$/m);

  // Positive control: a container with a check is not "none" while it runs, and stops probing when stopped.
  const checked = await docker(daemon, ['run', '-d', '--name', 'hc-stopped', ...FAST_CHECK, 'busybox', 'sleep', '100']);
  assert.equal(checked.exitCode, 0, checked.stderr);
  await observeUntil('hc-stopped', (state) => state.Log.length >= 1);
  const running = await docker(daemon, ['ps', '--filter', 'health=none', '--format', '{{.Names}}']);
  assert.doesNotMatch(running.stdout, /hc-stopped/);

  await docker(daemon, ['stop', '-t', '0', 'hc-stopped']);
  const before = (await health('hc-stopped')).Log.length;
  await new Promise((resolve) => setTimeout(resolve, 700));
  assert.equal((await health('hc-stopped')).Log.length, before, 'no probes after stop');

  await docker(daemon, ['rm', '-f', 'hc-none', 'hc-stopped']);
});
