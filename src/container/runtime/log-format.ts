// conmon's k8s-file log format, one record per line:
//   <RFC 3339 time with nanoseconds and UTC offset> <stdout|stderr> <P|F> <content>
// conmon splits output at newlines. F marks a complete line whose newline it
// dropped. P marks a piece of a line (a read ended before a newline), to
// which it added a newline only to end the record.
import type { LogEntry, OutputStreamName } from '../../engine/engine';

export interface LogRecord {
  // UTC, RFC 3339 with up to nine fraction digits (Go's RFC3339Nano).
  time: string;
  // Unix seconds with fraction, for since and until filters.
  seconds: number;
  stream: OutputStreamName;
  partial: boolean;
  content: Buffer;
}

const SPACE = 0x20;
const NEWLINE = Buffer.from('\n');
const TIME_PATTERN = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

// Converts conmon's local time with offset to UTC, keeping the nanoseconds.
export function toUtcTime(value: string): { time: string; seconds: number } | null {
  const match = TIME_PATTERN.exec(value);
  if (!match) return null;
  const milliseconds = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(milliseconds)) return null;
  const digits = (match[2] ?? '').padEnd(9, '0');
  const fraction = digits.replace(/0+$/, '');
  const base = new Date(milliseconds).toISOString().slice(0, 19);
  return {
    time: fraction ? `${base}.${fraction}Z` : `${base}Z`,
    seconds: milliseconds / 1000 + Number(digits) / 1e9,
  };
}

// Parses one line (without its newline), or returns null for a malformed line.
export function parseLogLine(line: Buffer): LogRecord | null {
  const firstSpace = line.indexOf(SPACE);
  if (firstSpace < 0) return null;
  const secondSpace = line.indexOf(SPACE, firstSpace + 1);
  if (secondSpace < 0) return null;
  const converted = toUtcTime(line.toString('latin1', 0, firstSpace));
  const streamName = line.toString('latin1', firstSpace + 1, secondSpace);
  if (!converted || (streamName !== 'stdout' && streamName !== 'stderr')) return null;

  let partial = false;
  let contentStart = secondSpace + 1;
  const tag = line[secondSpace + 1];
  if ((tag === 0x50 || tag === 0x46) && (line.length === secondSpace + 2 || line[secondSpace + 2] === SPACE)) {
    partial = tag === 0x50;
    contentStart = Math.min(line.length, secondSpace + 3);
  }
  return { ...converted, stream: streamName, partial, content: line.subarray(contentStart) };
}

// Pieces of one line longer than this are emitted without waiting for the
// rest, as Docker's log copier does with its 16 KiB line buffer.
const MAX_PENDING_BYTES = 16 * 1024;

interface PendingLine {
  time: string;
  seconds: number;
  parts: Buffer[];
  size: number;
}

export interface TimedLogEntry extends LogEntry {
  seconds: number;
}

// Joins P records with the record that completes their line, per stream, so
// that a line written in several pieces is one entry stamped with the time
// of its first piece.
export class LineJoiner {
  private readonly pending = new Map<OutputStreamName, PendingLine>();

  add(record: LogRecord): TimedLogEntry | null {
    const waiting = this.pending.get(record.stream);
    if (record.partial) {
      const line = waiting ?? { time: record.time, seconds: record.seconds, parts: [], size: 0 };
      line.parts.push(Buffer.from(record.content));
      line.size += record.content.length;
      this.pending.set(record.stream, line);
      if (line.size < MAX_PENDING_BYTES) return null;
      this.pending.delete(record.stream);
      return { stream: record.stream, time: line.time, seconds: line.seconds, data: Buffer.concat(line.parts) };
    }
    this.pending.delete(record.stream);
    const parts = waiting ? [...waiting.parts, record.content, NEWLINE] : [record.content, NEWLINE];
    return { stream: record.stream, time: waiting?.time ?? record.time, seconds: waiting?.seconds ?? record.seconds, data: Buffer.concat(parts) };
  }

  // Returns the pieces still waiting for their end, as entries without a newline.
  flush(): TimedLogEntry[] {
    const entries = [...this.pending.entries()].map(([stream, line]) => ({ stream, time: line.time, seconds: line.seconds, data: Buffer.concat(line.parts) }));
    this.pending.clear();
    return entries.sort((a, b) => a.seconds - b.seconds);
  }
}

// Splits a byte stream into lines. A trailing piece without a newline waits for more data.
export class LineSplitter {
  private remainder: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    const data = this.remainder.length ? Buffer.concat([this.remainder, chunk]) : chunk;
    const lines: Buffer[] = [];
    let start = 0;
    let newline = data.indexOf(0x0a, start);
    while (newline >= 0) {
      lines.push(data.subarray(start, newline));
      start = newline + 1;
      newline = data.indexOf(0x0a, start);
    }
    this.remainder = Buffer.from(data.subarray(start));
    return lines;
  }
}
