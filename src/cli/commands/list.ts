// Listing commands: ps (container ls), images (image ls) and volume ls.
import { CliError, PROGRAM, type Command, type CommandContext } from '../command';
import {
  CONTAINER_HEADERS,
  ContainerRow,
  DEFAULT_CONTAINER_TABLE,
  DEFAULT_IMAGE_TABLE,
  DEFAULT_IMAGE_TABLE_WITH_DIGESTS,
  IMAGE_HEADERS,
  imageRows,
  VOLUME_HEADERS,
  VolumeRow,
  DEFAULT_VOLUME_TABLE,
  type ApiContainerSummary,
  type ApiImageSummary,
  type ApiVolume,
} from '../format/contexts';
import { FormatError, renderList, type ListFormat } from '../format/formatter';
import { checkFilter, encodeFilters } from './filters';

function printList(context: CommandContext, format: ListFormat, rows: object[]): number {
  try {
    context.streams.stdout.write(renderList(format, rows));
  } catch (error) {
    if (error instanceof FormatError) throw new CliError(error.message);
    throw error;
  }
  return 0;
}

const FORMAT_FLAG_DESCRIPTION = 'Output format: "table", "table TEMPLATE", "json" (one object per line) or a Go template';

export const psCommand: Command = {
  name: 'ps',
  usage: '[OPTIONS]',
  summary: 'List containers',
  flags: [
    { name: 'all', short: 'a', kind: 'bool', description: 'Show all containers (default shows just running)' },
    { name: 'filter', short: 'f', kind: 'list', description: 'Filter output: status=, name=, label=, id=, ancestor=, exited=', check: checkFilter },
    { name: 'format', kind: 'string', description: FORMAT_FLAG_DESCRIPTION },
    { name: 'last', short: 'n', kind: 'int', defaultValue: -1, description: 'Show the n most recently created containers (all states)' },
    { name: 'latest', short: 'l', kind: 'bool', description: 'Show the most recently created container (all states)' },
    { name: 'no-trunc', kind: 'bool', description: 'Do not truncate output' },
    { name: 'quiet', short: 'q', kind: 'bool', description: 'Only display container IDs' },
    { name: 'size', short: 's', kind: 'bool', description: 'Display total file sizes' },
  ],
  args: { max: 0 },
  aliases: [`${PROGRAM} container ls`, `${PROGRAM} container list`, `${PROGRAM} container ps`, `${PROGRAM} ps`],
  async run(context, flags) {
    const format = flags.string('format');
    let limit = flags.int('last');
    if (flags.bool('latest')) limit = 1;
    // A custom format that uses .Size needs the sizes even without -s.
    const size = flags.bool('size') || (format !== '' && /\.Size\b/.test(format));
    const client = await context.client();
    const containers = await client.json<ApiContainerSummary[]>('GET', '/containers/json', {
      query: { all: flags.bool('all') || undefined, limit: limit > 0 ? limit : undefined, size: size || undefined, filters: encodeFilters(flags.list('filter')) },
    });
    const truncate = !flags.bool('no-trunc');
    const now = Date.now();
    const defaultTable = flags.bool('size') ? `${DEFAULT_CONTAINER_TABLE}\t{{.Size}}` : DEFAULT_CONTAINER_TABLE;
    return printList(
      context,
      { format, defaultTable, quietFormat: '{{.ID}}', quiet: flags.bool('quiet'), headers: CONTAINER_HEADERS, validateRawFormat: true },
      containers.map((container) => new ContainerRow(container, truncate, now)),
    );
  },
};

export const imagesCommand: Command = {
  name: 'images',
  usage: '[OPTIONS] [REPOSITORY[:TAG]]',
  summary: 'List images',
  flags: [
    { name: 'all', short: 'a', kind: 'bool', description: 'Show all images (default hides intermediate images)' },
    { name: 'digests', kind: 'bool', description: 'Show digests' },
    { name: 'filter', short: 'f', kind: 'list', description: 'Filter output: reference=, label=, dangling=, before=, since=', check: checkFilter },
    { name: 'format', kind: 'string', description: FORMAT_FLAG_DESCRIPTION },
    { name: 'no-trunc', kind: 'bool', description: 'Do not truncate output' },
    { name: 'quiet', short: 'q', kind: 'bool', description: 'Only display image IDs' },
  ],
  args: { max: 1 },
  aliases: [`${PROGRAM} image ls`, `${PROGRAM} image list`, `${PROGRAM} images`],
  async run(context, flags, args) {
    const filters = [...flags.list('filter')];
    if (args.length === 1) filters.push(`reference=${args[0]}`);
    const client = await context.client();
    const images = await client.json<ApiImageSummary[]>('GET', '/images/json', { query: { all: flags.bool('all') || undefined, filters: encodeFilters(filters) } });
    const digests = flags.bool('digests');
    const rows = imageRows(images, { truncate: !flags.bool('no-trunc'), digests });
    return printList(
      context,
      { format: flags.string('format'), defaultTable: digests ? DEFAULT_IMAGE_TABLE_WITH_DIGESTS : DEFAULT_IMAGE_TABLE, quietFormat: '{{.ID}}', quiet: flags.bool('quiet'), headers: IMAGE_HEADERS },
      rows,
    );
  },
};

// Orders names as docker's sortorder.NaturalLess does: digit runs compare by value.
export function naturalCompare(left: string, right: string): number {
  const pattern = /(\d+)|(\D+)/g;
  const leftParts = left.match(pattern) ?? [];
  const rightParts = right.match(pattern) ?? [];
  for (let i = 0; i < Math.min(leftParts.length, rightParts.length); i++) {
    const a = leftParts[i];
    const b = rightParts[i];
    if (a === b) continue;
    const aNumber = /^\d/.test(a);
    const bNumber = /^\d/.test(b);
    if (aNumber && bNumber && Number(a) !== Number(b)) return Number(a) - Number(b);
    return a < b ? -1 : 1;
  }
  return leftParts.length - rightParts.length;
}

export const volumeListCommand: Command = {
  name: 'ls',
  usage: '[OPTIONS]',
  summary: 'List volumes',
  flags: [
    { name: 'filter', short: 'f', kind: 'list', description: 'Filter output: dangling=, driver=, label=, name=', check: checkFilter },
    { name: 'format', kind: 'string', description: FORMAT_FLAG_DESCRIPTION },
    { name: 'quiet', short: 'q', kind: 'bool', description: 'Only display volume names' },
  ],
  args: { max: 0 },
  aliases: [`${PROGRAM} volume ls`, `${PROGRAM} volume list`],
  async run(context, flags) {
    const client = await context.client();
    const response = await client.json<{ Volumes: ApiVolume[] | null }>('GET', '/volumes', { query: { filters: encodeFilters(flags.list('filter')) } });
    const volumes = [...(response.Volumes ?? [])].sort((a, b) => naturalCompare(a.Name, b.Name));
    return printList(
      context,
      { format: flags.string('format'), defaultTable: DEFAULT_VOLUME_TABLE, quietFormat: '{{.Name}}', quiet: flags.bool('quiet'), headers: VOLUME_HEADERS },
      volumes.map((volume) => new VolumeRow(volume)),
    );
  },
};
