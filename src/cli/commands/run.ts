// berth run and berth create. run follows the docker CLI's sequence: create
// (pulling a missing image when --pull allows), attach before start, request
// the wait before start, start, resize the terminal, then copy the streams and
// exit with the container's exit code.
import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { ApiError, type ApiClient } from '../client/api-client';
import { CliError, ExitStatus, PROGRAM, type Command, type CommandContext, type Streams } from '../command';
import type { FlagValues } from '../flags';
import { familiarString, tryParseReference, withDefaultTag } from '../reference';
import { DEFAULT_DETACH_KEYS, enableRawMode, parseDetachKeys, terminalSize } from '../terminal';
import { buildCreateRequest, type CreateRequestOptions } from './container-config';
import { OptionError } from './option-parsers';
import { progressOutput, pullWithProgress } from './pull';
import { CREATE_FLAGS, RUN_FLAGS } from './run-flags';
import { followTerminalSize, proxySignals, runSession } from './stream-session';

const PULL_POLICIES = ['always', 'missing', 'never'];

// Maps a create or start failure to docker's exit codes: 127 when the command
// was not found, 126 when it cannot be run, 125 for any other failure.
export function exitCodeForStartError(message: string): number {
  if (/executable file not found|no such file or directory|system cannot find the file specified/.test(message)) return 127;
  if (/permission denied|is a directory|not executable/.test(message)) return 126;
  return 125;
}

function withRunHelp(commandName: string, message: string, exitCode: number): CliError {
  return new CliError(`${PROGRAM}: ${message}\n\nRun '${PROGRAM} ${commandName} --help' for more information`, exitCode);
}

async function readBody(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

// Pulls for run and create: progress goes to stderr, as in docker, so stdout carries only the container's output or ID.
async function pullImage(client: ApiClient, environment: NodeJS.ProcessEnv, imageText: string, platform: string, output: Streams['stderr'] | null): Promise<void> {
  const reference = tryParseReference(imageText);
  if (!reference) throw new CliError('invalid reference format');
  await pullWithProgress(client, environment, reference, platform, output ? progressOutput(output) : null);
}

// Creates the container, pulling its image first when --pull requires it, and returns the ID.
async function createContainer(context: CommandContext, flags: FlagValues, args: string[], options: Omit<CreateRequestOptions, 'environment'>): Promise<string> {
  const pull = flags.string('pull');
  if (!PULL_POLICIES.includes(pull)) throw new OptionError(`invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);
  const request = buildCreateRequest(flags, args, { ...options, environment: context.environment });
  // The docker CLI warns here, before the request, because a loopback address in the
  // container's resolv.conf names the container itself, not the host.
  for (const server of flags.list('dns')) {
    if (isLoopbackAddress(server)) context.streams.stderr.write(`WARNING: Localhost DNS (${server}) may fail in containers.\n`);
  }
  const pullOutput = flags.bool('quiet') ? null : context.streams.stderr;

  const cidFile = flags.string('cidfile');
  if (cidFile !== '' && fs.existsSync(cidFile)) throw new OptionError(`container ID file found, make sure the other container isn't running or delete ${cidFile}`);
  const client = await context.client();

  if (pull === 'always') await pullImage(client, context.environment, request.image, request.platform, pullOutput);

  const create = () =>
    client.json<{ Id: string; Warnings?: string[] | null }>('POST', '/containers/create', {
      query: { name: request.name || undefined, platform: request.platform || undefined },
      body: request.body,
    });

  let created: { Id: string; Warnings?: string[] | null };
  try {
    created = await create();
  } catch (error) {
    const reference = tryParseReference(request.image);
    if (!(error instanceof ApiError) || error.status !== 404 || pull !== 'missing' || !reference || !/no such image/i.test(error.daemonMessage)) throw error;
    context.streams.stderr.write(`Unable to find image '${familiarString(withDefaultTag(reference))}' locally\n`);
    await pullImage(client, context.environment, request.image, request.platform, pullOutput);
    created = await create();
  }

  for (const warning of created.Warnings ?? []) context.streams.stderr.write(`WARNING: ${warning}\n`);
  if (cidFile !== '') fs.writeFileSync(cidFile, created.Id, { flag: 'wx', mode: 0o644 });
  return created.Id;
}

async function runContainer(context: CommandContext, flags: FlagValues, args: string[]): Promise<number> {
  const detach = flags.bool('detach');
  if (detach && flags.isSet('attach')) throw new CliError('conflicting options: cannot specify both --attach and --detach');
  const tty = flags.bool('tty');
  const interactive = flags.bool('interactive');
  const attachStdin = interactive || flags.list('attach').some((stream) => stream.toLowerCase() === 'stdin');
  if (!detach && tty && attachStdin && !context.streams.stdin.isTTY) throw new CliError('the input device is not a TTY');

  const detachKeysText = flags.string('detach-keys');
  const detachKeys = parseDetachKeys(detachKeysText || DEFAULT_DETACH_KEYS);
  const consoleSize = tty ? terminalSize(context.streams) : null;
  const id = await createContainer(context, flags, args, { consoleSize, mode: detach ? 'run-detached' : 'run' });
  const client = await context.client();
  const containerPath = `/containers/${id}`;

  if (detach) {
    await client.call('POST', `${containerPath}/start`);
    context.streams.stdout.write(`${id}\n`);
    return 0;
  }

  const attachStdout = flags.list('attach').length === 0 || flags.list('attach').some((stream) => stream.toLowerCase() === 'stdout');
  const attachStderr = flags.list('attach').length === 0 || flags.list('attach').some((stream) => stream.toLowerCase() === 'stderr');
  // Raw mode starts before the attach, as in docker, so early keystrokes (even ^D) reach the container as bytes.
  const restoreMode = tty && attachStdin ? enableRawMode(context.streams) : () => undefined;
  let stopResize: () => void = () => undefined;
  let stopProxy: () => void = () => undefined;
  try {
    // The attach and the wait are independent, so both requests go out together (one round trip instead of two).
    // The wait is requested before the start so that even an instant exit is reported.
    const autoRemove = flags.bool('rm');
    const [attached, waited] = await Promise.allSettled([
      attachStdin || attachStdout || attachStderr
        ? client.hijack(`${containerPath}/attach`, {
            query: { stream: true, stdin: attachStdin || undefined, stdout: attachStdout || undefined, stderr: attachStderr || undefined, detachKeys: detachKeysText || undefined },
          })
        : Promise.resolve(null),
      client.stream('POST', `${containerPath}/wait`, { query: { condition: autoRemove ? 'removed' : 'next-exit' } }),
    ]);
    if (attached.status === 'rejected' || waited.status === 'rejected') {
      if (attached.status === 'fulfilled') attached.value?.close();
      if (waited.status === 'fulfilled') waited.value.destroy();
      throw attached.status === 'rejected' ? attached.reason : (waited as PromiseRejectedResult).reason;
    }
    const connection = attached.value;
    const wait = waited.value;

    const session = connection
      ? runSession({ connection, streams: context.streams, tty, forwardStdin: attachStdin, detachKeys: tty && attachStdin ? detachKeys : null })
      : null;
    // Keep a failing session from becoming an unhandled rejection before it is awaited.
    session?.catch(() => undefined);

    const waitBody = readBody(wait);
    waitBody.catch(() => undefined);

    try {
      await client.call('POST', `${containerPath}/start`);
    } catch (error) {
      connection?.close();
      // NOTE: the daemon removes an --rm container whose start failed. The wait is bounded in case it does not.
      if (autoRemove) await Promise.race([waitBody, new Promise((resolve) => setTimeout(resolve, 5000))]);
      wait.destroy();
      throw error;
    }

    if (tty) stopResize = followTerminalSize(context.streams, ([height, width]) => client.call('POST', `${containerPath}/resize`, { query: { h: height, w: width } }).then(() => undefined));
    if (!tty && flags.bool('sig-proxy')) stopProxy = proxySignals(client, id);
    if (session && (await session) === 'detached') {
      wait.destroy();
      return 0;
    }
    const result = JSON.parse(await waitBody) as { StatusCode: number; Error?: { Message?: string } | null };
    if (result.Error?.Message) {
      context.streams.stderr.write(`Error waiting for container: ${result.Error.Message}\n`);
      return 125;
    }
    return result.StatusCode;
  } finally {
    stopProxy();
    stopResize();
    restoreMode();
  }
}

export const runCommandSpec: Command = {
  name: 'run',
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  summary: 'Create and run a new container from an image',
  flags: RUN_FLAGS,
  args: { min: 1 },
  interspersed: false,
  aliases: [`${PROGRAM} container run`, `${PROGRAM} run`],
  async run(context, flags, args) {
    try {
      return await runContainer(context, flags, args);
    } catch (error) {
      // These two end with exit code 1 and no help line, as in docker.
      if (error instanceof ExitStatus || (error instanceof CliError && !(error instanceof OptionError) && /not a TTY|conflicting options: cannot specify both --attach/.test(error.message))) {
        throw error;
      }
      const message = error instanceof Error ? error.message : String(error);
      throw withRunHelp('run', message, exitCodeForStartError(message));
    }
  },
};

export const createCommandSpec: Command = {
  name: 'create',
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  summary: 'Create a new container',
  flags: CREATE_FLAGS,
  args: { min: 1 },
  interspersed: false,
  aliases: [`${PROGRAM} container create`, `${PROGRAM} create`],
  async run(context, flags, args) {
    const consoleSize = flags.bool('tty') ? terminalSize(context.streams) : null;
    try {
      const id = await createContainer(context, flags, args, { consoleSize, mode: 'create' });
      context.streams.stdout.write(`${id}\n`);
      return 0;
    } catch (error) {
      // Option errors end with 125 and the help line. Daemon errors print as usual with exit code 1, as docker create does.
      if (error instanceof OptionError) throw withRunHelp('create', error.message, 125);
      throw error;
    }
  },
};

function isLoopbackAddress(address: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address) || address === '::1';
}
