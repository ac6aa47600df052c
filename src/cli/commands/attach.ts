// berth attach and berth start (with -a/-i): connect the local streams to a
// container, then exit with the container's exit code. Both read the
// container's config first, because Tty decides between raw and multiplexed
// output and OpenStdin decides whether stdin can be attached.
import type { ApiClient } from '../client/api-client';
import { CliError, PROGRAM, type Command, type CommandContext } from '../command';
import type { FlagSpec } from '../flags';
import { DEFAULT_DETACH_KEYS, enableRawMode, parseDetachKeys } from '../terminal';
import { forEachTarget } from './container-lifecycle';
import { followTerminalSize, proxySignals, runSession } from './stream-session';

interface ContainerDetails {
  Id: string;
  State: { Running: boolean; Paused: boolean; Restarting: boolean };
  Config: { Tty: boolean; OpenStdin: boolean };
  HostConfig: { AutoRemove?: boolean };
}

async function inspectContainer(client: ApiClient, target: string): Promise<ContainerDetails> {
  return client.json<ContainerDetails>('GET', `/containers/${encodeURIComponent(target)}/json`);
}

interface AttachPlan {
  container: ContainerDetails;
  stdin: boolean;
  detachKeysText: string;
  sigProxy: boolean;
  // True to start the container after attaching (start -a), false for attach.
  start: boolean;
}

// Attaches, optionally starts, and waits. Returns the container's exit code (0 after a detach).
async function attachAndWait(context: CommandContext, client: ApiClient, plan: AttachPlan): Promise<number> {
  const { container } = plan;
  const tty = container.Config.Tty;
  const path = `/containers/${container.Id}`;
  const detachKeys = parseDetachKeys(plan.detachKeysText || DEFAULT_DETACH_KEYS);
  if (tty && plan.stdin && !context.streams.stdin.isTTY) throw new CliError('the input device is not a TTY');

  const restoreMode = tty && plan.stdin ? enableRawMode(context.streams) : () => undefined;
  let stopResize: () => void = () => undefined;
  let stopProxy: () => void = () => undefined;
  try {
    const connection = await client.hijack(`${path}/attach`, {
      query: { stream: true, stdin: plan.stdin || undefined, stdout: true, stderr: true, detachKeys: plan.detachKeysText || undefined },
    });
    const session = runSession({ connection, streams: context.streams, tty, forwardStdin: plan.stdin, detachKeys: tty && plan.stdin ? detachKeys : null });
    session.catch(() => undefined);

    // start -a waits for the next exit (or removal with --rm), and attach waits until the container is not running.
    let condition = 'not-running';
    if (plan.start) condition = container.HostConfig.AutoRemove ? 'removed' : 'next-exit';
    const wait = await client.stream('POST', `${path}/wait`, { query: { condition } });
    const chunks: Buffer[] = [];
    const waitBody = (async () => {
      for await (const chunk of wait) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    })();
    waitBody.catch(() => undefined);

    if (plan.start) {
      try {
        await client.call('POST', `${path}/start`);
      } catch (error) {
        connection.close();
        wait.destroy();
        throw error;
      }
    }

    if (tty) stopResize = followTerminalSize(context.streams, ([height, width]) => client.call('POST', `${path}/resize`, { query: { h: height, w: width } }).then(() => undefined));
    if (!tty && plan.sigProxy) stopProxy = proxySignals(client, container.Id);
    if ((await session) === 'detached') {
      wait.destroy();
      return 0;
    }
    const result = JSON.parse(await waitBody) as { StatusCode: number; Error?: { Message?: string } | null };
    if (result.Error?.Message) throw new CliError(`Error waiting for container: ${result.Error.Message}`, 125);
    return result.StatusCode;
  } finally {
    stopProxy();
    stopResize();
    restoreMode();
  }
}

const DETACH_KEYS_FLAG: FlagSpec = { name: 'detach-keys', kind: 'string', description: 'Key sequence that detaches from the container, such as ctrl-p,ctrl-q' };

export const attachCommand: Command = {
  name: 'attach',
  usage: '[OPTIONS] CONTAINER',
  summary: 'Attach local standard input, output, and error streams to a running container',
  flags: [
    DETACH_KEYS_FLAG,
    { name: 'no-stdin', kind: 'bool', description: 'Do not attach STDIN' },
    { name: 'sig-proxy', kind: 'bool', defaultValue: true, description: 'Forward signals this command receives to the container (not with a TTY)' },
  ],
  args: { min: 1, max: 1 },
  aliases: [`${PROGRAM} container attach`, `${PROGRAM} attach`],
  async run(context, flags, [target]) {
    const client = await context.client();
    const container = await inspectContainer(client, target);
    if (!container.State.Running) throw new CliError('You cannot attach to a stopped container, start it first');
    if (container.State.Paused) throw new CliError('You cannot attach to a paused container, unpause it first');
    if (container.State.Restarting) throw new CliError('You cannot attach to a restarting container, wait until it is running');
    return attachAndWait(context, client, {
      container,
      stdin: !flags.bool('no-stdin') && container.Config.OpenStdin,
      detachKeysText: flags.string('detach-keys'),
      sigProxy: flags.bool('sig-proxy'),
      start: false,
    });
  },
};

export const startCommand: Command = {
  name: 'start',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  summary: 'Start one or more stopped containers',
  flags: [
    { name: 'attach', short: 'a', kind: 'bool', description: 'Attach STDOUT/STDERR and forward signals' },
    DETACH_KEYS_FLAG,
    { name: 'interactive', short: 'i', kind: 'bool', description: 'Attach the container\'s STDIN' },
  ],
  args: { min: 1 },
  aliases: [`${PROGRAM} container start`, `${PROGRAM} start`],
  async run(context, flags, args) {
    const attach = flags.bool('attach') || flags.bool('interactive');
    if (!attach) {
      return forEachTarget(
        context,
        args,
        async (client, target) => {
          await client.call('POST', `/containers/${encodeURIComponent(target)}/start`);
          return target;
        },
        (failedTargets) => `Error: failed to start containers: ${failedTargets.join(', ')}`,
      );
    }
    if (args.length > 1) throw new CliError('you cannot start and attach multiple containers at once');

    const client = await context.client();
    const container = await inspectContainer(client, args[0]);
    return attachAndWait(context, client, {
      container,
      stdin: flags.bool('interactive') && container.Config.OpenStdin,
      detachKeysText: flags.string('detach-keys'),
      sigProxy: true,
      start: true,
    });
  },
};
