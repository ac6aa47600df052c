// Builds with the real Docker CLI (its classic builder talks to POST /build)
// and with `berth build`, each producing an image that runs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import { assertDockerTalksToBerth, berth, docker, runCommand } from '../helpers/cli';
import { DOCKER, startDaemon, type TestDaemon } from '../helpers/daemon';
import { writeContext } from './build-harness';

let daemon: TestDaemon;
let directory: string;

const DOCKERFILE = [
  '# syntax=docker/dockerfile:1',
  'FROM busybox AS base',
  'ARG GREETING=hello',
  'RUN echo "$GREETING from a build" > /greeting',
  'FROM base',
  'COPY message.txt /message.txt',
  'HEALTHCHECK --interval=5s --timeout=2s CMD true',
  'CMD ["sh", "-c", "cat /greeting /message.txt"]',
  '',
].join('\n');

before(async () => {
  daemon = await startDaemon();
  directory = await writeContext({ Dockerfile: DOCKERFILE, 'message.txt': 'copied from the context\n' });
});

after(async () => {
  await daemon?.stop();
  if (directory) await fsp.rm(directory, { recursive: true, force: true });
});

test('docker build gives a runnable image', async () => {
  await assertDockerTalksToBerth(daemon);
  // The CLI here has no buildx, so it uses the classic builder. DOCKER_BUILDKIT=0 selects it without the BuildKit fallback.
  const built = await runCommand(DOCKER, ['build', '-t', 'docker-built', '--build-arg', 'GREETING=hi', directory], { ...daemon.env, DOCKER_BUILDKIT: '0' }, undefined, 90_000);
  assert.equal(built.exitCode, 0, `${built.stdout}\n${built.stderr}`);
  assert.match(built.stdout, /^Successfully tagged docker-built:latest$/m);

  const ran = await docker(daemon, ['run', '--rm', 'docker-built']);
  assert.equal(ran.exitCode, 0, ran.stderr);
  assert.equal(ran.stdout, 'hi from a build\ncopied from the context\n');

  const inspect = await docker(daemon, ['image', 'inspect', '--format', '{{json .Config.Healthcheck}}', 'docker-built']);
  assert.deepEqual(JSON.parse(inspect.stdout), { Test: ['CMD-SHELL', 'true'], Interval: 5_000_000_000, Timeout: 2_000_000_000 });
});

test('docker build reports a failing RUN', async () => {
  const failing = await writeContext({ Dockerfile: 'FROM busybox\nRUN exit 2\n' });
  try {
    const built = await runCommand(DOCKER, ['build', failing], { ...daemon.env, DOCKER_BUILDKIT: '0' }, undefined, 90_000);
    assert.notEqual(built.exitCode, 0);
    assert.match(built.stderr, /The command '\/bin\/sh -c exit 2' returned a non-zero code: 2/);
  } finally {
    await fsp.rm(failing, { recursive: true, force: true });
  }
});

test('berth build gives a runnable image', async () => {
  const built = await berth(daemon, ['build', '-t', 'berth-built', '--label', 'origin=test', directory]);
  assert.equal(built.exitCode, 0, `${built.stdout}\n${built.stderr}`);

  const ran = await berth(daemon, ['run', '--rm', 'berth-built']);
  assert.equal(ran.exitCode, 0, ran.stderr);
  assert.equal(ran.stdout, 'hello from a build\ncopied from the context\n');

  const labels = await berth(daemon, ['image', 'inspect', '--format', '{{json .Config.Labels}}', 'berth-built']);
  assert.deepEqual(JSON.parse(labels.stdout), { origin: 'test' });
});
