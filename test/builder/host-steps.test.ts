// The engine's BuildHost against an in-process engine in a temporary root,
// with real runc containers and overlay mounts: RUN, COPY-like and config
// steps, read-only image mounts, the scratch image, and what a failed,
// canceled or interrupted step leaves behind (nothing).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { defaultConfig, type DaemonConfig } from '../../src/common/config';
import { BerthEngine } from '../../src/engine/berth-engine';
import { BUILD_ID_LABEL } from '../../src/engine/build-host';
import type { RunStepRequest } from '../../src/builder/host';
import type { ImageRuntimeConfig } from '../../src/image/types';
import { defaultSpec } from '../api/in-memory-engine-double';
import { BUSYBOX_ARCHIVE, removeInstanceObjects } from '../helpers/daemon';

let root: string;
let config: DaemonConfig;
let engine: BerthEngine;
let busyboxId: string;
let busyboxConfig: ImageRuntimeConfig;
let keepAlive: NodeJS.Timeout;

function logger() {
  return pino({ level: process.env.BERTH_TEST_LOG_LEVEL ?? 'silent' });
}

async function startEngine(): Promise<BerthEngine> {
  const started = new BerthEngine(config, logger());
  await started.init();
  return started;
}

before(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-host-'));
  config = defaultConfig(`bh-${randomBytes(4).toString('hex')}`, root);
  config.dns = ['127.0.0.1'];
  config.defaultAddressPools = [{ base: `10.${200 + randomInt(50)}.0.0/16`, size: 24 }];
  // Keeps the event loop alive while a step waits on unreferenced conmon pipes, as berthd's server socket does.
  keepAlive = setInterval(() => undefined, 60_000);
  engine = await startEngine();
  await engine.loadImages(fs.createReadStream(BUSYBOX_ARCHIVE), () => undefined);
  const busybox = await engine.getImage('busybox');
  busyboxId = busybox.id;
  busyboxConfig = busybox.config.config ?? {};
});

after(async () => {
  engine?.shutdown();
  clearInterval(keepAlive);
  if (config) await removeInstanceObjects(config.instance, config.dataRoot, config.runRoot);
  if (root) await fsp.rm(root, { recursive: true, force: true });
});

function runRequest(command: string, overrides: Partial<RunStepRequest> = {}): RunStepRequest {
  return {
    parent: busyboxId,
    runtimeConfig: { ...busyboxConfig },
    command: ['/bin/sh', '-c', command],
    extraEnv: [],
    mounts: [],
    network: 'none',
    createdBy: `RUN /bin/sh -c ${command}`,
    buildId: 'test-build',
    ...overrides,
  };
}

function collectOutput() {
  const output = { stdout: '', stderr: '' };
  const onOutput = (stream: 'stdout' | 'stderr', chunk: Buffer) => {
    output[stream] += chunk.toString();
  };
  return { output, onOutput };
}

function mountsUnder(directory: string): string[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((mountPoint) => mountPoint.startsWith(`${directory}/`));
}

async function layerCount(): Promise<number> {
  return (await fsp.readdir(path.join(config.dataRoot, 'image', 'layers'))).length;
}

async function readInImage(imageId: string, file: string): Promise<string | null> {
  const mounted = await engine.buildHost.mountImage(imageId);
  try {
    return await fsp.readFile(path.join(mounted.root, file), 'utf8');
  } catch {
    return null;
  } finally {
    await mounted.release();
  }
}

test('runStep commits a successful step', async () => {
  const cache = await fsp.mkdtemp(path.join(root, 'cache-'));
  const runtimeConfig: ImageRuntimeConfig = { ...busyboxConfig, Env: ['PATH=/bin', 'FROM_STAGE=1'], WorkingDir: '/tmp', Cmd: ['echo', 'final'] };
  const request = runRequest('id -u; pwd; echo $FROM_STAGE $BUILD_ARG; echo oops >&2; echo made > /tmp/made.txt; echo cached > /cache/hit', {
    runtimeConfig,
    extraEnv: ['BUILD_ARG=2'],
    mounts: [{ source: cache, target: '/cache', readOnly: false }],
  });
  const { output, onOutput } = collectOutput();
  let createdContainer = '';
  request.onContainerCreated = (containerId) => {
    createdContainer = containerId;
  };

  const result = await engine.buildHost.runStep(request, onOutput, new AbortController().signal);

  assert.equal(result.exitCode, 0, output.stderr);
  assert.equal(output.stdout, '0\n/tmp\n1 2\n');
  assert.equal(output.stderr, 'oops\n');
  assert.match(createdContainer, /^[0-9a-f]{64}$/);
  assert.ok(result.image);
  const image = await engine.getImage(result.image.id);
  assert.equal(image.parent, busyboxId);
  assert.deepEqual(image.config.config, request.runtimeConfig, 'the image gets exactly the given runtime config');
  assert.ok(!(image.config.config?.Env ?? []).some((entry) => entry.startsWith('BUILD_ARG=')), 'build args stay out of the image');
  assert.equal(image.config.history?.at(-1)?.created_by, request.createdBy);
  assert.equal(image.config.rootfs.diff_ids.length, 2);
  assert.equal(await readInImage(image.id, 'tmp/made.txt'), 'made\n');
  assert.equal(await readInImage(image.id, 'cache'), null, 'the mount target stays out of the layer');
  assert.equal(await fsp.readFile(path.join(cache, 'hit'), 'utf8'), 'cached\n', 'the step wrote through its mount');
  assert.deepEqual(await engine.listContainers({ all: true }), [], 'the step container is removed');
});

test('runStep runs as the configured user', async () => {
  const request = runRequest('id -u', { runtimeConfig: { ...busyboxConfig, User: '1234' } });
  const { output, onOutput } = collectOutput();

  const result = await engine.buildHost.runStep(request, onOutput, new AbortController().signal);

  assert.equal(result.exitCode, 0, output.stderr);
  assert.equal(output.stdout, '1234\n');
});

test('failed runStep leaves nothing behind', async () => {
  const imagesBefore = (await engine.listImages()).length;
  const layersBefore = await layerCount();
  const { output, onOutput } = collectOutput();

  const result = await engine.buildHost.runStep(runRequest('echo partial > /partial.txt; exit 2'), onOutput, new AbortController().signal);

  assert.equal(result.exitCode, 2, output.stderr);
  assert.equal(result.image, null);
  assert.deepEqual(await engine.listContainers({ all: true }), []);
  assert.equal((await engine.listImages()).length, imagesBefore, 'no image is stored');
  assert.equal(await layerCount(), layersBefore, 'no layer is stored');
  assert.deepEqual(mountsUnder(root), [], 'no mount remains');
});

test('runStep of a missing command exits 127', async () => {
  const { output, onOutput } = collectOutput();

  const result = await engine.buildHost.runStep(runRequest('', { command: ['/no/such/command'] }), onOutput, new AbortController().signal);

  assert.equal(result.exitCode, 127, output.stderr);
  assert.match(output.stderr, /no such file or directory|not found/);
  assert.deepEqual(await engine.listContainers({ all: true }), []);
});

test('aborted runStep kills and removes', async () => {
  const controller = new AbortController();
  const request = runRequest('sleep 30');
  request.onContainerCreated = () => setTimeout(() => controller.abort(), 300);
  const started = Date.now();

  await assert.rejects(engine.buildHost.runStep(request, () => undefined, controller.signal), /canceled/);

  assert.ok(Date.now() - started < 15_000, 'the kill ends the step long before its sleep');
  assert.deepEqual(await engine.listContainers({ all: true }), []);
  assert.deepEqual(mountsUnder(root), []);
});

test('writeStep commits written files', async () => {
  const request = { parent: busyboxId, runtimeConfig: { ...busyboxConfig, Cmd: ['cat', '/copied.txt'] }, createdBy: 'COPY copied.txt /', buildId: 'test-build' };

  const image = await engine.buildHost.writeStep(request, async (stepRoot) => {
    await fsp.writeFile(path.join(stepRoot, 'copied.txt'), 'copied\n');
  });

  const record = await engine.getImage(image.id);
  assert.equal(record.parent, busyboxId);
  assert.equal(record.config.rootfs.diff_ids.length, 2);
  assert.deepEqual(record.config.config?.Cmd, ['cat', '/copied.txt']);
  assert.equal(await readInImage(image.id, 'copied.txt'), 'copied\n');
  assert.deepEqual(mountsUnder(root), []);
  assert.deepEqual(await fsp.readdir(engine.buildHost.temporaryDirectory), [], 'the step directory is removed');
});

test('writeStep without changes adds no layer', async () => {
  const request = { parent: busyboxId, runtimeConfig: { ...busyboxConfig, WorkingDir: '/tmp' }, createdBy: 'WORKDIR /tmp', buildId: 'test-build' };

  const image = await engine.buildHost.writeStep(request, async (stepRoot) => {
    assert.ok(fs.existsSync(path.join(stepRoot, 'bin', 'sh')), 'the root shows the parent image');
  });

  const record = await engine.getImage(image.id);
  const parent = await engine.getImage(busyboxId);
  assert.deepEqual(record.config.rootfs.diff_ids, parent.config.rootfs.diff_ids);
  assert.equal(record.config.history?.at(-1)?.empty_layer, true);
  assert.equal(record.config.config?.WorkingDir, '/tmp');
});

test('configStep shares the parent layers', async () => {
  const image = await engine.buildHost.configStep({ parent: busyboxId, runtimeConfig: { ...busyboxConfig, Env: ['A=1'] }, createdBy: 'ENV A=1' });

  const record = await engine.getImage(image.id);
  const parent = await engine.getImage(busyboxId);
  assert.equal(record.parent, busyboxId);
  assert.deepEqual(record.config.rootfs.diff_ids, parent.config.rootfs.diff_ids);
  assert.deepEqual(record.config.config?.Env, ['A=1']);
  assert.deepEqual(record.config.history?.at(-1), { created: record.config.created, created_by: 'ENV A=1', empty_layer: true });
  assert.equal(record.size, parent.size);
});

test('scratch image starts empty builds', async () => {
  const first = await engine.buildHost.scratchImage();
  const second = await engine.buildHost.scratchImage();
  assert.equal(first.id, second.id, 'the scratch image has a stable ID');
  assert.deepEqual(first.config.rootfs.diff_ids, []);
  assert.ok(!(await engine.listImages()).some((image) => image.id === first.id), 'scratch is never listed');

  const emptyMount = await engine.buildHost.mountImage(first.id);
  assert.deepEqual(await fsp.readdir(emptyMount.root), []);
  await emptyMount.release();

  const image = await engine.buildHost.writeStep({ parent: first.id, runtimeConfig: {}, createdBy: 'COPY hello /', buildId: 'test-build' }, async (stepRoot) => {
    await fsp.writeFile(path.join(stepRoot, 'hello'), 'from scratch\n');
  });
  const record = await engine.getImage(image.id);
  assert.equal(record.parent, undefined, 'a step on scratch records no parent');
  assert.equal(record.config.rootfs.diff_ids.length, 1);
  assert.equal(await readInImage(image.id, 'hello'), 'from scratch\n', 'a one-layer image mounts read-only');
});

test('mountImage is read-only and released', async () => {
  const mounted = await engine.buildHost.mountImage(busyboxId);

  assert.ok(fs.existsSync(path.join(mounted.root, 'bin', 'busybox')));
  await assert.rejects(fsp.writeFile(path.join(mounted.root, 'written'), 'x'), /EROFS/);
  assert.equal(mountsUnder(root).length, 1);
  await mounted.release();

  assert.deepEqual(mountsUnder(root), []);
  assert.equal(fs.existsSync(mounted.root), false);
});

test('restart removes interrupted build leftovers', async () => {
  const spec = { ...defaultSpec(), image: busyboxId, cmd: ['sleep', '30'], labels: { [BUILD_ID_LABEL]: 'killed-build' } };
  const leftover = await engine.createContainer(spec);
  await engine.startContainer(leftover.id);
  const other = await engine.createContainer({ ...defaultSpec(), image: busyboxId, cmd: ['true'] });
  const mounted = await engine.buildHost.mountImage(busyboxId);
  assert.equal(mountsUnder(engine.buildHost.temporaryDirectory).length, 1);

  // A new engine on the same root acts as the daemon started after a kill, so the old one's state is left as it was.
  engine.shutdown();
  engine = await startEngine();

  const ids = (await engine.listContainers({ all: true })).map((record) => record.id);
  assert.ok(!ids.includes(leftover.id), 'the build container is removed');
  assert.ok(ids.includes(other.id), 'other containers stay');
  assert.deepEqual(mountsUnder(engine.buildHost.temporaryDirectory), [], 'the build mount is removed');
  assert.equal(fs.existsSync(mounted.root), false, 'the build directory is removed');
  await engine.removeContainer(other.id, { force: true, volumes: true });
});
