// berth system df -v --format: one template run over the whole report, whose
// Images, Containers, Volumes and BuildCache lists contain the rows docker images,
// docker ps and docker volume ls format, with ids not truncated.
import { ContainerRow, VolumeRow, imageRows, type ApiContainerSummary, type ApiImageSummary, type ApiVolume, type ImageRow } from '../format/contexts';
import { FormatError, templateTextOf } from '../format/formatter';
import { parseGoTemplate, TemplateExecutionError, TemplateSyntaxError } from '../format/template';
import type { JsonMarshaler } from '../format/template-functions';

// The template context of the verbose report (docker's diskUsageContext in verbose mode).
export class VerboseDiskUsage implements JsonMarshaler {
  readonly templateTypeName = '*formatter.diskUsageContext';
  readonly Images: ImageRow[];
  readonly Containers: ContainerRow[];
  readonly Volumes: VolumeRow[];
  // The API's build cache records as they arrived.
  readonly BuildCache: Record<string, unknown>[];

  constructor(usage: { Images?: ApiImageSummary[] | null; Containers?: ApiContainerSummary[] | null; Volumes?: ApiVolume[] | null; BuildCache?: object[] | null }, now: number) {
    this.Images = imageRows(usage.Images ?? [], { truncate: false, digests: false, now });
    this.Containers = (usage.Containers ?? []).map((container) => new ContainerRow(container, false, now));
    this.Volumes = (usage.Volumes ?? []).map((volume) => new VolumeRow(volume));
    this.BuildCache = (usage.BuildCache ?? []).map((record) => ({ ...record }));
  }

  // Marshals as the Go struct does: fields in declaration order, each row as its own JSON.
  toTemplateJson(): string {
    const list = (rows: JsonMarshaler[]) => `[${rows.map((row) => row.toTemplateJson()).join(',')}]`;
    return `{"Images":${list(this.Images)},"Containers":${list(this.Containers)},"Volumes":${list(this.Volumes)},"BuildCache":${JSON.stringify(this.BuildCache)}}`;
  }
}

// Executes a custom format once over the verbose report. Like docker, it adds no newline at the
// end, and "table TEMPLATE" runs its template over the report too, with no header.
export function renderVerboseFormat(format: string, report: VerboseDiskUsage): string {
  const { text } = templateTextOf(format);
  try {
    return parseGoTemplate(text).execute(report);
  } catch (error) {
    if (error instanceof TemplateSyntaxError || error instanceof TemplateExecutionError) throw new FormatError(error.message);
    throw error;
  }
}
