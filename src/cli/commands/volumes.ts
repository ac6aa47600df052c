// Volume commands: create, rm and prune (ls and inspect live with the other list and inspect commands).
import { CliError, PROGRAM, type Command } from '../command';
import { humanSize } from '../format/units';
import { forEachTarget } from './container-lifecycle';
import { checkFilter, encodeFilters } from './filters';
import { keyValueMap } from './option-parsers';

export const volumeCreateCommand: Command = {
  name: 'create',
  usage: '[OPTIONS] [VOLUME]',
  summary: 'Create a volume',
  flags: [
    { name: 'driver', short: 'd', kind: 'string', defaultValue: 'local', description: 'Volume driver name' },
    { name: 'label', kind: 'list', description: 'Set a label: KEY=VALUE' },
    { name: 'name', kind: 'string', description: 'Volume name', hidden: true },
    { name: 'opt', short: 'o', kind: 'list', description: 'Driver option: KEY=VALUE' },
  ],
  args: { max: 1 },
  async run(context, flags, args) {
    const flagName = flags.string('name');
    if (args.length === 1 && flagName !== '' && flagName !== args[0]) {
      throw new CliError(`conflicting options: cannot specify a volume-name through both --name and as a positional arg`);
    }
    const client = await context.client();
    const volume = await client.json<{ Name: string }>('POST', '/volumes/create', {
      body: { Name: args[0] ?? flagName, Driver: flags.string('driver'), DriverOpts: keyValueMap(flags.list('opt')), Labels: keyValueMap(flags.list('label')) },
    });
    context.streams.stdout.write(`${volume.Name}\n`);
    return 0;
  },
};

export const volumeRemoveCommand: Command = {
  name: 'rm',
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  summary: 'Remove one or more volumes',
  flags: [{ name: 'force', short: 'f', kind: 'bool', description: 'Force the removal of the volumes (sent to the daemon as force=1)' }],
  args: { min: 1 },
  aliases: [`${PROGRAM} volume rm`, `${PROGRAM} volume remove`],
  run: (context, flags, names) =>
    forEachTarget(context, names, async (client, name) => {
      await client.call('DELETE', `/volumes/${encodeURIComponent(name)}`, { query: { force: flags.bool('force') || undefined } });
      return name;
    }),
};

// Asks a yes/no question. Only "y" or "yes" confirms, and end of input declines.
export async function confirm(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, question: string): Promise<boolean> {
  output.write(`${question} [y/N] `);
  return new Promise((resolve) => {
    let answer = '';
    const onData = (chunk: Buffer | string) => {
      answer += chunk.toString();
      if (answer.includes('\n')) finish();
    };
    const finish = () => {
      input.off('data', onData);
      input.off('end', finish);
      input.pause();
      resolve(/^\s*y(es)?\s*$/i.test(answer.split('\n')[0]));
    };
    input.on('data', onData);
    input.once('end', finish);
    input.resume();
  });
}

export const volumePruneCommand: Command = {
  name: 'prune',
  usage: '[OPTIONS]',
  summary: 'Remove unused local volumes',
  flags: [
    { name: 'all', short: 'a', kind: 'bool', description: 'Remove all unused volumes, not only anonymous ones' },
    { name: 'filter', kind: 'list', description: 'Only prune volumes that match: label=KEY[=VALUE], label!=KEY[=VALUE]', check: checkFilter },
    { name: 'force', short: 'f', kind: 'bool', description: 'Do not prompt for confirmation' },
  ],
  args: { max: 0 },
  async run(context, flags) {
    const all = flags.bool('all');
    if (!flags.bool('force')) {
      const warning = all
        ? 'WARNING! This will remove all local volumes not used by at least one container.'
        : 'WARNING! This will remove anonymous local volumes not used by at least one container.';
      context.streams.stdout.write(`${warning}\n`);
      if (!(await confirm(context.streams.stdin, context.streams.stdout, 'Are you sure you want to continue?'))) return 0;
    }

    const filters = [...flags.list('filter')];
    if (all) filters.push('all=true');
    const client = await context.client();
    const report = await client.json<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/volumes/prune', { query: { filters: encodeFilters(filters) } });
    const deleted = report.VolumesDeleted ?? [];
    if (deleted.length > 0) context.streams.stdout.write(`Deleted Volumes:\n${deleted.join('\n')}\n\n`);
    context.streams.stdout.write(`Total reclaimed space: ${humanSize(report.SpaceReclaimed ?? 0)}\n`);
    return 0;
  },
};
