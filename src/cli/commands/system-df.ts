// berth system df: the TYPE TOTAL ACTIVE SIZE RECLAIMABLE summary and, with
// -v, the per-image, per-container and per-volume tables, from GET /system/df.
import type { Command } from '../command';
import { ContainerRow, VolumeRow, imageRows, type ApiContainerSummary, type ApiImageSummary, type ApiVolume } from '../format/contexts';
import { alignColumns } from '../format/tabwriter';
import { humanSize } from '../format/units';

interface DiskUsageReply {
  LayersSize?: number;
  Images?: ApiImageSummary[] | null;
  Containers?: ApiContainerSummary[] | null;
  Volumes?: ApiVolume[] | null;
  BuildCache?: { Size?: number; InUse?: boolean; Shared?: boolean }[] | null;
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

function table(rows: string[][]): string {
  return alignColumns(rows.map((row) => row.join('\t')).join('\n') + '\n');
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
  const cacheTable = table([['CACHE ID', 'CACHE TYPE', 'SIZE', 'CREATED', 'LAST USED', 'USAGE', 'SHARED']]);
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
  flags: [{ name: 'verbose', short: 'v', kind: 'bool', description: 'Show detailed information on space usage' }],
  args: { max: 0 },
  async run(context, flags) {
    const client = await context.client();
    const usage = (await client.json<DiskUsageReply>('GET', '/system/df')) ?? {};
    if (flags.bool('verbose')) {
      context.streams.stdout.write(verboseReport(usage, Date.now()));
      return 0;
    }
    const rows = summaryLines(usage).map((line) => [line.type, String(line.total), String(line.active), humanSize(line.size), reclaimableText(line)]);
    context.streams.stdout.write(table([['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'], ...rows]));
    return 0;
  },
};
