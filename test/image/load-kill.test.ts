// A load killed with SIGKILL in the middle of unpacking leaves nothing that
// init() does not clean: no image, no temporary directory, no layer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImageService } from '../../src/image/service';
import { makeTemporaryDirectory, quietLogger, removeTemporaryDirectory } from './helpers';

const CHILD = path.join(__dirname, 'fixtures', 'load-child.js');
const BIG_LAYER_FILES = 40_000;

let root: string;
let archive: string;

before(async () => {
  root = await makeTemporaryDirectory('berth-kill-test-');
  archive = buildLargeArchive(path.join(root, 'archive'));
});

after(async () => {
  await removeTemporaryDirectory(root);
});

// Writes a docker-archive with a small first layer and a second layer of
// many small files (about 60 MB), with manifest.json last. GNU tar builds the
// tars, so the loader is tested against an independent writer.
function buildLargeArchive(directory: string): string {
  const small = path.join(directory, 'small');
  const big = path.join(directory, 'big');
  const staging = path.join(directory, 'staging');
  for (const created of [small, big, staging]) fs.mkdirSync(created, { recursive: true });
  fs.writeFileSync(path.join(small, 'first-layer'), 'first');
  const content = Buffer.alloc(1000, 'x');
  for (let index = 0; index < BIG_LAYER_FILES; index++) {
    const subdirectory = path.join(big, `d${index % 200}`);
    if (index < 200) fs.mkdirSync(subdirectory);
    fs.writeFileSync(path.join(subdirectory, `f${index}`), content);
  }
  execFileSync('tar', ['-cf', path.join(staging, 'small.tar'), '-C', small, '.']);
  execFileSync('tar', ['-cf', path.join(staging, 'big.tar'), '-C', big, '.']);

  const diffIds = ['small.tar', 'big.tar'].map((name) => `sha256:${createHash('sha256').update(fs.readFileSync(path.join(staging, name))).digest('hex')}`);
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: diffIds } });
  const configName = `${createHash('sha256').update(config).digest('hex')}.json`;
  fs.writeFileSync(path.join(staging, configName), config);
  fs.writeFileSync(path.join(staging, 'manifest.json'), JSON.stringify([{ Config: configName, RepoTags: ['kill/test:big'], Layers: ['small.tar', 'big.tar'] }]));

  const output = path.join(directory, 'large.tar');
  execFileSync('tar', ['-cf', output, '-C', staging, 'small.tar', 'big.tar', configName, 'manifest.json']);
  return output;
}

function entries(directory: string): string[] {
  return fs.existsSync(directory) ? fs.readdirSync(directory).sort() : [];
}

// True once the first layer is committed and the second is being unpacked.
function unpackInProgress(storeRoot: string): boolean {
  if (entries(path.join(storeRoot, 'layers')).length !== 1) return false;
  const work = entries(path.join(storeRoot, 'tmp')).find((name) => name.startsWith('layer-'));
  return work !== undefined && entries(path.join(storeRoot, 'tmp', work, 'diff')).length > 0;
}

test('load killed mid-way leaves nothing', async () => {
  const storeRoot = path.join(root, 'store');
  const child = spawn(process.execPath, [CHILD, storeRoot, archive], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));

  try {
    const deadline = Date.now() + 60_000;
    while (!unpackInProgress(storeRoot)) {
      assert.equal(child.exitCode, null, `the load finished before it could be killed; output: ${output}`);
      assert.ok(Date.now() < deadline, 'the load never reached the second layer');
      await sleep(2);
    }
    process.kill(child.pid!, 'SIGKILL');
    assert.equal(await exited, 'SIGKILL');
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  // The kill left a spool, a half layer and a committed layer that no image uses.
  assert.ok(entries(path.join(storeRoot, 'tmp')).some((name) => name.startsWith('load-')));
  assert.ok(entries(path.join(storeRoot, 'tmp')).some((name) => name.startsWith('layer-')));
  assert.equal(entries(path.join(storeRoot, 'layers')).length, 1);

  const service = new ImageService(storeRoot, quietLogger());
  await service.init();
  assert.deepEqual(service.list(), []);
  assert.deepEqual(entries(path.join(storeRoot, 'tmp')), []);
  assert.deepEqual(entries(path.join(storeRoot, 'layers')), []);
  assert.deepEqual(entries(path.join(storeRoot, 'l')), []);
  assert.deepEqual(entries(path.join(storeRoot, 'images')), []);
  assert.deepEqual(entries(path.join(storeRoot, 'blobs', 'sha256')), []);

  // Loading again succeeds and gives the whole image.
  const messages: string[] = [];
  await service.load(fs.createReadStream(archive), (message) => messages.push(message));
  assert.deepEqual(messages, ['Loaded image: kill/test:big']);
  const image = service.resolve('kill/test:big');
  const lower = service.lowerLayers(image.id);
  assert.equal(lower.absoluteLowerDirs.length, 2);
  const topLayer = lower.absoluteLowerDirs[0];
  assert.equal(entries(topLayer).length, 200);
  assert.equal(entries(path.join(topLayer, 'd0')).length, BIG_LAYER_FILES / 200);
});
