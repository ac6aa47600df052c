// Autostart: with no daemon on the instance's socket, berth starts berthd
// (same BERTH_* settings, log in the run root) and then runs the command.
// The test uses its own instance name and root, and stops that berthd by
// the PID in its PID file.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BERTH, removeInstance } from '../helpers/daemon';
import { runCommand } from '../helpers/cli';

const instance = `ba-${randomBytes(4).toString('hex')}`;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-autostart-'));
const runRoot = path.join(root, 'run');
const socketPath = path.join(runRoot, `${instance}.sock`);
const pidFile = path.join(runRoot, 'berthd.pid');

const env: NodeJS.ProcessEnv = { ...process.env, BERTH_INSTANCE: instance, BERTH_ROOT: root, BERTH_CONFIG: path.join(root, 'berthd.json'), BERTH_LOG_LEVEL: 'debug' };
delete env.BERTH_HOST;
delete env.DOCKER_HOST;
delete env.BERTH_NO_AUTOSTART;
delete env.BERTH_SOCKET;

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopStartedDaemon(): Promise<void> {
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || !isRunning(pid)) return;
  process.kill(pid, 'SIGTERM');
  for (let attempt = 0; attempt < 100 && isRunning(pid); attempt++) await new Promise((resolve) => setTimeout(resolve, 100));
  if (isRunning(pid)) process.kill(pid, 'SIGKILL');
}

after(async () => {
  await stopStartedDaemon();
  await removeInstance(instance, root);
});

test('no autostart when switched off', async () => {
  const result = await runCommand(process.execPath, [BERTH, 'ps'], { ...env, BERTH_NO_AUTOSTART: '1' });
  assert.equal(result.exitCode, 1);
  assert.equal(result.stderr, `Cannot connect to the Berth daemon at unix://${socketPath}. Is berthd running?\n`);
  assert.equal(fs.existsSync(pidFile), false);
});

test('autostart starts berthd for the instance', async () => {
  const result = await runCommand(process.execPath, [BERTH, 'version', '--format', '{{.Server.Version}}'], env);
  assert.equal(result.exitCode, 0, `${result.stderr}\n${fs.existsSync(path.join(runRoot, 'berthd.log')) ? fs.readFileSync(path.join(runRoot, 'berthd.log'), 'utf8').slice(-2000) : ''}`);
  assert.equal(result.stderr, `berth: starting berthd (socket ${socketPath})\n`);
  assert.match(result.stdout, /^\d+\.\d+\.\d+\n$/);
  assert.ok(fs.existsSync(socketPath), 'the socket exists');
  assert.ok(fs.existsSync(path.join(runRoot, 'berthd.log')), 'berthd.log is in the run root');
  const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  assert.ok(isRunning(pid), `berthd ${pid} runs`);

  // The next command finds the running daemon and starts nothing.
  const again = await runCommand(process.execPath, [BERTH, 'ps', '-q'], env);
  assert.equal(again.exitCode, 0, again.stderr);
  assert.equal(again.stderr, '');
  assert.equal(Number(fs.readFileSync(pidFile, 'utf8').trim()), pid);
});
