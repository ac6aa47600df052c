// Entry point of the berth CLI: global options, command lookup, flag and
// argument checks, and the printing of errors with docker's exit codes
// (125 for flag errors, 1 for most failures, a container's own code for run).
import { ApiError, DaemonUnreachableError, type ApiClient } from './client/api-client';
import { AutostartError } from './client/autostart-error';
import { cannotConnectMessage, connect, ConnectError } from './client/connect';
import { HostError, resolveHost, type DaemonHost } from './client/host';
import { checkArguments, CliError, ExitStatus, flagErrorMessage, PROGRAM, renderCommandHelp, renderGroupHelp, type Command, type CommandContext, type Streams } from './command';
import { FlagError, parseFlags, type FlagSpec } from './flags';
import { clientVersion } from './client-version';
import { GROUPS, renderProgramHelp, TOP_LEVEL } from './registry';

const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'host', short: 'H', kind: 'list', description: 'Daemon socket to connect to' },
  { name: 'debug', short: 'D', kind: 'bool', description: 'Print the stack of unexpected errors' },
  { name: 'version', short: 'v', kind: 'bool', description: 'Print version information and quit' },
  { name: 'log-level', short: 'l', kind: 'string', description: 'Accepted for compatibility with docker; berth has no client log', hidden: true },
];

interface Resolved {
  command: Command;
  commandPath: string;
  argv: string[];
}

// Finds the command named at the start of args. Returns null after printing help or throws CliError for an unknown name.
function resolveCommand(args: string[], streams: Streams): Resolved | null {
  const [name, ...rest] = args;
  const group = GROUPS.get(name);
  if (group) {
    const groupPath = `${PROGRAM} ${name}`;
    const [subcommand, ...subArgs] = rest;
    if (subcommand === undefined || subcommand === '--help' || subcommand === '-h') {
      streams.stdout.write(renderGroupHelp(group, groupPath));
      return null;
    }
    const command = group.commands.get(subcommand);
    if (!command) {
      throw new CliError(`${PROGRAM}: unknown command: ${groupPath} ${subcommand}\n\nUsage:  ${groupPath} COMMAND\n\nRun '${groupPath} --help' for more information`);
    }
    return { command: command.load(), commandPath: `${groupPath} ${subcommand}`, argv: subArgs };
  }

  const command = TOP_LEVEL.get(name);
  if (!command) throw new CliError(`${PROGRAM}: unknown command: ${PROGRAM} ${name}\n\nRun '${PROGRAM} --help' for more information`);
  return { command: command.load(), commandPath: `${PROGRAM} ${name}`, argv: rest };
}

function createContext(commandPath: string, streams: Streams, environment: NodeJS.ProcessEnv, hosts: string[]): CommandContext & { host(): DaemonHost | null } {
  let client: Promise<ApiClient> | null = null;
  let host: DaemonHost | null = null;
  return {
    commandPath,
    streams,
    environment,
    host: () => host,
    client() {
      if (!client) {
        client = (async () => {
          try {
            host = resolveHost(hosts, environment);
          } catch (error) {
            if (error instanceof HostError) throw new CliError(error.message);
            throw new CliError(`read berthd settings: ${(error as Error).message}`);
          }
          return connect(host, environment, streams.stderr);
        })();
      }
      return client;
    },
  };
}

// Turns an error into the text docker would print and the exit code.
function describeError(error: unknown, host: DaemonHost | null, debug: boolean): { message: string | null; exitCode: number } {
  if (error instanceof ExitStatus) return { message: null, exitCode: error.exitCode };
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  if (error instanceof ApiError || error instanceof ConnectError || error instanceof AutostartError) return { message: error.message, exitCode: 1 };
  if (error instanceof DaemonUnreachableError) {
    return { message: host ? cannotConnectMessage(host) : error.message, exitCode: 1 };
  }
  if (!(error instanceof Error)) return { message: String(error), exitCode: 1 };
  return { message: debug ? (error.stack ?? error.message) : error.message, exitCode: 1 };
}

export async function main(argv: string[], streams: Streams, environment: NodeJS.ProcessEnv = process.env): Promise<number> {
  let global;
  try {
    global = parseFlags(GLOBAL_FLAGS, argv, { interspersed: false });
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    streams.stderr.write(`${flagErrorMessage(PROGRAM, '[OPTIONS] COMMAND', error.message)}\n`);
    return 125;
  }
  const debug = global.flags.bool('debug');

  if (global.flags.bool('version') && !global.help) {
    streams.stdout.write(`Berth version ${clientVersion()}\n`);
    return 0;
  }
  const positional = global.args[0] === 'help' ? [...global.args.slice(1), '--help'] : global.args;
  if (global.help || positional.length === 0 || positional[0] === '--help') {
    streams.stdout.write(renderProgramHelp());
    return 0;
  }

  let context: ReturnType<typeof createContext> | null = null;
  try {
    const resolved = resolveCommand(positional, streams);
    if (!resolved) return 0;
    const { command, commandPath } = resolved;

    let parsed;
    try {
      parsed = parseFlags(command.flags, resolved.argv, { interspersed: command.interspersed ?? true });
    } catch (error) {
      if (!(error instanceof FlagError)) throw error;
      throw new CliError(flagErrorMessage(commandPath, command.usage, error.message), 125);
    }
    if (parsed.help) {
      streams.stdout.write(renderCommandHelp(command, commandPath));
      return 0;
    }
    const argumentError = checkArguments(command, commandPath, parsed.args.length);
    if (argumentError) throw argumentError;

    context = createContext(commandPath, streams, environment, global.flags.list('host'));
    return await command.run(context, parsed.flags, parsed.args);
  } catch (error) {
    const { message, exitCode } = describeError(error, context?.host() ?? null, debug);
    if (message !== null && message !== '') streams.stderr.write(`${message}\n`);
    return exitCode;
  }
}
