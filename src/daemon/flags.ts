// berthd's command-line flags. Each flag overrides the config file and the
// environment; `berthd --help` lists them.
import { InvalidArgumentError } from '../common/errors';

export interface DaemonFlags {
  instance?: string;
  root?: string;
  socketPath?: string;
  logLevel?: string;
  runtime?: string;
  registryMirrors?: string[];
  mirrorsOnly?: boolean;
  help: boolean;
}

export const DAEMON_USAGE = `Usage: berthd [OPTIONS]

Serve the Docker Engine API for Berth on a unix socket.

Options:
      --instance NAME        Instance name; every host object Berth creates is named from it (default "berth")
      --root DIR             Keep all state under DIR/data and DIR/run instead of /var/lib/NAME and /run/NAME
  -H, --host unix://PATH     Socket to listen on (default /run/berth/berth.sock)
  -l, --log-level LEVEL      trace, debug, info, warn, error or fatal (default "info")
      --runtime NAME         OCI runtime: runc or crun (default "runc")
      --registry-mirror URL  Mirror for docker.io pulls; repeat for several
      --registry-mirrors-only  Never contact docker.io itself, only the mirrors
  -h, --help                 Print this help

Every setting of the config file (/etc/berth/berthd.json, or the file BERTH_CONFIG
names) can also come from the environment: BERTH_INSTANCE, BERTH_ROOT, BERTH_DATA_ROOT,
BERTH_RUN_ROOT, BERTH_SOCKET, BERTH_RUNTIME, BERTH_LOG_LEVEL, BERTH_LOG_FILE,
BERTH_CGROUP_PARENT, BERTH_DNS, BERTH_DNS_SEARCH, BERTH_DNS_OPTIONS (comma separated),
BERTH_DEFAULT_ADDRESS_POOLS (10.210.0.0/16:24,...), BERTH_REGISTRY_MIRRORS (comma
separated), BERTH_REGISTRY_MIRRORS_ONLY (1 or true), BERTH_INSECURE_REGISTRIES (comma
separated), BERTH_REGISTRY_CERTS_DIRECTORIES (colon separated). Flags override both.
`;

export function parseDaemonFlags(argv: string[]): DaemonFlags {
  const flags: DaemonFlags = { help: false };
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    const [name, inlineValue] = argument.includes('=') ? [argument.slice(0, argument.indexOf('=')), argument.slice(argument.indexOf('=') + 1)] : [argument, undefined];
    const value = (): string => {
      if (inlineValue !== undefined) return inlineValue;
      const next = argv[++index];
      if (next === undefined) throw new InvalidArgumentError(`flag needs an argument: ${name}`);
      return next;
    };

    switch (name) {
      case '--instance':
        flags.instance = value();
        break;
      case '--root':
        flags.root = value();
        break;
      case '-H':
      case '--host':
        flags.socketPath = value().replace(/^unix:\/\//, '');
        break;
      case '-l':
      case '--log-level':
        flags.logLevel = value();
        break;
      case '--runtime':
        flags.runtime = value();
        break;
      case '--registry-mirror':
        flags.registryMirrors = [...(flags.registryMirrors ?? []), value()];
        break;
      case '--registry-mirrors-only':
        flags.mirrorsOnly = true;
        break;
      case '-h':
      case '--help':
        flags.help = true;
        break;
      default:
        throw new InvalidArgumentError(`unknown flag: ${name}`);
    }
  }
  return flags;
}
