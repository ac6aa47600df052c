// A simulated host reboot. berthd stops, and this instance's containers and
// conmons are killed by the PIDs its store records. Its mounts are removed and
// its run directory emptied. Then berthd starts containers by restart policy.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { berth } from '../helpers/cli';
import { startDaemon, type TestDaemon } from '../helpers/daemon';

let daemon: TestDaemon;

before(async () => {
  daemon = await startDaemon();
});

after(async () => {
  await daemon?.stop();
});

async function run(args: string[]): Promise<string> {
  const result = await berth(daemon, args);
  assert.equal(result.exitCode, 0, `berth ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

function killIfAlive(pid: number): void {
  if (!(pid > 0)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

async function waitForExit(pid: number): Promise<void> {
  for (let attempt = 0; attempt < 100 && fs.existsSync(`/proc/${pid}`); attempt++) await new Promise((resolve) => setTimeout(resolve, 50));
}

// Kills what a reboot ends, using only this instance's records, PID files and mounts.
async function simulateReboot(ids: string[]): Promise<void> {
  await daemon.stopDaemon();
  const dataRoot = path.join(daemon.root, 'data');
  const runRoot = path.join(daemon.root, 'run');

  for (const id of ids) {
    const record = JSON.parse(fs.readFileSync(path.join(dataRoot, 'containers', id, 'container.json'), 'utf8')) as { state: { pid: number } };
    const conmonPidFile = path.join(runRoot, 'containers', id, 'conmon.pid');
    const conmonPid = fs.existsSync(conmonPidFile) ? Number(fs.readFileSync(conmonPidFile, 'utf8').trim()) : 0;
    killIfAlive(record.state.pid);
    killIfAlive(conmonPid);
    await waitForExit(record.state.pid);
    await waitForExit(conmonPid);
  }

  const mounts = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((mountPoint): mountPoint is string => Boolean(mountPoint) && mountPoint.startsWith(daemon.root + '/'))
    .sort((a, b) => b.length - a.length);
  for (const mountPoint of mounts) execFileSync('umount', ['-l', mountPoint]);

  for (const entry of fs.readdirSync(runRoot)) fs.rmSync(path.join(runRoot, entry), { recursive: true, force: true });
  await daemon.restartDaemon();
}

test('reboot restarts by restart policy', async () => {
  const always = await run(['run', '-d', '--name', 'always', '--restart', 'always', 'busybox', 'sh', '-c', 'echo started; sleep 600']);
  const unlessStopped = await run(['run', '-d', '--name', 'unless', '--restart', 'unless-stopped', 'busybox', 'sleep', '600']);
  const userStopped = await run(['run', '-d', '--name', 'stopped', '--restart', 'unless-stopped', 'busybox', 'sleep', '600']);
  const plain = await run(['run', '-d', '--name', 'plain', 'busybox', 'sleep', '600']);
  await run(['stop', '-t', '0', 'stopped']);
  const before = Date.now();

  await simulateReboot([always, unlessStopped, userStopped, plain]);

  // Restarts go through the restart policy's back-off, so the containers pass through "restarting".
  let states = '';
  for (let attempt = 0; attempt < 100; attempt++) {
    states = await run(['ps', '-a', '--format', '{{.Names}} {{.State}}']);
    if (!states.includes('restarting')) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.deepEqual(states.split('\n').sort(), ['always running', 'plain exited', 'stopped exited', 'unless running']);

  const plainState = JSON.parse(await run(['inspect', '-f', '{{json .State}}', 'plain'])) as { ExitCode: number; FinishedAt: string };
  assert.equal(plainState.ExitCode, 255);
  assert.ok(Date.parse(plainState.FinishedAt) >= before - 1000, `FinishedAt ${plainState.FinishedAt} is before the reboot`);
  const stoppedState = JSON.parse(await run(['inspect', '-f', '{{json .State}}', 'stopped'])) as { ExitCode: number; Status: string };
  assert.equal(stoppedState.Status, 'exited');

  // The restarted containers work: exec reaches them and the log contains both runs.
  assert.equal(await run(['exec', 'always', 'echo', 'alive']), 'alive');
  assert.equal(await run(['exec', 'unless', 'true']), '');
  assert.equal(await run(['logs', 'always']), 'started\nstarted');
});
