// berth container prune, berth system prune and berth builder prune, with
// docker's prompts and report: "Deleted Containers:", "Deleted Networks:",
// "Deleted Volumes:", "Deleted Images:", "Deleted build cache objects:" and
// "Total reclaimed space:".
import { CliError, type Command, type CommandContext } from '../command';
import type { ApiClient } from '../client/api-client';
import { humanSize } from '../format/units';
import { checkFilter, encodeFilters } from './filters';
import { confirm } from './volumes';

interface PruneOutcome {
  spaceReclaimed: number;
  // Report section without its trailing blank line, or "" when nothing was removed.
  report: string;
}

interface PruneSettings {
  all: boolean;
  filters: string[];
}

function section(title: string, lines: string[]): string {
  return lines.length === 0 ? '' : `${title}\n${lines.map((line) => `${line}\n`).join('')}`;
}

async function pruneContainers(client: ApiClient, settings: PruneSettings): Promise<PruneOutcome> {
  const report = await client.json<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/containers/prune', { query: { filters: encodeFilters(settings.filters) } });
  const deleted = report?.ContainersDeleted ?? [];
  return { spaceReclaimed: deleted.length > 0 ? report?.SpaceReclaimed ?? 0 : 0, report: section('Deleted Containers:', deleted) };
}

async function pruneNetworks(client: ApiClient, settings: PruneSettings): Promise<PruneOutcome> {
  const report = await client.json<{ NetworksDeleted: string[] | null }>('POST', '/networks/prune', { query: { filters: encodeFilters(settings.filters) } });
  return { spaceReclaimed: 0, report: section('Deleted Networks:', report?.NetworksDeleted ?? []) };
}

async function pruneVolumes(client: ApiClient, settings: PruneSettings): Promise<PruneOutcome> {
  const report = await client.json<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/volumes/prune', { query: { filters: encodeFilters(settings.filters) } });
  const deleted = report?.VolumesDeleted ?? [];
  return { spaceReclaimed: report?.SpaceReclaimed ?? 0, report: section('Deleted Volumes:', deleted) };
}

async function pruneImages(client: ApiClient, settings: PruneSettings): Promise<PruneOutcome> {
  const filters = [...settings.filters, `dangling=${!settings.all}`];
  const report = await client.json<{ ImagesDeleted: Array<{ Untagged?: string; Deleted?: string }> | null; SpaceReclaimed: number }>('POST', '/images/prune', { query: { filters: encodeFilters(filters) } });
  const lines = (report?.ImagesDeleted ?? []).map((entry) => (entry.Untagged ? `untagged: ${entry.Untagged}` : `deleted: ${entry.Deleted ?? ''}`));
  return { spaceReclaimed: report?.SpaceReclaimed ?? 0, report: section('Deleted Images:', lines) };
}

async function pruneBuildCache(client: ApiClient, settings: PruneSettings): Promise<PruneOutcome> {
  const query = { all: settings.all ? '1' : undefined, filters: encodeFilters(settings.filters) };
  const report = await client.json<{ CachesDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/build/prune', { query });
  return { spaceReclaimed: report?.SpaceReclaimed ?? 0, report: section('Deleted build cache objects:', report?.CachesDeleted ?? []) };
}

async function runPrunes(context: CommandContext, pruners: Array<(client: ApiClient, settings: PruneSettings) => Promise<PruneOutcome>>, settings: PruneSettings): Promise<void> {
  const client = await context.client();
  let total = 0;
  for (const prune of pruners) {
    const outcome = await prune(client, settings);
    total += outcome.spaceReclaimed;
    if (outcome.report) context.streams.stdout.write(`${outcome.report}\n`);
  }
  context.streams.stdout.write(`Total reclaimed space: ${humanSize(total)}\n`);
}

function filterLines(filters: string[]): string {
  if (filters.length === 0) return '';
  return `\nItems to be pruned will be filtered with:\n${filters.map((filter) => `  - ${filter}\n`).join('')}`;
}

const FILTER_FLAG = { name: 'filter', kind: 'list', description: 'Provide filter values (e.g. "until=<timestamp>", "label=KEY[=VALUE]")', check: checkFilter } as const;
const FORCE_FLAG = { name: 'force', short: 'f', kind: 'bool', description: 'Do not prompt for confirmation' } as const;

export const containerPruneCommand: Command = {
  name: 'prune',
  usage: '[OPTIONS]',
  summary: 'Remove all stopped containers',
  flags: [FILTER_FLAG, FORCE_FLAG],
  args: { max: 0 },
  async run(context, flags) {
    const filters = flags.list('filter');
    if (!flags.bool('force')) {
      context.streams.stdout.write('WARNING! This will remove all stopped containers.\n');
      // Without a terminal, confirm reads the reply from stdin, and end of input counts as "no", as in docker.
      if (!(await confirm(context.streams.stdin, context.streams.stdout, 'Are you sure you want to continue?'))) return 0;
    }
    await runPrunes(context, [pruneContainers], { all: false, filters });
    return 0;
  },
};

export const systemPruneCommand: Command = {
  name: 'prune',
  usage: '[OPTIONS]',
  summary: 'Remove unused data',
  flags: [
    { name: 'all', short: 'a', kind: 'bool', description: 'Remove all unused images not just dangling ones' },
    FILTER_FLAG,
    FORCE_FLAG,
    { name: 'volumes', kind: 'bool', description: 'Prune anonymous volumes' },
  ],
  args: { max: 0 },
  async run(context, flags) {
    const all = flags.bool('all');
    const volumes = flags.bool('volumes');
    const filters = flags.list('filter');
    if (volumes && filters.some((filter) => filter.toLowerCase().startsWith('until='))) {
      throw new CliError('ERROR: The "until" filter is not supported with "--volumes"');
    }

    if (!flags.bool('force')) {
      const items = [
        'all stopped containers',
        'all networks not used by at least one container',
        ...(volumes ? ['all anonymous volumes not used by at least one container'] : []),
        all ? 'all images without at least one container associated to them' : 'all dangling images',
        all ? 'all build cache' : 'unused build cache',
      ];
      context.streams.stdout.write(`WARNING! This will remove:\n${items.map((item) => `  - ${item}\n`).join('')}${filterLines(filters)}\n`);
      if (!(await confirm(context.streams.stdin, context.streams.stdout, 'Are you sure you want to continue?'))) return 0;
    }

    const pruners = [pruneContainers, pruneNetworks, ...(volumes ? [pruneVolumes] : []), pruneImages, pruneBuildCache];
    await runPrunes(context, pruners, { all, filters });
    return 0;
  },
};

export const builderPruneCommand: Command = {
  name: 'prune',
  usage: '[OPTIONS]',
  summary: 'Remove build cache',
  flags: [{ name: 'all', short: 'a', kind: 'bool', description: 'Remove all unused build cache, not just dangling ones' }, FORCE_FLAG],
  args: { max: 0 },
  async run(context, flags) {
    const all = flags.bool('all');
    if (!flags.bool('force')) {
      const warning = all ? 'WARNING! This will remove all build cache.' : 'WARNING! This will remove all dangling build cache.';
      if (!(await confirm(context.streams.stdin, context.streams.stdout, `${warning} Are you sure you want to continue?`))) return 0;
    }
    await runPrunes(context, [pruneBuildCache], { all, filters: [] });
    return 0;
  },
};
