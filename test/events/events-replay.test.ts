// docker events against berthd with the real docker CLI: replay of a time
// range with --since and --until, Docker's line format and attributes, and
// the container filter.
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

function unixSeconds(): string {
  return (Date.now() / 1000).toFixed(3);
}

async function runAndRemove(name: string, exitCode: number): Promise<string> {
  const created = await docker(daemon, ['create', '--name', name, '--label', 'suite=events', 'busybox', 'sh', '-c', `exit ${exitCode}`]);
  assert.equal(created.exitCode, 0, created.stderr);
  const started = await docker(daemon, ['start', '-a', name]);
  assert.equal(started.exitCode, exitCode, started.stderr);
  const removed = await docker(daemon, ['rm', name]);
  assert.equal(removed.exitCode, 0, removed.stderr);
  return created.stdout.trim();
}

interface EventLine {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: string;
  time: number;
  timeNano: number;
  status?: string;
  id?: string;
  from?: string;
}

function parseJsonLines(output: string): EventLine[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as EventLine);
}

test('events replay a container lifecycle', async () => {
  const since = unixSeconds();
  const firstId = await runAndRemove('ev-first', 3);
  const secondId = await runAndRemove('ev-second', 0);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const until = unixSeconds();

  const replayed = await docker(daemon, ['events', '--since', since, '--until', until, '--format', '{{json .}}']);
  assert.equal(replayed.exitCode, 0, replayed.stderr);
  const events = parseJsonLines(replayed.stdout);
  const firstActions = events.filter((event) => event.Actor.ID === firstId).map((event) => event.Action);
  assert.deepEqual(
    firstActions.filter((action) => ['create', 'start', 'die', 'destroy'].includes(action)),
    ['create', 'start', 'die', 'destroy'],
  );

  const die = events.find((event) => event.Actor.ID === firstId && event.Action === 'die');
  assert.ok(die, 'die event of ev-first');
  assert.equal(die.Type, 'container');
  assert.equal(die.scope, 'local');
  assert.equal(die.Actor.Attributes.exitCode, '3');
  assert.equal(die.Actor.Attributes.name, 'ev-first');
  assert.equal(die.Actor.Attributes.image, 'busybox');
  assert.equal(die.Actor.Attributes.suite, 'events', 'container labels are attributes');
  assert.equal(die.status, 'die');
  assert.equal(die.id, firstId);
  assert.equal(die.from, 'busybox');
  assert.equal(die.time, Math.floor(die.timeNano / 1e9));

  assert.ok(events.some((event) => event.Actor.ID === secondId && event.Action === 'destroy'), 'without a filter the other container shows too');
});

test('events default line format', async () => {
  const since = unixSeconds();
  const id = await runAndRemove('ev-format', 0);
  const until = unixSeconds();

  const replayed = await docker(daemon, ['events', '--since', since, '--until', until, '--filter', 'event=start'], undefined);
  assert.equal(replayed.exitCode, 0, replayed.stderr);
  const lines = replayed.stdout.split('\n').filter((line) => line !== '');
  assert.equal(lines.length, 1, replayed.stdout);
  const pattern = new RegExp(`^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{9}(Z|[+-]\\d{2}:\\d{2}) container start ${id} \\(image=busybox, name=ev-format, suite=events\\)$`);
  assert.match(lines[0], pattern);
});

test('events container filter', async () => {
  const since = unixSeconds();
  const keptId = await runAndRemove('ev-kept', 0);
  const otherId = await runAndRemove('ev-other', 0);
  const until = unixSeconds();

  const filtered = await docker(daemon, ['events', '--since', since, '--until', until, '--filter', 'container=ev-kept', '--format', '{{json .}}']);
  assert.equal(filtered.exitCode, 0, filtered.stderr);
  const events = parseJsonLines(filtered.stdout);
  assert.ok(events.length >= 4, `create, start, die and destroy of ev-kept: ${filtered.stdout}`);
  assert.ok(events.every((event) => event.Actor.ID === keptId), `only ev-kept's events: ${filtered.stdout}`);

  const unfiltered = await docker(daemon, ['events', '--since', since, '--until', until, '--format', '{{json .}}']);
  const all = parseJsonLines(unfiltered.stdout);
  assert.ok(all.some((event) => event.Actor.ID === otherId), 'ev-other appears without the filter');
  assert.ok(all.some((event) => event.Actor.ID === keptId), 'ev-kept appears without the filter');
});

test('events stream live until until', async () => {
  const until = ((Date.now() + 2500) / 1000).toFixed(3);
  const streaming = docker(daemon, ['events', '--until', until, '--filter', 'type=volume', '--format', '{{.Type}} {{.Action}} {{.Actor.ID}}']);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const created = await docker(daemon, ['volume', 'create', 'ev-volume']);
  assert.equal(created.exitCode, 0, created.stderr);
  const removed = await docker(daemon, ['volume', 'rm', 'ev-volume']);
  assert.equal(removed.exitCode, 0, removed.stderr);

  const result = await streaming;
  assert.equal(result.exitCode, 0, result.stderr);
  assert.equal(result.stdout, 'volume create ev-volume\nvolume destroy ev-volume\n');
});
