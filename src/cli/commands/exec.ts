// berth exec: creates an exec instance, starts it on a hijacked connection
// (or detached with -d) and exits with the command's exit code, which the
// daemon reports in GET /exec/{id}/json once the process has ended.
import { CliError, PROGRAM, type Command } from '../command';
import { DEFAULT_DETACH_KEYS, enableRawMode, parseDetachKeys, terminalSize } from '../terminal';
import { expandEnvironmentVariable, readKeyValueFile } from './option-parsers';
import { followTerminalSize, runSession } from './stream-session';

export const execCommand: Command = {
  name: 'exec',
  usage: '[OPTIONS] CONTAINER COMMAND [ARG...]',
  summary: 'Execute a command in a running container',
  flags: [
    { name: 'detach', short: 'd', kind: 'bool', description: 'Run the command in the background' },
    { name: 'detach-keys', kind: 'string', description: 'Key sequence that detaches from the command, such as ctrl-p,ctrl-q' },
    { name: 'env', short: 'e', kind: 'list', description: 'Set an environment variable: NAME=VALUE, or NAME to copy it from this shell' },
    { name: 'env-file', kind: 'list', description: 'Read environment variables from a file of NAME=VALUE lines' },
    { name: 'interactive', short: 'i', kind: 'bool', description: 'Keep STDIN open and forward it to the command' },
    { name: 'privileged', kind: 'bool', description: 'Give the command extended privileges' },
    { name: 'tty', short: 't', kind: 'bool', description: 'Allocate a pseudo-terminal' },
    { name: 'user', short: 'u', kind: 'string', description: 'User to run as: NAME|UID[:GROUP|GID]' },
    { name: 'workdir', short: 'w', kind: 'string', description: 'Working directory for the command' },
  ],
  args: { min: 2 },
  interspersed: false,
  aliases: [`${PROGRAM} container exec`, `${PROGRAM} exec`],
  async run(context, flags, [target, ...command]) {
    const detach = flags.bool('detach');
    const tty = flags.bool('tty');
    const interactive = flags.bool('interactive');
    if (!detach && tty && interactive && !context.streams.stdin.isTTY) throw new CliError('the input device is not a TTY');
    const detachKeysText = flags.string('detach-keys');
    const detachKeys = parseDetachKeys(detachKeysText || DEFAULT_DETACH_KEYS);

    const fromFiles = flags.list('env-file').flatMap((file) => readKeyValueFile(file, (name) => context.environment[name]));
    const environment = [...fromFiles, ...flags.list('env').map((value) => expandEnvironmentVariable(value, context.environment))];
    const consoleSize = tty ? terminalSize(context.streams) : null;

    const client = await context.client();
    // docker checks that the container exists first, so a typo reports "No such container".
    await client.json('GET', `/containers/${encodeURIComponent(target)}/json`);

    const createBody: Record<string, unknown> = { User: flags.string('user'), Privileged: flags.bool('privileged'), Tty: tty };
    if (consoleSize) createBody.ConsoleSize = consoleSize;
    Object.assign(createBody, {
      AttachStdin: interactive && !detach,
      AttachStderr: !detach,
      AttachStdout: !detach,
      Detach: detach,
      DetachKeys: detachKeysText,
      Env: environment.length > 0 ? environment : null,
      WorkingDir: flags.string('workdir'),
      Cmd: command,
    });
    const created = await client.json<{ Id: string }>('POST', `/containers/${encodeURIComponent(target)}/exec`, { body: createBody });
    const execPath = `/exec/${created.Id}`;

    if (detach) {
      await client.call('POST', `${execPath}/start`, { body: { Detach: true, Tty: tty } });
      return 0;
    }

    const startBody: Record<string, unknown> = { Detach: false, Tty: tty };
    if (consoleSize) startBody.ConsoleSize = consoleSize;
    const restoreMode = tty && interactive ? enableRawMode(context.streams) : () => undefined;
    let stopResize: () => void = () => undefined;
    try {
      const connection = await client.hijack(`${execPath}/start`, { body: startBody });
      const session = runSession({ connection, streams: context.streams, tty, forwardStdin: interactive, detachKeys: tty && interactive ? detachKeys : null });
      session.catch(() => undefined);
      if (tty) stopResize = followTerminalSize(context.streams, ([height, width]) => client.call('POST', `${execPath}/resize`, { query: { h: height, w: width } }).then(() => undefined));
      if ((await session) === 'detached') return 0;
    } finally {
      stopResize();
      restoreMode();
    }

    // The output can end a moment before the daemon records the exit code, so look again while it still runs.
    let inspected = await client.json<{ ExitCode: number | null; Running: boolean }>('GET', `${execPath}/json`);
    for (let attempt = 0; inspected.Running && attempt < 20; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      inspected = await client.json<{ ExitCode: number | null; Running: boolean }>('GET', `${execPath}/json`);
    }
    return inspected.ExitCode ?? 0;
  },
};
