// berth history (image history) and berth save (image save).
import { CliError, PROGRAM, type Command } from '../command';
import { ellipsis, truncateId } from '../format/contexts';
import { FormatError, renderList } from '../format/formatter';
import { escapeJsonHtml, type JsonMarshaler } from '../format/template-functions';
import { humanDuration, humanSizeWithPrecision } from '../format/units';
import { checkOutputPath, checkStdoutTarget, writeArchive } from './archive-output';

// One entry of GET /images/{name}/history.
export interface ApiHistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

export const HISTORY_HEADERS: Record<string, string> = {
  ID: 'IMAGE',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  CreatedBy: 'CREATED BY',
  Size: 'SIZE',
  Comment: 'COMMENT',
};

export const DEFAULT_HISTORY_TABLE = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';

// Formats Unix seconds as Go's time.RFC3339 in the local time zone: "2024-05-01T10:00:00+02:00" or "...Z" in UTC.
export function rfc3339(unixSeconds: number): string {
  const date = new Date(unixSeconds * 1000);
  const offsetMinutes = -date.getTimezoneOffset();
  const local = new Date(date.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 19);
  if (offsetMinutes === 0) return `${local}Z`;
  const sign = offsetMinutes > 0 ? '+' : '-';
  const absolute = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.trunc(absolute / 60)).padStart(2, '0')}:${String(absolute % 60).padStart(2, '0')}`;
}

// The template context of one history row (docker's historyContext): ID, CreatedSince, CreatedAt, CreatedBy, Size, Comment.
export class HistoryRow implements JsonMarshaler {
  readonly templateTypeName = '*image.historyContext';

  constructor(
    private readonly item: ApiHistoryItem,
    private readonly truncate: boolean,
    private readonly human: boolean,
    private readonly now: number = Date.now(),
  ) {}

  ID(): string {
    if (this.item.Id === '<missing>' || !this.truncate) return this.item.Id;
    return truncateId(this.item.Id);
  }

  CreatedAt(): string {
    return rfc3339(this.item.Created);
  }

  CreatedSince(): string {
    if (!this.human) return this.CreatedAt();
    return `${humanDuration(this.now - this.item.Created * 1000)} ago`;
  }

  CreatedBy(): string {
    const createdBy = this.item.CreatedBy.replace(/\t/g, ' ');
    return this.truncate ? ellipsis(createdBy, 45) : createdBy;
  }

  Size(): string {
    return this.human ? humanSizeWithPrecision(this.item.Size, 3) : String(this.item.Size);
  }

  Comment(): string {
    return this.item.Comment;
  }

  toTemplateJson(): string {
    const record: Record<string, string> = {};
    for (const field of Object.keys(HISTORY_HEADERS).sort()) record[field] = (this as unknown as Record<string, () => string>)[field].call(this);
    return escapeJsonHtml(JSON.stringify(record));
  }
}

export const historyCommand: Command = {
  name: 'history',
  usage: '[OPTIONS] IMAGE',
  summary: 'Show the history of an image',
  flags: [
    { name: 'format', kind: 'string', description: 'Output format: "table", "table TEMPLATE", "json" (one object per line) or a Go template' },
    { name: 'human', short: 'H', kind: 'bool', description: 'Print sizes and dates in human readable format', defaultValue: true },
    { name: 'no-trunc', kind: 'bool', description: "Don't truncate output" },
    { name: 'platform', kind: 'string', description: 'Show the history of this platform of the image (berth stores one platform per image)', hidden: true },
    { name: 'quiet', short: 'q', kind: 'bool', description: 'Only show image IDs' },
  ],
  args: { min: 1, max: 1 },
  aliases: [`${PROGRAM} image history`, `${PROGRAM} history`],
  async run(context, flags, [image]) {
    const client = await context.client();
    const items = await client.json<ApiHistoryItem[]>('GET', `/images/${encodeURIComponent(image)}/history`, {
      query: { platform: flags.string('platform') || undefined },
    });
    const now = Date.now();
    const rows = (items ?? []).map((item) => new HistoryRow(item, !flags.bool('no-trunc'), flags.bool('human'), now));
    try {
      context.streams.stdout.write(
        renderList({ format: flags.string('format'), defaultTable: DEFAULT_HISTORY_TABLE, quietFormat: '{{.ID}}', quiet: flags.bool('quiet'), headers: HISTORY_HEADERS }, rows),
      );
    } catch (error) {
      if (error instanceof FormatError) throw new CliError(error.message);
      throw error;
    }
    return 0;
  },
};

export const saveCommand: Command = {
  name: 'save',
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  summary: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  flags: [
    { name: 'output', short: 'o', kind: 'string', description: 'Write to a file, instead of STDOUT' },
    { name: 'platform', kind: 'string', description: 'Save only this platform of the images (berth stores one platform per image)', hidden: true },
  ],
  args: { min: 1 },
  aliases: [`${PROGRAM} image save`, `${PROGRAM} save`],
  async run(context, flags, images) {
    const output = flags.string('output');
    checkStdoutTarget(output, context.streams);
    checkOutputPath(output, 'save image');
    const client = await context.client();
    const archive = await client.stream('GET', '/images/get', { query: { names: images, platform: flags.string('platform') || undefined } });
    await writeArchive(archive, output, context.streams);
    return 0;
  },
};
