// Layers unpacked from hand-made tars, checked through real overlayfs mounts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { InvalidArgumentError } from '../../src/common/errors';
import { LayerStore } from '../../src/image/layer-store';
import { nativeSys } from '../../src/sys/native';
import { buildTar, chunksOf, findWhiteoutNames, listNames, makeTemporaryDirectory, mountLayers, paxRecords, quietLogger, removeTemporaryDirectory, sha256 } from './helpers';

let root: string;
let storeRoot: string;
let store: LayerStore;
let scratchCount = 0;

before(async () => {
  root = await makeTemporaryDirectory('berth-layer-test-');
  storeRoot = path.join(root, 'store');
  fs.mkdirSync(path.join(storeRoot, 'tmp'), { recursive: true });
  store = new LayerStore(storeRoot, path.join(storeRoot, 'tmp'), quietLogger());
  await store.init();
});

after(async () => {
  await removeTemporaryDirectory(root);
});

function scratch(): string {
  const directory = path.join(root, `mount-${scratchCount++}`);
  fs.mkdirSync(directory);
  return directory;
}

async function createLayer(data: Buffer, parent: string | null, expectedDiffId: string | null = null) {
  const result = await store.create(chunksOf(data), parent, expectedDiffId);
  store.release(result.layer.chainId);
  return result;
}

function temporaryEntries(): string[] {
  return fs.readdirSync(path.join(storeRoot, 'tmp'));
}

test('layers whiteouts and opaque directories', async () => {
  const first = await createLayer(
    await buildTar([
      { name: 'a/', type: 'directory' },
      { name: 'a/f1', content: 'one' },
      { name: 'a/f2', content: 'two' },
      { name: 'd/', type: 'directory' },
      { name: 'd/old', content: 'old' },
      { name: 'o/', type: 'directory' },
      { name: 'o/old', content: 'old' },
      { name: 'keep', content: 'keep' },
    ]),
    null,
  );
  const second = await createLayer(
    await buildTar([
      { name: 'a/', type: 'directory' },
      { name: 'a/.wh.f1' },
      { name: '.wh.d' },
      { name: 'o/', type: 'directory' },
      { name: 'o/.wh..wh..opq' },
      { name: 'o/new', content: 'new' },
    ]),
    first.layer.chainId,
  );
  const third = await createLayer(
    await buildTar([
      { name: 'd/', type: 'directory' },
      { name: 'd/new', content: 'again' },
    ]),
    second.layer.chainId,
  );

  // Positive control: the bottom layer alone shows every file that the upper layers hide.
  const bottom = mountLayers(store.lowerLayers([first.layer.chainId]), scratch());
  try {
    assert.deepEqual(listNames(path.join(bottom.merged, 'a')), ['f1', 'f2']);
    assert.deepEqual(listNames(path.join(bottom.merged, 'd')), ['old']);
    assert.deepEqual(listNames(path.join(bottom.merged, 'o')), ['old']);
  } finally {
    bottom.unmount();
  }

  const chain = [first.layer.chainId, second.layer.chainId, third.layer.chainId];
  const all = mountLayers(store.lowerLayers(chain), scratch());
  try {
    assert.deepEqual(listNames(all.merged), ['a', 'd', 'keep', 'o']);
    assert.deepEqual(listNames(path.join(all.merged, 'a')), ['f2'], 'a whiteout keeps the lower file deleted');
    assert.deepEqual(listNames(path.join(all.merged, 'd')), ['new'], 'a directory deleted and created again shows only the new children');
    assert.deepEqual(listNames(path.join(all.merged, 'o')), ['new'], 'an opaque directory shows only the new children');
    assert.deepEqual(findWhiteoutNames(all.merged), []);
  } finally {
    all.unmount();
  }

  // The layer directories hold overlayfs whiteouts, never .wh. names.
  for (const chainId of chain) assert.deepEqual(findWhiteoutNames(store.diffPath(chainId)), [], chainId);
  const whiteout = fs.lstatSync(path.join(store.diffPath(second.layer.chainId), 'd'));
  assert.ok(whiteout.isCharacterDevice());
  assert.equal(whiteout.rdev, 0);
  assert.equal(nativeSys().lgetxattr(path.join(store.diffPath(second.layer.chainId), 'o'), 'trusted.overlay.opaque')?.toString(), 'y');
  assert.equal(nativeSys().lgetxattr(path.join(store.diffPath(first.layer.chainId), 'o'), 'trusted.overlay.opaque'), null);
});

test('layers hostile entries stay inside', async () => {
  const outside = path.join(root, 'outside');
  fs.mkdirSync(outside);
  const hostFile = path.join(root, 'host-file');
  fs.writeFileSync(hostFile, 'host');
  const climb = '../'.repeat(12);

  const { layer, unpack } = await createLayer(
    await buildTar([
      { name: 'normal.txt', content: 'normal' },
      { name: '../escape-dotdot', content: 'x' },
      { name: `${climb}${outside.slice(1)}/dotdot-deep`, content: 'x' },
      { name: 'dir/../../escape-middle', content: 'x' },
      { name: `${outside}/absolute`, content: 'absolute' },
      { name: 'evil', type: 'symlink', linkname: outside },
      { name: 'evil/through-symlink', content: 'through' },
      { name: 'evil-relative', type: 'symlink', linkname: `${climb}${outside.slice(1)}` },
      { name: 'evil-relative/through-relative', content: 'relative' },
      { name: 'hardlink-outside', type: 'link', linkname: `${climb}${hostFile.slice(1)}` },
      { name: 'hardlink-absolute', type: 'link', linkname: hostFile },
      { name: 'hardlink-through-symlink', type: 'link', linkname: 'evil/through-symlink' },
      { name: 'normal-link', type: 'link', linkname: 'normal.txt' },
    ]),
    null,
  );
  const diff = store.diffPath(layer.chainId);

  // Nothing reached the host: the sentinel directory is empty, no file appeared beside the layer.
  assert.deepEqual(fs.readdirSync(outside), []);
  assert.equal(fs.existsSync(path.join(root, 'escape-dotdot')), false);
  assert.equal(fs.existsSync(path.join(path.dirname(diff), 'escape-dotdot')), false);
  assert.equal(fs.existsSync(path.join(path.dirname(diff), 'escape-middle')), false);
  assert.equal(fs.statSync(hostFile).nlink, 1);

  // Positive controls: normal entries, absolute names and writes through symlinks land inside the layer.
  assert.equal(fs.readFileSync(path.join(diff, 'normal.txt'), 'utf8'), 'normal');
  assert.equal(fs.statSync(path.join(diff, 'normal-link')).ino, fs.statSync(path.join(diff, 'normal.txt')).ino);
  assert.equal(fs.readFileSync(path.join(diff, outside.slice(1), 'absolute'), 'utf8'), 'absolute');
  assert.equal(fs.readFileSync(path.join(diff, outside.slice(1), 'through-symlink'), 'utf8'), 'through');
  assert.equal(fs.readFileSync(path.join(diff, outside.slice(1), 'through-relative'), 'utf8'), 'relative');
  assert.equal(fs.readlinkSync(path.join(diff, 'evil')), outside, 'the symlink itself is kept as written');

  const skipped = unpack.skipped.map((entry) => entry.name).sort();
  assert.deepEqual(skipped, [
    `${climb}${outside.slice(1)}/dotdot-deep`,
    '../escape-dotdot',
    'dir/../../escape-middle',
    'hardlink-absolute',
    'hardlink-outside',
    'hardlink-through-symlink',
  ].sort());
  assert.equal(fs.existsSync(path.join(diff, 'hardlink-outside')), false);
  assert.equal(fs.existsSync(path.join(diff, 'hardlink-through-symlink')), false);
});

test('layers keep metadata and special files', async () => {
  // cap_setfcap in the permitted set: the value has a 0x80 byte, which is not valid UTF-8.
  const capability = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x80, ...new Array(12).fill(0)]);
  const userValue = Buffer.from([0x80, 0xff, 0x00, 0x41]);
  const mtime = new Date('2021-05-06T07:08:09Z');
  const { layer } = await createLayer(
    await buildTar([
      { name: 'PaxHeaders/cap-file', type: 'pax-header', content: paxRecords({ 'SCHILY.xattr.security.capability': capability, 'SCHILY.xattr.user.berth': userValue }) },
      { name: 'cap-file', content: 'binary', mode: 0o755 },
      { name: 'setuid', content: 'x', mode: 0o4755, uid: 1001, gid: 1002, mtime },
      { name: 'shared/', type: 'directory', mode: 0o1777, uid: 1000, gid: 1000, mtime },
      { name: 'shared/file', content: 'y', mtime },
      { name: 'link', type: 'symlink', linkname: 'setuid', uid: 5, gid: 6, mtime },
      { name: 'fifo', type: 'fifo', mode: 0o640 },
      { name: 'null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'loop', type: 'block-device', devmajor: 7, devminor: 0, mode: 0o660 },
      { name: 'hard', type: 'link', linkname: 'setuid' },
    ]),
    null,
  );
  const diff = store.diffPath(layer.chainId);

  assert.deepEqual(nativeSys().lgetxattr(path.join(diff, 'cap-file'), 'security.capability'), capability);
  assert.deepEqual(nativeSys().lgetxattr(path.join(diff, 'cap-file'), 'user.berth'), userValue);
  assert.equal(nativeSys().lgetxattr(path.join(diff, 'setuid'), 'user.berth'), null, 'attributes belong to their own entry only');

  const setuid = fs.lstatSync(path.join(diff, 'setuid'));
  assert.equal(setuid.mode & 0o7777, 0o4755);
  assert.equal(setuid.uid, 1001);
  assert.equal(setuid.gid, 1002);
  assert.equal(setuid.mtimeMs, mtime.getTime());
  assert.equal(setuid.nlink, 2);

  const shared = fs.lstatSync(path.join(diff, 'shared'));
  assert.equal(shared.mode & 0o7777, 0o1777);
  assert.equal(shared.uid, 1000);
  assert.equal(shared.mtimeMs, mtime.getTime(), 'directory times are set after their children are written');

  const link = fs.lstatSync(path.join(diff, 'link'));
  assert.ok(link.isSymbolicLink());
  assert.equal(link.uid, 5);
  assert.equal(link.mtimeMs, mtime.getTime());

  assert.ok(fs.lstatSync(path.join(diff, 'fifo')).isFIFO());
  assert.equal(fs.lstatSync(path.join(diff, 'fifo')).mode & 0o7777, 0o640);
  const device = fs.lstatSync(path.join(diff, 'null'));
  assert.ok(device.isCharacterDevice());
  assert.equal(device.rdev, (1 << 8) | 3);
  assert.ok(fs.lstatSync(path.join(diff, 'loop')).isBlockDevice());
  assert.equal(fs.lstatSync(path.join(diff, 'loop')).rdev, 7 << 8);
});

test('layers compressed with gzip and zstd', async () => {
  const plain = await buildTar([{ name: 'compressed.txt', content: 'same content'.repeat(1000) }]);
  const gzip = zlib.gzipSync(plain);
  const zstd = execFileSync('zstd', ['-q', '-c'], { input: plain });

  const results = [];
  for (const data of [plain, gzip, zstd]) results.push(await createLayer(data, null, sha256(plain)));
  assert.deepEqual(results.map((result) => result.unpack.compression), ['none', 'gzip', 'zstd']);
  for (const result of results) assert.equal(result.unpack.diffId, sha256(plain));
  assert.equal(new Set(results.map((result) => result.layer.link)).size, 1, 'one layer, stored once');
  assert.equal(fs.readFileSync(path.join(store.diffPath(results[0].layer.chainId), 'compressed.txt'), 'utf8').length, 12000);
});

test('layers diff ID mismatch rejected', async () => {
  const data = await buildTar([{ name: 'mismatch.txt', content: 'content' }]);
  const wrong = sha256('something else');
  await assert.rejects(createLayer(data, null, wrong), (error: unknown) => error instanceof InvalidArgumentError && /diff ID mismatch/.test((error as Error).message));
  assert.equal(store.has(sha256(data)), false);
  assert.deepEqual(temporaryEntries(), []);

  // Positive control: the right diff ID is accepted.
  const { layer } = await createLayer(data, null, sha256(data));
  assert.equal(layer.chainId, sha256(data));
});

test('layers truncated tar rejected', async () => {
  const data = await buildTar([{ name: 'big.bin', content: Buffer.alloc(100_000, 1) }]);
  await assert.rejects(createLayer(data.subarray(0, 50_000), null));
  assert.deepEqual(temporaryEntries(), []);
  assert.equal(store.has(sha256(data)), false);
});

test('layers removed when unused', async () => {
  const data = await buildTar([{ name: 'unused.txt', content: 'unused' }]);
  const { layer } = await createLayer(data, null);
  const keep = new Set(store.list().map((info) => info.chainId).filter((chainId) => chainId !== layer.chainId));
  const linkPath = path.join(storeRoot, 'l', layer.link);
  assert.ok(fs.existsSync(linkPath));

  // A pinned layer survives; the same layer unpinned goes.
  assert.equal(store.acquire(layer.chainId), true);
  assert.deepEqual(await store.removeUnused(keep), []);
  store.release(layer.chainId);
  assert.deepEqual(await store.removeUnused(keep), [layer.chainId]);
  assert.equal(store.has(layer.chainId), false);
  assert.equal(fs.existsSync(linkPath), false);
  assert.equal(fs.existsSync(path.join(storeRoot, 'layers', layer.chainId.slice(7))), false);
  assert.ok(store.list().length > 0, 'other layers stay');
});
