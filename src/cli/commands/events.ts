// berth events: prints the daemon's events as they arrive, one per line, in
// docker's format "TIME TYPE ACTION ID (key=value, ...)" or with --format.
// With --until the stream ends at that time. Otherwise it runs until interrupted.
import type { Readable } from 'node:stream';
import { CliError, PROGRAM, type Command } from '../command';
import { templateTextOf } from '../format/formatter';
import { parseGoTemplate } from '../format/template';
import { TemplateExecutionError } from '../format/template-exec';
import { TemplateSyntaxError } from '../format/template-lexer';
import { timestampFlag } from './time-flags';
import { checkFilter, encodeFilters } from './filters';

interface EventMessage {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes?: Record<string, string> };
  time: number;
  timeNano: number;
}

// Formats nanoseconds since the epoch as Go's RFC3339NanoFixed in the local time zone, as docker does.
export function formatEventTime(timeNano: bigint): string {
  const milliseconds = Number(timeNano / 1_000_000n);
  const fraction = (timeNano % 1_000_000_000n).toString().padStart(9, '0');
  const date = new Date(milliseconds);
  const offsetMinutes = -date.getTimezoneOffset();
  const local = new Date(milliseconds + offsetMinutes * 60_000);
  const pad = (value: number) => String(value).padStart(2, '0');
  const stamp = `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  if (offsetMinutes === 0) return `${stamp}.${fraction}Z`;
  const sign = offsetMinutes > 0 ? '+' : '-';
  const absolute = Math.abs(offsetMinutes);
  return `${stamp}.${fraction}${sign}${pad(Math.floor(absolute / 60))}:${pad(absolute % 60)}`;
}

// Returns docker's default line for an event. Attributes are sorted by key.
export function formatEventLine(event: EventMessage, timeNano: bigint): string {
  // Sorted by code unit, as Go's sort.Strings does.
  const keys = Object.keys(event.Actor.Attributes ?? {}).sort();
  const attributes = keys.map((key) => `${key}=${event.Actor.Attributes?.[key]}`);
  const suffix = attributes.length > 0 ? ` (${attributes.join(', ')})` : '';
  return `${formatEventTime(timeNano)} ${event.Type} ${event.Action} ${event.Actor.ID}${suffix}`;
}

// Reads newline-separated JSON events from the response and calls onEvent with each and its exact timeNano.
async function readEvents(response: Readable, onEvent: (event: EventMessage, timeNano: bigint) => void): Promise<void> {
  let buffered = '';
  response.setEncoding('utf8');
  for await (const chunk of response) {
    buffered += chunk as string;
    let newline = buffered.indexOf('\n');
    while (newline !== -1) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line !== '') {
        // JSON.parse rounds timeNano (above 2^53), so its digits are read from the text.
        const digits = /"timeNano":(\d+)/.exec(line)?.[1];
        const event = JSON.parse(line) as EventMessage;
        onEvent(event, digits ? BigInt(digits) : BigInt(event.time) * 1_000_000_000n);
      }
      newline = buffered.indexOf('\n');
    }
  }
}

export const eventsCommand: Command = {
  name: 'events',
  usage: '[OPTIONS]',
  summary: 'Get real time events from the server',
  flags: [
    { name: 'filter', short: 'f', kind: 'list', description: 'Filter events: container=, image=, event=, type=, label=, network=, volume=', check: checkFilter },
    { name: 'format', kind: 'string', description: 'Output format: "json" (one object per line) or a Go template' },
    { name: 'since', kind: 'string', description: 'Show events since a time: RFC 3339 date, Unix time, or a duration before now (42m)' },
    { name: 'until', kind: 'string', description: 'Stream events until a time, in the same forms as --since' },
  ],
  args: { max: 0 },
  aliases: [`${PROGRAM} system events`, `${PROGRAM} events`],
  async run(context, flags) {
    const since = timestampFlag(flags, 'since');
    const until = timestampFlag(flags, 'until');

    const format = flags.string('format');
    let template: ReturnType<typeof parseGoTemplate> | null = null;
    if (format !== '') {
      try {
        template = parseGoTemplate(templateTextOf(format).text);
      } catch (error) {
        if (error instanceof TemplateSyntaxError) throw new CliError(`template parsing error: ${error.message}`);
        throw error;
      }
    }

    const client = await context.client();
    const response = await client.stream('GET', '/events', { query: { since, until, filters: encodeFilters(flags.list('filter')) } });
    const stdout = context.streams.stdout;
    await readEvents(response, (event, timeNano) => {
      if (template === null) {
        stdout.write(`${formatEventLine(event, timeNano)}\n`);
        return;
      }
      try {
        stdout.write(`${template.execute(event)}\n`);
      } catch (error) {
        if (error instanceof TemplateExecutionError) throw new CliError(`template parsing error: ${error.message}`);
        throw error;
      }
    });
    return 0;
  },
};
