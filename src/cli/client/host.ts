// Chooses the daemon socket. Precedence, highest first: -H/--host, then
// BERTH_HOST, then DOCKER_HOST, then the socket of the Berth instance that
// berthd's own settings name (BERTH_SOCKET, BERTH_INSTANCE, BERTH_ROOT, the
// config file; /run/berth/berth.sock by default). DOCKER_HOST is honoured so
// scripts written for docker can point berth at a socket. Only the socket of
// the configured instance is autostarted: another path given with -H,
// BERTH_HOST or DOCKER_HOST may be Docker's or another instance's, and a
// daemon started for it would run with the wrong settings.
import { loadConfig, type DaemonConfig } from '../../common/config';

export type HostSource = 'flag' | 'BERTH_HOST' | 'DOCKER_HOST' | 'config';

export interface DaemonHost {
  socketPath: string;
  // "unix:///run/berth/berth.sock", as messages show it.
  url: string;
  source: HostSource;
}

export class HostError extends Error {}

// Reads "unix:///path" (or a bare absolute path) into a socket path.
export function parseHostUrl(value: string): string {
  if (value.startsWith('unix://')) {
    const socketPath = value.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw new HostError(`invalid host "${value}": the socket path must be absolute, as in unix:///run/berth/berth.sock`);
    return socketPath;
  }
  if (value.startsWith('/')) return value;
  const scheme = value.includes('://') ? value.slice(0, value.indexOf('://')) : 'tcp';
  throw new HostError(`invalid host "${value}": ${scheme} connections are not supported; use unix:///path/to/socket`);
}

// Resolves the socket from the -H values and the environment. Throws HostError for an unusable value.
export function resolveHost(flagHosts: string[], environment: NodeJS.ProcessEnv, loadDaemonConfig: () => DaemonConfig = () => loadConfig(environment)): DaemonHost {
  if (flagHosts.length > 1) throw new HostError('specify only one -H');

  let socketPath: string;
  let source: HostSource;
  if (flagHosts.length === 1) {
    socketPath = parseHostUrl(flagHosts[0]);
    source = 'flag';
  } else if (environment.BERTH_HOST) {
    socketPath = parseHostUrl(environment.BERTH_HOST);
    source = 'BERTH_HOST';
  } else if (environment.DOCKER_HOST) {
    socketPath = parseHostUrl(environment.DOCKER_HOST);
    source = 'DOCKER_HOST';
  } else {
    socketPath = loadDaemonConfig().socketPath;
    source = 'config';
  }
  return { socketPath, url: `unix://${socketPath}`, source };
}

// BERTH_NO_AUTOSTART=1 (or true) turns autostart off.
export function autostartEnabled(host: DaemonHost, environment: NodeJS.ProcessEnv, loadDaemonConfig: () => DaemonConfig = () => loadConfig(environment)): boolean {
  const setting = environment.BERTH_NO_AUTOSTART;
  if (setting === '1' || setting === 'true') return false;
  if (host.source === 'config') return true;
  return host.source !== 'DOCKER_HOST' && host.socketPath === loadDaemonConfig().socketPath;
}
