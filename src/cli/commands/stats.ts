// berth stats: a live table of containers' resource usage, or one snapshot with --no-stream.
import type { IncomingMessage } from 'node:http';
import { CliError, PROGRAM, type Command } from '../command';
import type { ApiClient } from '../client/api-client';
import { FormatError, renderList, type ListFormat } from '../format/formatter';
import type { ApiContainerSummary } from '../format/contexts';
import { DEFAULT_STATS_TABLE, STATS_HEADERS, StatsRow, type ApiStats } from './stats-row';

const REDRAW_INTERVAL_MS = 1000;
const CLEAR_SCREEN = '\x1b[2J\x1b[H';

function render(format: ListFormat, rows: StatsRow[]): string {
  try {
    return renderList(format, rows);
  } catch (error) {
    if (error instanceof FormatError) throw new CliError(error.message);
    throw error;
  }
}

async function listTargets(client: ApiClient, all: boolean): Promise<string[]> {
  const containers = await client.json<ApiContainerSummary[]>('GET', '/containers/json', { query: { all: all || undefined } });
  return containers.map((container) => container.Id);
}

// Reads newline-separated JSON objects from a streaming stats response.
function followStats(response: IncomingMessage, onStats: (stats: ApiStats) => void): Promise<void> {
  return new Promise((resolve) => {
    let pending = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      pending += chunk;
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        if (line !== '') onStats(JSON.parse(line) as ApiStats);
        newline = pending.indexOf('\n');
      }
    });
    response.on('end', () => resolve());
    response.on('error', () => resolve());
  });
}

export const statsCommand: Command = {
  name: 'stats',
  usage: '[OPTIONS] [CONTAINER...]',
  summary: 'Display a live stream of container(s) resource usage statistics',
  flags: [
    { name: 'all', short: 'a', kind: 'bool', description: 'Show all containers (default shows just running)' },
    { name: 'format', kind: 'string', description: 'Output format: "table", "table TEMPLATE", "json" (one object per line) or a Go template' },
    { name: 'no-stream', kind: 'bool', description: 'Disable streaming stats and only pull the first result' },
    { name: 'no-trunc', kind: 'bool', description: 'Do not truncate output' },
  ],
  args: {},
  aliases: [`${PROGRAM} container stats`, `${PROGRAM} stats`],
  async run(context, flags, args) {
    const client = await context.client();
    const truncate = !flags.bool('no-trunc');
    const format: ListFormat = { format: flags.string('format'), defaultTable: DEFAULT_STATS_TABLE, quietFormat: DEFAULT_STATS_TABLE, quiet: false, headers: STATS_HEADERS };
    const targets = args.length > 0 ? args : await listTargets(client, flags.bool('all'));
    const path = (target: string) => `/containers/${encodeURIComponent(target)}/stats`;

    if (flags.bool('no-stream')) {
      const results = await Promise.allSettled(targets.map((target) => client.json<ApiStats>('GET', path(target), { query: { stream: false } })));
      const rows: StatsRow[] = [];
      const errors: string[] = [];
      results.forEach((result, index) => {
        if (result.status === 'fulfilled') rows.push(new StatsRow(targets[index], result.value, truncate));
        else errors.push(result.reason instanceof Error ? result.reason.message : String(result.reason));
      });
      if (errors.length > 0) throw new CliError(errors.join('\n'));
      context.streams.stdout.write(render(format, rows));
      return 0;
    }

    // Streaming: each container's latest sample, redrawn once a second.
    const latest = new Map<string, ApiStats>();
    const responses = await Promise.all(targets.map((target) => client.stream('GET', path(target), { query: { stream: true } })));
    const followers = responses.map((response, index) => followStats(response, (stats) => latest.set(targets[index], stats)));
    const redraw = () => {
      const rows = targets.filter((target) => latest.has(target)).map((target) => new StatsRow(target, latest.get(target)!, truncate));
      const clear = context.streams.stdout.isTTY ? CLEAR_SCREEN : '';
      context.streams.stdout.write(clear + render(format, rows));
    };
    const timer = setInterval(redraw, REDRAW_INTERVAL_MS);
    try {
      await Promise.all(followers);
    } finally {
      clearInterval(timer);
    }
    return 0;
  },
};
