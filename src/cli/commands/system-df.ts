// berth system df: the TYPE TOTAL ACTIVE SIZE RECLAIMABLE summary and, with
// -v, the per-image, per-container, per-volume and build cache tables, from
// GET /system/df.
import { CliError, type Command } from '../command';
import { ContainerRow, VolumeRow, imageRows, type ApiContainerSummary, type ApiImageSummary, type ApiVolume } from '../format/contexts';
import { FormatError, renderList, TABLE_PREFIX } from '../format/formatter';
import { alignColumns } from '../format/tabwriter';
import { renderVerboseFormat, VerboseDiskUsage } from './system-df-verbose';
import { escapeJsonHtml, type JsonMarshaler } from '../format/template-functions';
import { humanDuration, humanSize } from '../format/units';

interface DiskUsageReply {
  LayersSize?: number;
  Images?: ApiImageSummary[] | null;
  Containers?: ApiContainerSummary[] | null;
  Volumes?: ApiVolume[] | null;
  BuildCache?: ApiBuildCacheRecord[] | null;
}

interface ApiBuildCacheRecord {
  ID?: string;
  Type?: string;
  Size?: number;
  InUse?: boolean;
  Shared?: boolean;
  CreatedAt?: string;
  LastUsedAt?: string | null;
  UsageCount?: number;
}

interface SummaryLine {
  type: string;
  total: number;
  active: number;
  size: number;
  reclaimable: number;
  // Docker omits the percentage for build cache and when the size is 0.
  percentage: boolean;
}

function reclaimableText(line: SummaryLine): string {
  const text = humanSize(line.reclaimable);
  if (!line.percentage || line.size <= 0) return text;
  return `${text} (${Math.floor((line.reclaimable * 100) / line.size)}%)`;
}

// Computes the summary as docker's disk usage formatter does.
export function summaryLines(usage: DiskUsageReply): SummaryLine[] {
  const images = usage.Images ?? [];
  const layersSize = usage.LayersSize ?? 0;
  // Bytes of images in use that no other image shares cannot be reclaimed.
  const usedImageBytes = images.filter((image) => (image.Containers ?? 0) > 0).reduce((total, image) => total + (image.Size ?? 0) - Math.max(0, image.SharedSize ?? 0), 0);

  const containers = usage.Containers ?? [];
  const activeContainer = (container: { State?: string }) => ['running', 'paused', 'restarting'].includes(container.State ?? '');
  const containerSize = containers.reduce((total, container) => total + (container.SizeRw ?? 0), 0);
  const containerReclaimable = containers.filter((container) => !activeContainer(container)).reduce((total, container) => total + (container.SizeRw ?? 0), 0);

  const volumes = usage.Volumes ?? [];
  const volumeSize = volumes.reduce((total, volume) => total + Math.max(0, volume.UsageData?.Size ?? 0), 0);
  const volumeReclaimable = volumes.filter((volume) => (volume.UsageData?.RefCount ?? 0) === 0).reduce((total, volume) => total + Math.max(0, volume.UsageData?.Size ?? 0), 0);

  const cache = usage.BuildCache ?? [];
  return [
    { type: 'Images', total: images.length, active: images.filter((image) => (image.Containers ?? 0) > 0).length, size: layersSize, reclaimable: layersSize - usedImageBytes, percentage: true },
    { type: 'Containers', total: containers.length, active: containers.filter(activeContainer).length, size: containerSize, reclaimable: containerReclaimable, percentage: true },
    { type: 'Local Volumes', total: volumes.length, active: volumes.filter((volume) => (volume.UsageData?.RefCount ?? 0) > 0).length, size: volumeSize, reclaimable: volumeReclaimable, percentage: true },
    {
      type: 'Build Cache',
      total: cache.length,
      active: cache.filter((record) => record.InUse).length,
      size: cache.reduce((total, record) => total + (record.Size ?? 0), 0),
      reclaimable: cache.filter((record) => !record.InUse && !record.Shared).reduce((total, record) => total + (record.Size ?? 0), 0),
      percentage: false,
    },
  ];
}

export const DISK_USAGE_HEADERS: Record<string, string> = {
  Type: 'TYPE',
  TotalCount: 'TOTAL',
  Active: 'ACTIVE',
  Size: 'SIZE',
  Reclaimable: 'RECLAIMABLE',
};

export const DEFAULT_DISK_USAGE_TABLE = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';

const ROW_TYPE_NAMES: Record<string, string> = {
  Images: '*formatter.diskUsageImagesContext',
  Containers: '*formatter.diskUsageContainersContext',
  'Local Volumes': '*formatter.diskUsageVolumesContext',
  'Build Cache': '*formatter.diskUsageBuilderContext',
};

// The template context of one summary line (docker's diskUsageContext): every field is text, as docker prints it.
export class DiskUsageRow implements JsonMarshaler {
  // Docker has one context type per line, and template errors name it.
  readonly templateTypeName: string;

  constructor(private readonly line: SummaryLine) {
    this.templateTypeName = ROW_TYPE_NAMES[line.type] ?? '*formatter.diskUsageContext';
  }

  Type(): string {
    return this.line.type;
  }

  TotalCount(): string {
    return String(this.line.total);
  }

  Active(): string {
    return String(this.line.active);
  }

  Size(): string {
    return humanSize(this.line.size);
  }

  Reclaimable(): string {
    return reclaimableText(this.line);
  }

  toTemplateJson(): string {
    const record: Record<string, string> = {};
    for (const field of Object.keys(DISK_USAGE_HEADERS).sort()) record[field] = (this as unknown as Record<string, () => string>)[field].call(this);
    return escapeJsonHtml(JSON.stringify(record));
  }
}

function table(rows: string[][]): string {
  return alignColumns(rows.map((row) => row.join('\t')).join('\n') + '\n');
}

function timeSince(time: string | null | undefined, now: number): string {
  const parsed = Date.parse(time ?? '');
  return Number.isNaN(parsed) ? '' : `${humanDuration(now - parsed)} ago`;
}

// One row of docker's build cache table: the ID without "sha256:" cut to 12 characters, with "*" when in use.
function buildCacheRow(record: ApiBuildCacheRecord, now: number): string[] {
  const id = (record.ID ?? '').replace(/^sha256:/, '').slice(0, 12);
  return [
    record.InUse ? `${id}*` : id,
    record.Type ?? '',
    humanSize(record.Size ?? 0),
    timeSince(record.CreatedAt, now),
    timeSince(record.LastUsedAt, now),
    String(record.UsageCount ?? 0),
    String(record.Shared ?? false),
  ];
}

function verboseReport(usage: DiskUsageReply, now: number): string {
  const images = imageRows(usage.Images ?? [], { truncate: true, digests: false, now });
  const imageTable = table([
    ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE', 'CONTAINERS'],
    ...images.map((row) => [row.Repository(), row.Tag(), row.ID(), row.CreatedSince(), row.Size(), row.SharedSize(), row.UniqueSize(), row.Containers()]),
  ]);

  const containerTable = table([
    ['CONTAINER ID', 'IMAGE', 'COMMAND', 'LOCAL VOLUMES', 'SIZE', 'CREATED', 'STATUS', 'NAMES'],
    ...(usage.Containers ?? []).map((container) => {
      const row = new ContainerRow(container, true, now);
      return [row.ID(), row.Image(), row.Command(), row.LocalVolumes(), humanSize(container.SizeRw ?? 0), row.RunningFor(), row.Status(), row.Names()];
    }),
  ]);

  const volumeTable = table([
    ['VOLUME NAME', 'LINKS', 'SIZE'],
    ...(usage.Volumes ?? []).map((volume) => {
      const row = new VolumeRow(volume);
      return [row.Name(), row.Links(), row.Size()];
    }),
  ]);

  const cacheSize = (usage.BuildCache ?? []).reduce((total, record) => total + (record.Size ?? 0), 0);
  const cacheTable = table([['CACHE ID', 'CACHE TYPE', 'SIZE', 'CREATED', 'LAST USED', 'USAGE', 'SHARED'], ...(usage.BuildCache ?? []).map((record) => buildCacheRow(record, now))]);
  return [
    `Images space usage:\n\n${imageTable}`,
    `Containers space usage:\n\n${containerTable}`,
    `Local Volumes space usage:\n\n${volumeTable}`,
    `Build cache usage: ${humanSize(cacheSize)}\n\n${cacheTable}`,
  ].join('\n');
}

export const systemDfCommand: Command = {
  name: 'df',
  usage: '[OPTIONS]',
  summary: 'Show docker disk usage',
  flags: [
    { name: 'verbose', short: 'v', kind: 'bool', description: 'Show detailed information on space usage' },
    { name: 'format', kind: 'string', description: 'Output format: "table", "table TEMPLATE", "json" or a Go template over Type, TotalCount, Active, Size, Reclaimable. With -v, over Images, Containers, Volumes, BuildCache' },
  ],
  args: { max: 0 },
  async run(context, flags) {
    const format = flags.string('format');
    const verbose = flags.bool('verbose');
    const client = await context.client();
    const usage = (await client.json<DiskUsageReply>('GET', '/system/df')) ?? {};
    const defaultFormat = format === '' || format === TABLE_PREFIX;
    try {
      if (verbose && defaultFormat) {
        context.streams.stdout.write(verboseReport(usage, Date.now()));
      } else if (verbose) {
        context.streams.stdout.write(renderVerboseFormat(format, new VerboseDiskUsage(usage, Date.now())));
      } else {
        const rows = summaryLines(usage).map((line) => new DiskUsageRow(line));
        context.streams.stdout.write(renderList({ format, defaultTable: DEFAULT_DISK_USAGE_TABLE, quietFormat: DEFAULT_DISK_USAGE_TABLE, quiet: false, headers: DISK_USAGE_HEADERS }, rows));
      }
    } catch (error) {
      if (error instanceof FormatError) throw new CliError(error.message);
      throw error;
    }
    return 0;
  },
};
