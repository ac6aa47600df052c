// cgroup file reading against fixture trees. The v2 paths are only tested
// here: this host is hybrid, where runc uses the v1 controllers.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cgroupDirectory, controllerVersion, detectCgroupLayout, monitorCgroupDirectories, parseKeyedCounter, readMemoryFigures, readOomKillCount, type CgroupLayout } from '../../src/container/runtime/cgroups';

describe('cgroup files', () => {
  let root: string;

  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'brt-cg-'));
    const v2 = path.join(root, 'v2', 'berth', 'c1');
    fs.mkdirSync(v2, { recursive: true });
    fs.writeFileSync(path.join(v2, 'memory.events'), 'low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n');
    fs.writeFileSync(path.join(v2, 'memory.max'), '16777216\n');
    fs.writeFileSync(path.join(v2, 'memory.current'), '4096\n');
    const quiet = path.join(root, 'v2', 'berth', 'c2');
    fs.mkdirSync(quiet, { recursive: true });
    fs.writeFileSync(path.join(quiet, 'memory.events'), 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n');
    fs.writeFileSync(path.join(quiet, 'memory.max'), 'max\n');

    const v1 = path.join(root, 'v1', 'memory', 'berth', 'c1');
    fs.mkdirSync(v1, { recursive: true });
    fs.writeFileSync(path.join(v1, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 3\n');
    fs.writeFileSync(path.join(v1, 'memory.limit_in_bytes'), '9223372036854771712\n');
    fs.writeFileSync(path.join(v1, 'memory.usage_in_bytes'), '8192\n');
  });

  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('v2 OOM count from memory.events', async () => {
    const layout: CgroupLayout = { mode: 'v2', root: path.join(root, 'v2') };
    assert.equal(await readOomKillCount(layout, '/berth/c1'), 1);
    assert.equal(await readOomKillCount(layout, '/berth/c2'), 0);
    assert.equal(await readOomKillCount(layout, '/berth/missing'), null);
    assert.equal(controllerVersion(layout), '2');
    assert.equal(cgroupDirectory(layout, '/berth/c1', 'memory'), path.join(root, 'v2', 'berth', 'c1'));
  });

  it('v2 memory figures', async () => {
    const layout: CgroupLayout = { mode: 'v2', root: path.join(root, 'v2') };
    assert.deepEqual(await readMemoryFigures(layout, '/berth/c1'), { limit: 16777216, usage: 4096 });
    assert.deepEqual(await readMemoryFigures(layout, '/berth/c2'), { limit: null, usage: null });
  });

  it('v2 monitor cgroup is one directory', () => {
    const layout: CgroupLayout = { mode: 'v2', root: path.join(root, 'v2') };
    assert.deepEqual(monitorCgroupDirectories(layout, '/berth/monitors'), [path.join(root, 'v2', 'berth', 'monitors')]);
  });

  it('v1 OOM count and memory', async () => {
    const layout: CgroupLayout = { mode: 'v1', root: path.join(root, 'v1') };
    assert.equal(await readOomKillCount(layout, '/berth/c1'), 3);
    assert.deepEqual(await readMemoryFigures(layout, '/berth/c1'), { limit: null, usage: 8192 });
    assert.equal(controllerVersion(layout), '1');
  });

  it('keyed counter parsing', () => {
    assert.equal(parseKeyedCounter('oom 4\noom_kill 2\n', 'oom_kill'), 2);
    assert.equal(parseKeyedCounter('oom 4\n', 'oom_kill'), null);
  });

  it('this host is hybrid with v1 controllers', () => {
    const layout = detectCgroupLayout();
    assert.equal(layout.mode, 'hybrid');
    assert.equal(controllerVersion(layout), '1');
    const monitors = monitorCgroupDirectories(layout, '/berth-test/monitors');
    assert.ok(monitors.includes('/sys/fs/cgroup/memory/berth-test/monitors'));
    assert.ok(monitors.includes('/sys/fs/cgroup/unified/berth-test/monitors'));
  });
});
