// The monitor (conmon) moves into the instance's monitor cgroups after runc
// create, off the start path, and runc delete runs in the background after an
// exit is collected; a second start of the same container waits for it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createFixture, destroyFixture, makeRecord, runToExit, startContainer, waitForExitFile, type RuntimeFixture } from './fixtures';

function cgroupLines(pid: number): string[] {
  return fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
}

// The cgroup path of pid in the hierarchy whose controller list is exactly controllers ('' for the v2 tree).
function cgroupOf(pid: number, controllers: string): string | undefined {
  return cgroupLines(pid)
    .map((line) => line.split(':'))
    .find((fields) => fields[1] === controllers)?.[2];
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return check();
}

describe('monitor cgroup', () => {
  let fixture: RuntimeFixture;

  before(async () => {
    fixture = await createFixture();
  });

  after(async () => {
    await destroyFixture(fixture);
  });

  it('conmon moves into monitor cgroups', async () => {
    const record = makeRecord(fixture, ['sleep', '30']);
    const containerPid = await startContainer(fixture, record);
    const conmonPid = Number(fs.readFileSync(path.join(fixture.runtime.pathsFor(record.id).bundleDir, 'conmon.pid'), 'utf8').trim());
    assert.ok(conmonPid > 0, 'conmon.pid names a process');

    const monitors = `${fixture.config.cgroupParent}/monitors`;
    const moved = await waitFor(() => cgroupOf(conmonPid, 'memory') === monitors, 2000);
    assert.ok(moved, `conmon ${conmonPid} is in ${monitors} (memory), cgroups: ${cgroupLines(conmonPid).join(' ')}`);
    assert.equal(cgroupOf(conmonPid, ''), monitors, 'conmon is in the monitor cgroup of the v2 tree');
    assert.notEqual(cgroupOf(process.pid, 'memory'), monitors, 'the test process itself is not in the monitor cgroup');
    assert.notEqual(cgroupOf(containerPid, 'memory'), monitors, 'the container process has its own cgroup');
    await fixture.runtime.kill(record.id, 'KILL');
    await waitForExitFile(fixture, record.id);
    assert.ok(await fixture.runtime.collectExit(record.id));
  });

  it('second start after collected exit', async () => {
    const record = makeRecord(fixture, ['true']);
    const first = await runToExit(fixture, record);
    assert.equal(first.exitCode, 0);
    // The runc delete of the first run may still be going on; start must wait for it rather than fail.
    const second = await runToExit(fixture, record);
    assert.equal(second.exitCode, 0);
  });
});
