// Unit tests of the executor's pure parts: stage planning, ARG scoping,
// progress ordering, config instructions, durations and the cache index.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseDockerfile, type Instruction } from '../../src/builder/dockerfile';
import { BuildArguments, StageArguments } from '../../src/builder/executor/arguments';
import { BuildError } from '../../src/builder/executor/build-error';
import { CacheIndex, stepCacheKey } from '../../src/builder/executor/cache-index';
import { applyConfigInstruction } from '../../src/builder/executor/config-instructions';
import { parseDuration } from '../../src/builder/executor/healthcheck';
import { automaticPlatformArgs } from '../../src/builder/executor/platform';
import { ProgressSequencer } from '../../src/builder/executor/progress';
import { planStages } from '../../src/builder/executor/stage-plan';
import type { BuildMessage } from '../../src/builder/types';

const NO_ARGS = new Map<string, string>();

test('plan skips unneeded stages', () => {
  const dockerfile = parseDockerfile(
    ['FROM busybox AS a', 'RUN true', 'FROM busybox AS unused', 'FROM a AS b', 'COPY --from=0 /x /x', 'FROM busybox', 'COPY --from=b /x /y', ''].join('\n'),
  );
  const plan = planStages(dockerfile, null, NO_ARGS);
  assert.deepEqual(plan.needed, [0, 2, 3]);
  assert.equal(plan.totalSteps, 6);
  assert.equal(plan.firstStep.get(0), 1);
  assert.equal(plan.firstStep.get(2), 3);
  assert.equal(plan.firstStep.get(3), 5);
});

test('plan follows ARGs and mounts', () => {
  const dockerfile = parseDockerfile(
    ['ARG SOURCE=tools', 'FROM busybox AS tools', 'FROM busybox AS cache', 'FROM busybox', 'COPY --from=$SOURCE /a /a', 'RUN --mount=type=bind,from=cache,target=/c true', ''].join('\n'),
  );
  assert.deepEqual(planStages(dockerfile, null, new Map([['SOURCE', 'tools']])).needed, [0, 1, 2]);
  assert.deepEqual(planStages(dockerfile, 'tools', NO_ARGS).needed, [0]);
});

test('plan rejects an unknown target', () => {
  const dockerfile = parseDockerfile('FROM busybox AS only\n');
  assert.throws(() => planStages(dockerfile, 'missing', NO_ARGS), (error: unknown) => {
    assert.ok(error instanceof BuildError);
    assert.equal(error.message, 'failed to reach build target missing in Dockerfile');
    return true;
  });
});

test('ARG scoping follows Docker', () => {
  const dockerfile = parseDockerfile(['ARG A=global-a', 'ARG B=$A-b', 'FROM busybox', ''].join('\n'));
  const args = new BuildArguments({ B: 'from-request', UNUSED: 'x', HTTP_PROXY: 'http://proxy' }, automaticPlatformArgs(null), dockerfile.globalArgs, '\\', 'Dockerfile');
  assert.equal(args.global.get('A'), 'global-a');
  assert.equal(args.global.get('B'), 'from-request');

  const stage = new StageArguments(args);
  const declare = (text: string): void => {
    const instruction = parseDockerfile(`FROM scratch\n${text}\n`).stages[0].instructions[0];
    if (instruction.keyword !== 'ARG') throw new Error('not an ARG');
    stage.declare(instruction, stage.values, '\\', 'Dockerfile');
  };

  assert.equal(stage.values.has('A'), false);
  declare('ARG A');
  assert.equal(stage.values.get('A'), 'global-a');
  declare('ARG C=own-default');
  assert.equal(stage.values.get('C'), 'own-default');
  declare('ARG D');
  assert.equal(stage.values.has('D'), false);
  declare('ARG TARGETARCH');
  assert.equal(stage.values.get('TARGETARCH'), automaticPlatformArgs(null).get('TARGETARCH'));

  assert.deepEqual(args.unconsumed(), ['UNUSED']);
  assert.deepEqual([...args.proxyValues()], [['HTTP_PROXY', 'http://proxy']]);
});

test('progress keeps Dockerfile order', () => {
  const sent: BuildMessage[] = [];
  const progress = new ProgressSequencer([0, 2, 5], (message) => sent.push(message), false);

  progress.stream(2, 'second stage\n');
  progress.stream(0, 'first stage\n');
  assert.deepEqual(sent, [{ stream: 'first stage\n' }]);

  progress.stream(5, 'third stage\n');
  progress.finish(5);
  progress.finish(0);
  assert.deepEqual(sent.map((message) => message.stream), ['first stage\n', 'second stage\n']);

  progress.finish(2);
  assert.deepEqual(sent.map((message) => message.stream), ['first stage\n', 'second stage\n', 'third stage\n']);
});

test('quiet progress keeps only aux', () => {
  const sent: BuildMessage[] = [];
  const progress = new ProgressSequencer([0], (message) => sent.push(message), true);
  progress.stream(0, 'Step 1/1 : FROM busybox\n');
  progress.message(0, { aux: { ID: 'sha256:abc' } });
  assert.deepEqual(sent, [{ aux: { ID: 'sha256:abc' } }]);
});

function instruction(text: string): Instruction {
  return parseDockerfile(`FROM scratch\n${text}\n`).stages[0].instructions[0];
}

test('ENTRYPOINT clears only inherited CMD', () => {
  const inherited = { config: { Cmd: ['sh'] }, cmdSet: false };
  applyConfigInstruction(inherited, instruction('ENTRYPOINT ["/run"]'));
  assert.equal(inherited.config.Cmd, null);

  const own = { config: {}, cmdSet: false };
  applyConfigInstruction(own, instruction('CMD ["--flag"]'));
  applyConfigInstruction(own, instruction('ENTRYPOINT /run'));
  assert.deepEqual(own.config, { Cmd: ['--flag'], Entrypoint: ['/bin/sh', '-c', '/run'] });
});

test('SHELL applies to later shell forms', () => {
  const state = { config: {}, cmdSet: false };
  applyConfigInstruction(state, instruction('SHELL ["/bin/bash", "-o", "pipefail", "-c"]'));
  applyConfigInstruction(state, instruction('CMD echo hi'));
  assert.deepEqual((state.config as { Cmd: string[] }).Cmd, ['/bin/bash', '-o', 'pipefail', '-c', 'echo hi']);
});

test('EXPOSE expands ranges and protocols', () => {
  const state = { config: {}, cmdSet: false };
  applyConfigInstruction(state, instruction('EXPOSE 80 53/UDP 9000-9001/tcp'));
  assert.deepEqual(Object.keys((state.config as { ExposedPorts: object }).ExposedPorts), ['80/tcp', '53/udp', '9000/tcp', '9001/tcp']);
  assert.throws(() => applyConfigInstruction(state, instruction('EXPOSE http')), /invalid port "http" in EXPOSE/);
});

test('HEALTHCHECK durations become nanoseconds', () => {
  const state = { config: {}, cmdSet: false };
  applyConfigInstruction(state, instruction('HEALTHCHECK --interval=1m30s --timeout=500ms --start-period=2s --retries=4 CMD ["true"]'));
  assert.deepEqual((state.config as { Healthcheck: object }).Healthcheck, {
    Test: ['CMD', 'true'],
    Interval: 90_000_000_000,
    Timeout: 500_000_000,
    StartPeriod: 2_000_000_000,
    Retries: 4,
  });

  applyConfigInstruction(state, instruction('HEALTHCHECK NONE'));
  assert.deepEqual((state.config as { Healthcheck: object }).Healthcheck, { Test: ['NONE'] });
});

test('durations parse like Go', () => {
  assert.equal(parseDuration('0'), 0);
  assert.equal(parseDuration('1h2m3s'), 3_723_000_000_000);
  assert.equal(parseDuration('1.5s'), 1_500_000_000);
  assert.equal(parseDuration('250us'), 250_000);
  assert.throws(() => parseDuration('5'), /invalid duration "5"/);
  assert.throws(() => parseDuration('1d'), /invalid duration "1d"/);
});

test('cache index ignores removed images', async () => {
  const directory = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-cache-index-'));
  try {
    const index = CacheIndex.forDirectory(directory);
    const key = stepCacheKey({ parent: 'sha256:parent', instruction: 'RUN make' });
    assert.notEqual(key, stepCacheKey({ parent: 'sha256:parent', instruction: 'RUN make', inputs: ['A=1'] }));

    await index.record(key, 'sha256:image', 'RUN make');
    assert.equal(await index.lookup(key, () => true), 'sha256:image');
    assert.equal(await index.lookup(key, () => false), null);

    const stored = JSON.parse(await fsp.readFile(path.join(directory, 'build-cache-index.json'), 'utf8')) as { entries: Record<string, { image: string }> };
    assert.equal(stored.entries[key].image, 'sha256:image');

    const removed = await index.prune(false, () => false);
    assert.deepEqual(removed, [{ key, image: 'sha256:image' }]);
    assert.equal(await index.lookup(key, () => true), null);
  } finally {
    await fsp.rm(directory, { recursive: true, force: true });
  }
});
