// berth inspect (any object type), the typed inspect commands, and top.
// Without -f the objects print as one JSON array indented by four spaces;
// with -f the template runs once per object. Objects that were found print
// first, then the errors, and any error means exit 1.
import { ApiError, type ApiClient } from '../client/api-client';
import { CliError, PROGRAM, type Command, type CommandContext } from '../command';
import type { FlagSpec } from '../flags';
import { FormatError, renderEach } from '../format/formatter';
import { indentJson } from '../format/json-indent';
import { alignColumns } from '../format/tabwriter';

type ObjectType = 'container' | 'image' | 'volume' | 'network';

const OBJECT_TYPES: ObjectType[] = ['container', 'image', 'volume', 'network'];

function objectRoute(type: ObjectType, name: string): string {
  const encoded = encodeURIComponent(name);
  switch (type) {
    case 'container':
      return `/containers/${encoded}/json`;
    case 'image':
      return `/images/${encoded}/json`;
    case 'volume':
      return `/volumes/${encoded}`;
    case 'network':
      return `/networks/${encoded}`;
  }
}

async function fetchObject(client: ApiClient, type: ObjectType, name: string, size: boolean): Promise<string> {
  return client.text('GET', objectRoute(type, name), { query: { size: type === 'container' && size ? true : undefined } });
}

// Tries each object type in turn, as docker inspect does without --type.
async function fetchAnyObject(client: ApiClient, name: string, size: boolean): Promise<string> {
  for (const type of OBJECT_TYPES) {
    try {
      return await fetchObject(client, type, name, size);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 404) throw error;
    }
  }
  throw new CliError(`Error: No such object: ${name}`);
}

async function inspectObjects(context: CommandContext, names: string[], format: string, fetch: (client: ApiClient, name: string) => Promise<string>): Promise<number> {
  const client = await context.client();
  const results = await Promise.allSettled(names.map((name) => fetch(client, name)));
  const found: string[] = [];
  const errors: string[] = [];
  for (const result of results) {
    if (result.status === 'fulfilled') found.push(result.value.trim());
    else errors.push(result.reason instanceof Error ? result.reason.message : String(result.reason));
  }

  if (format === 'json') {
    // --format json prints the daemon's JSON as one compact array, as docker does.
    context.streams.stdout.write(`[${found.join(',')}]\n`);
  } else if (format !== '') {
    try {
      // NOTE: integers beyond 2^53 lose precision here, unlike the JSON output below.
      context.streams.stdout.write(renderEach(format, found.map((text) => JSON.parse(text) as unknown)));
    } catch (error) {
      if (error instanceof FormatError) throw new CliError(error.message);
      throw error;
    }
  } else {
    context.streams.stdout.write(`${indentJson(`[${found.join(',')}]`, '    ')}\n`);
  }

  if (errors.length > 0) throw new CliError(errors.join('\n'));
  return 0;
}

const FORMAT_FLAG: FlagSpec = { name: 'format', short: 'f', kind: 'string', description: 'Format the output with a Go template, or "json"' };

export const inspectCommand: Command = {
  name: 'inspect',
  usage: '[OPTIONS] NAME|ID [NAME|ID...]',
  summary: 'Return low-level information on Berth objects',
  flags: [
    FORMAT_FLAG,
    { name: 'size', short: 's', kind: 'bool', description: 'Display total file sizes if the type is container' },
    { name: 'type', kind: 'string', description: 'Only inspect objects of this type: container, image, volume or network' },
  ],
  args: { min: 1 },
  async run(context, flags, names) {
    const type = flags.string('type');
    const size = flags.bool('size');
    if (type !== '' && !OBJECT_TYPES.includes(type as ObjectType)) {
      throw new CliError(`unknown type: "${type}": must be one of ${OBJECT_TYPES.map((name) => `"${name}"`).join(', ')}`);
    }
    const fetch = type === '' ? (client: ApiClient, name: string) => fetchAnyObject(client, name, size) : (client: ApiClient, name: string) => fetchObject(client, type as ObjectType, name, size);
    return inspectObjects(context, names, flags.string('format'), fetch);
  },
};

function typedInspect(type: ObjectType, noun: string, extraFlags: FlagSpec[] = []): Command {
  const upper = noun.toUpperCase();
  return {
    name: 'inspect',
    usage: `[OPTIONS] ${upper} [${upper}...]`,
    summary: `Display detailed information on one or more ${noun}s`,
    flags: [FORMAT_FLAG, ...extraFlags],
    args: { min: 1 },
    async run(context, flags, names) {
      const size = extraFlags.length > 0 && flags.bool('size');
      return inspectObjects(context, names, flags.string('format'), (client, name) => fetchObject(client, type, name, size));
    },
  };
}

export const containerInspectCommand = typedInspect('container', 'container', [{ name: 'size', short: 's', kind: 'bool', description: 'Display total file sizes' }]);
export const imageInspectCommand = typedInspect('image', 'image');
export const volumeInspectCommand = typedInspect('volume', 'volume');
export const networkInspectCommand = typedInspect('network', 'network');

export const topCommand: Command = {
  name: 'top',
  usage: 'CONTAINER [ps OPTIONS]',
  summary: 'Display the running processes of a container',
  flags: [],
  args: { min: 1 },
  interspersed: false,
  aliases: [`${PROGRAM} container top`, `${PROGRAM} top`],
  async run(context, _flags, [target, ...psArguments]) {
    const client = await context.client();
    const table = await client.json<{ Titles: string[]; Processes: string[][] | null }>('GET', `/containers/${encodeURIComponent(target)}/top`, {
      query: { ps_args: psArguments.length > 0 ? psArguments.join(' ') : undefined },
    });
    const lines = [table.Titles.join('\t'), ...(table.Processes ?? []).map((process) => process.join('\t'))];
    context.streams.stdout.write(alignColumns(`${lines.join('\n')}\n`, { minWidth: 20, padding: 3 }));
    return 0;
  },
};
