// Starts berthd when the CLI finds no daemon on its socket. The compiled
// berthd script next to this CLI runs detached under the same Node.js with
// the CLI's environment, so BERTH_* settings carry over. Its output goes to
// berthd.log under the instance's run root.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../common/config';
import { ApiClient, DaemonUnreachableError } from './api-client';
import type { DaemonHost } from './host';
import { AutostartError } from './autostart-error';

export const AUTOSTART_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 100;

export { AutostartError };

// dist/src/cli/client/autostart.js → dist/src/bin/berthd.js
export function berthdScriptPath(): string {
  return path.resolve(__dirname, '..', '..', 'bin', 'berthd.js');
}

export interface AutostartResult {
  pid: number;
  logFile: string;
}

// Spawns berthd and waits until /_ping succeeds on the host's socket.
export async function startDaemon(host: DaemonHost, environment: NodeJS.ProcessEnv, timeoutMs = AUTOSTART_TIMEOUT_MS): Promise<AutostartResult> {
  const config = loadConfig(environment);
  const script = berthdScriptPath();
  if (!fs.existsSync(script)) throw new AutostartError(`cannot start berthd: ${script} does not exist; build it with "npm run build"`);

  fs.mkdirSync(config.runRoot, { recursive: true, mode: 0o711 });
  const logFile = path.join(config.runRoot, 'berthd.log');
  const daemonEnvironment: NodeJS.ProcessEnv = { ...environment };
  // A socket chosen with -H or BERTH_HOST is where berthd must listen.
  if (host.socketPath !== config.socketPath) daemonEnvironment.BERTH_SOCKET = host.socketPath;

  const log = fs.openSync(logFile, 'a', 0o600);
  let exitCode: number | null = null;
  let exitSignal: NodeJS.Signals | null = null;
  const child = spawn(process.execPath, [script], { detached: true, stdio: ['ignore', log, log], env: daemonEnvironment });
  fs.closeSync(log);
  child.on('exit', (code, signal) => {
    exitCode = code;
    exitSignal = signal;
  });
  const spawnFailure = new Promise<Error>((resolve) => child.once('error', resolve));
  child.unref();

  const deadline = Date.now() + timeoutMs;
  const client = new ApiClient(host.socketPath);
  for (;;) {
    const failure = await Promise.race([spawnFailure, delay(POLL_INTERVAL_MS).then(() => null)]);
    if (failure) throw new AutostartError(`cannot start berthd: ${failure.message}`);
    if (exitCode !== null || exitSignal !== null) {
      const how = exitSignal ? `signal ${exitSignal}` : `exit code ${exitCode}`;
      throw new AutostartError(`berthd stopped with ${how} before it was ready; see its log at ${logFile}`);
    }

    try {
      await client.negotiate();
      return { pid: child.pid ?? 0, logFile };
    } catch (error) {
      if (!(error instanceof DaemonUnreachableError)) throw error;
    }

    if (Date.now() > deadline) {
      throw new AutostartError(`berthd did not respond on ${host.url} within ${Math.round(timeoutMs / 1000)} seconds; see its log at ${logFile}`);
    }
  }
}

function delay(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
