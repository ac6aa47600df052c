// container prune, system prune and system df through the real docker CLI
// and berth, with sizes checked against the store directories measured here.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertDockerTalksToBerth, berth, docker } from '../helpers/cli';
import { request, startDaemon, type TestDaemon } from '../helpers/daemon';

let daemon: TestDaemon;

before(async () => {
  daemon = await startDaemon();
  await assertDockerTalksToBerth(daemon);
});

after(async () => {
  await daemon?.stop();
});

// Bytes of the non-directory files under a directory, each inode counted once: the measure
// Docker uses for writable layers and volumes, computed here without Berth's code.
function measure(directory: string, seen = new Set<number>()): number {
  let total = 0;
  for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
    const full = path.join(directory, entry.name);
    const stat = fs.lstatSync(full);
    if (entry.isDirectory()) {
      total += measure(full, seen);
      continue;
    }
    if (seen.has(stat.ino)) continue;
    seen.add(stat.ino);
    // Layer sizes count regular files only, but writable layers count symlinks and devices too.
    total += stat.size;
  }
  return total;
}

function regularFileBytes(directory: string, seen = new Set<number>()): number {
  let total = 0;
  for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) total += regularFileBytes(full, seen);
    else if (entry.isFile()) {
      const stat = fs.lstatSync(full);
      if (!seen.has(stat.ino)) total += stat.size;
      seen.add(stat.ino);
    }
  }
  return total;
}

async function systemDf(): Promise<{
  LayersSize: number;
  Images: { Id: string; Size: number; SharedSize: number; Containers: number }[];
  Containers: { Id: string; SizeRw: number; SizeRootFs: number }[];
  Volumes: { Name: string; Mountpoint: string; UsageData: { Size: number; RefCount: number } }[];
  BuildCache: unknown[];
}> {
  const response = await request(daemon.socketPath, 'GET', '/system/df');
  assert.equal(response.status, 200, response.body.toString());
  return JSON.parse(response.body.toString());
}

test('system df agrees with the store', async () => {
  const writer = await docker(daemon, ['run', '--name', 'writer', '-v', 'data:/data', 'busybox', 'sh', '-c', 'head -c 300000 /dev/zero > /big; head -c 120000 /dev/zero > /data/file']);
  assert.equal(writer.exitCode, 0, writer.stderr);
  const sleeper = await docker(daemon, ['run', '-d', '--name', 'sleeper', 'busybox', 'sleep', '600']);
  assert.equal(sleeper.exitCode, 0, sleeper.stderr);
  // A second image with the same layer, so that layer is shared.
  assert.equal((await docker(daemon, ['commit', 'sleeper', 'copy:1'])).exitCode, 0);

  const usage = await systemDf();
  const layerRoot = path.join(daemon.root, 'data', 'image', 'layers');
  const layerBytes = fs.readdirSync(layerRoot).reduce((total, name) => total + regularFileBytes(path.join(layerRoot, name, 'diff')), 0);
  assert.equal(usage.LayersSize, layerBytes);
  assert.deepEqual(usage.BuildCache, []);

  const busybox = usage.Images.find((image) => image.Size === layerBytes);
  assert.ok(busybox, `no image of ${layerBytes} bytes in ${JSON.stringify(usage.Images)}`);
  assert.equal(busybox.SharedSize, layerBytes);
  assert.equal(busybox.Containers, 2);
  const copy = usage.Images.find((image) => image.Id !== busybox.Id);
  assert.equal(copy?.Containers, 0);
  assert.equal(copy?.SharedSize, layerBytes);

  const writerId = (await docker(daemon, ['inspect', '-f', '{{.Id}}', 'writer'])).stdout.trim();
  const upper = path.join(daemon.root, 'data', 'containers', writerId, 'upper');
  const writerUsage = usage.Containers.find((container) => container.Id === writerId);
  assert.ok(fs.existsSync(upper), `no upper directory at ${upper}`);
  assert.equal(writerUsage?.SizeRw, measure(upper));
  assert.ok((writerUsage?.SizeRw ?? 0) >= 300000);
  assert.equal(writerUsage?.SizeRootFs, (writerUsage?.SizeRw ?? 0) + busybox.Size);

  const volume = usage.Volumes.find((item) => item.Name === 'data');
  assert.equal(volume?.UsageData.Size, measure(volume?.Mountpoint ?? ''));
  assert.equal(volume?.UsageData.Size, 120000);
  assert.equal(volume?.UsageData.RefCount, 1);

  const table = await docker(daemon, ['system', 'df']);
  assert.equal(table.exitCode, 0, table.stderr);
  const lines = table.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE$/);
  // Docker counts an image in use as reclaimable when all its layers are shared with another image.
  assert.match(lines[1], /^Images\s+2\s+1\s+(\S+B)\s+\1 \(100%\)$/);
  assert.match(lines[2], /^Containers\s+2\s+1\s+\S+kB\s+\S+kB \(\d+%\)$/);
  assert.match(lines[3], /^Local Volumes\s+1\s+1\s+120kB\s+0B \(0%\)$/);
  assert.match(lines[4], /^Build Cache\s+0\s+0\s+0B\s+0B$/);

  const own = await berth(daemon, ['system', 'df']);
  assert.equal(own.stdout, table.stdout);

  const verbose = await berth(daemon, ['system', 'df', '-v']);
  assert.match(verbose.stdout, /^Images space usage:\n\nREPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\s+SHARED SIZE\s+UNIQUE SIZE\s+CONTAINERS\n/);
  assert.match(verbose.stdout, /\nbusybox\s+latest\s+[0-9a-f]{12}\s+.+ago\s+\S+B\s+\S+B\s+0B\s+2\n/);
  assert.match(verbose.stdout, /\nLocal Volumes space usage:\n\nVOLUME NAME\s+LINKS\s+SIZE\ndata\s+1\s+120kB\n/);
});

test('container prune removes stopped ones', async () => {
  assert.equal((await docker(daemon, ['create', '--name', 'keep', '--label', 'keep=yes', 'busybox'])).exitCode, 0);
  assert.equal((await docker(daemon, ['create', '--name', 'old', 'busybox'])).exitCode, 0);
  const oldId = (await docker(daemon, ['inspect', '-f', '{{.Id}}', 'old'])).stdout.trim();
  const writerId = (await docker(daemon, ['inspect', '-f', '{{.Id}}', 'writer'])).stdout.trim();

  // Without -f and without a terminal, the CLI reads the confirmation from stdin, and "n" prunes nothing.
  const declined = await docker(daemon, ['container', 'prune'], 'n\n');
  assert.equal(declined.exitCode, 0);
  assert.match(declined.stdout, /WARNING! This will remove all stopped containers\.\nAre you sure you want to continue\? \[y\/N\] $/);
  assert.equal((await docker(daemon, ['inspect', 'old'])).exitCode, 0);

  const pruned = await docker(daemon, ['container', 'prune', '-f', '--filter', 'label!=keep']);
  assert.equal(pruned.exitCode, 0, pruned.stderr);
  const [heading, ...rest] = pruned.stdout.split('\n');
  assert.equal(heading, 'Deleted Containers:');
  assert.deepEqual(rest.slice(0, 2).sort(), [oldId, writerId].sort());
  assert.match(pruned.stdout, /\n\nTotal reclaimed space: \d+(\.\d+)?kB\n$/);

  const names = (await docker(daemon, ['ps', '-a', '--format', '{{.Names}}'])).stdout.split('\n').filter(Boolean).sort();
  assert.deepEqual(names, ['keep', 'sleeper']);

  const none = await berth(daemon, ['container', 'prune', '-f', '--filter', 'until=1h']);
  assert.equal(none.stdout, 'Total reclaimed space: 0B\n');
  assert.equal((await docker(daemon, ['inspect', 'keep'])).exitCode, 0);
});

test('system prune reports each kind', async () => {
  assert.equal((await docker(daemon, ['network', 'create', 'unused'])).exitCode, 0);
  assert.equal((await docker(daemon, ['run', '-v', '/anon', '--name', 'anon', 'busybox', 'true'])).exitCode, 0);

  const declined = await docker(daemon, ['system', 'prune', '--volumes'], '');
  assert.match(declined.stdout, /^WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all anonymous volumes not used by at least one container\n  - all dangling images\n/);

  const result = await docker(daemon, ['system', 'prune', '-f', '-a', '--volumes']);
  assert.equal(result.exitCode, 0, result.stderr);
  assert.match(result.stdout, /^Deleted Containers:\n[0-9a-f]{64}\n[0-9a-f]{64}\n\n/);
  assert.match(result.stdout, /\nDeleted Networks:\nunused\n\n/);
  assert.match(result.stdout, /\nDeleted Volumes:\n[0-9a-f]{64}\n\n/);
  assert.match(result.stdout, /\nDeleted Images:\nuntagged: copy:1\ndeleted: sha256:[0-9a-f]{64}\n/);
  assert.match(result.stdout, /\nTotal reclaimed space: \d+(\.\d+)?[kM]?B\n$/);

  // The running container, its image and the named volume it does not use stay: only anonymous volumes go.
  assert.equal((await docker(daemon, ['inspect', 'sleeper'])).exitCode, 0);
  assert.equal((await docker(daemon, ['image', 'inspect', 'busybox'])).exitCode, 0);
  assert.equal((await docker(daemon, ['volume', 'inspect', 'data'])).exitCode, 0);
  assert.notEqual((await docker(daemon, ['network', 'inspect', 'unused'])).exitCode, 0);
});
