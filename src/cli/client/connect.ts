// Opens the client for a command: negotiates the API version and, when the
// socket is missing or refuses connections, starts berthd (unless autostart
// is off for this socket) and tries again.
import { ApiClient, DaemonUnreachableError } from './api-client';
import { autostartEnabled, type DaemonHost } from './host';

export class ConnectError extends Error {}

export function cannotConnectMessage(host: DaemonHost): string {
  return `Cannot connect to the Berth daemon at ${host.url}. Is berthd running?`;
}

export async function connect(host: DaemonHost, environment: NodeJS.ProcessEnv, stderr: NodeJS.WritableStream): Promise<ApiClient> {
  const client = new ApiClient(host.socketPath);
  try {
    await client.negotiate();
    return client;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EACCES') {
      throw new ConnectError(`permission denied while trying to connect to the Berth daemon socket at ${host.url}: ${(error as Error).message}`);
    }
    if (!(error instanceof DaemonUnreachableError)) throw error;
    if (!autostartEnabled(host, environment)) throw new ConnectError(cannotConnectMessage(host));
  }

  stderr.write(`berth: starting berthd (socket ${host.socketPath})\n`);
  // Loaded here because it pulls in node:child_process, which costs every other command start-up time.
  const { startDaemon } = require('./autostart') as typeof import('./autostart');
  await startDaemon(host, environment);
  await client.negotiate();
  return client;
}
