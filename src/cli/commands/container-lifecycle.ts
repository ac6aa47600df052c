// Container commands that act on one or more containers by name or ID:
// start (without -a), stop, kill, restart, pause, unpause, rm, wait, rename.
// As in docker, each target's result line goes to stdout in argument order,
// the errors are printed together at the end, and any error means exit 1.
import { ApiError, type ApiClient } from '../client/api-client';
import { CliError, PROGRAM, type Command, type CommandContext } from '../command';
import type { FlagSpec, FlagValues } from '../flags';

function containerPath(target: string, action = ''): string {
  return `/containers/${encodeURIComponent(target)}${action}`;
}

// A target's line for stdout, or a message for stderr that does not count as a failure.
export type TargetResult = string | null | { notice: string };

// Runs the action for every target in parallel. Prints successes in order,
// then the errors, then the summary line some commands add (docker start).
export async function forEachTarget(
  context: CommandContext,
  targets: string[],
  action: (client: ApiClient, target: string) => Promise<TargetResult>,
  summary?: (failedTargets: string[]) => string,
): Promise<number> {
  const client = await context.client();
  const results = await Promise.allSettled(targets.map((target) => action(client, target)));
  const errors: string[] = [];
  const failedTargets: string[] = [];
  results.forEach((result, index) => {
    if (result.status === 'rejected') failedTargets.push(targets[index]);
  });
  for (const result of results) {
    if (result.status === 'fulfilled') {
      const value = result.value;
      if (typeof value === 'string') context.streams.stdout.write(`${value}\n`);
      else if (value !== null) context.streams.stderr.write(`${value.notice}\n`);
    } else {
      errors.push(result.reason instanceof Error ? result.reason.message : String(result.reason));
    }
  }
  if (errors.length > 0 && summary) errors.push(summary(failedTargets));
  if (errors.length > 0) throw new CliError(errors.join('\n'), 1);
  return 0;
}

function simpleCommand(options: { name: string; usage: string; summary: string; flags?: FlagSpec[]; act: (client: ApiClient, target: string, flags: FlagValues) => Promise<TargetResult> }): Command {
  return {
    name: options.name,
    usage: options.usage,
    summary: options.summary,
    flags: options.flags ?? [],
    args: { min: 1 },
    aliases: [`${PROGRAM} container ${options.name}`, `${PROGRAM} ${options.name}`],
    run: (context, flags, args) => forEachTarget(context, args, (client, target) => options.act(client, target, flags)),
  };
}

const STOP_FLAGS: FlagSpec[] = [
  { name: 'signal', short: 's', kind: 'string', description: 'Signal to send first (default: the container\'s stop signal, usually SIGTERM)' },
  { name: 'timeout', short: 't', kind: 'int', valueName: 'seconds', description: 'Seconds to wait for the container to exit before killing it' },
];

function stopQuery(flags: FlagValues): Record<string, string | number | undefined> {
  return { signal: flags.string('signal') || undefined, t: flags.isSet('timeout') ? flags.int('timeout') : undefined };
}

export const stopCommand = simpleCommand({
  name: 'stop',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  summary: 'Stop one or more running containers',
  flags: STOP_FLAGS,
  act: async (client, target, flags) => {
    await client.call('POST', containerPath(target, '/stop'), { query: stopQuery(flags) });
    return target;
  },
});

export const restartCommand = simpleCommand({
  name: 'restart',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  summary: 'Restart one or more containers',
  flags: STOP_FLAGS,
  act: async (client, target, flags) => {
    await client.call('POST', containerPath(target, '/restart'), { query: stopQuery(flags) });
    return target;
  },
});

export const killCommand = simpleCommand({
  name: 'kill',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  summary: 'Kill one or more running containers',
  flags: [{ name: 'signal', short: 's', kind: 'string', description: 'Signal to send, by name (SIGKILL, KILL) or number (default SIGKILL)' }],
  act: async (client, target, flags) => {
    await client.call('POST', containerPath(target, '/kill'), { query: { signal: flags.string('signal') || undefined } });
    return target;
  },
});

export const pauseCommand = simpleCommand({
  name: 'pause',
  usage: 'CONTAINER [CONTAINER...]',
  summary: 'Pause all processes within one or more containers',
  act: async (client, target) => {
    await client.call('POST', containerPath(target, '/pause'));
    return target;
  },
});

export const unpauseCommand = simpleCommand({
  name: 'unpause',
  usage: 'CONTAINER [CONTAINER...]',
  summary: 'Unpause all processes within one or more containers',
  act: async (client, target) => {
    await client.call('POST', containerPath(target, '/unpause'));
    return target;
  },
});

export const removeCommand: Command = {
  ...simpleCommand({
    name: 'rm',
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    summary: 'Remove one or more containers',
    flags: [
      { name: 'force', short: 'f', kind: 'bool', description: 'Kill and remove a running container; a missing container is reported but does not fail the command' },
      { name: 'volumes', short: 'v', kind: 'bool', description: 'Also remove the container\'s anonymous volumes' },
    ],
    act: async (client, target, flags) => {
      try {
        await client.call('DELETE', containerPath(target), { query: { force: flags.bool('force') || undefined, v: flags.bool('volumes') || undefined } });
      } catch (error) {
        // With -f a missing container is reported but is not a failure, as in docker 28.
        if (flags.bool('force') && error instanceof ApiError && error.status === 404) return { notice: error.message };
        throw error;
      }
      return target;
    },
  }),
  aliases: [`${PROGRAM} container rm`, `${PROGRAM} container remove`, `${PROGRAM} rm`],
};

export const waitCommand = simpleCommand({
  name: 'wait',
  usage: 'CONTAINER [CONTAINER...]',
  summary: 'Block until one or more containers stop, then print their exit codes',
  act: async (client, target) => {
    const result = await client.json<{ StatusCode: number; Error?: { Message?: string } | null }>('POST', containerPath(target, '/wait'));
    if (result.Error?.Message) throw new CliError(result.Error.Message);
    return String(result.StatusCode);
  },
});

export const renameCommand: Command = {
  name: 'rename',
  usage: 'CONTAINER NEW_NAME',
  summary: 'Rename a container',
  flags: [],
  args: { min: 2, max: 2 },
  aliases: [`${PROGRAM} container rename`, `${PROGRAM} rename`],
  async run(context, _flags, [container, newName]) {
    if (container.trim() === '' || newName.trim() === '') throw new CliError('Error: Neither old nor new names may be empty');
    const client = await context.client();
    try {
      await client.call('POST', containerPath(container, '/rename'), { query: { name: newName } });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      throw new CliError(`${error.message}\nError: failed to rename container named ${container}`);
    }
    return 0;
  },
};
