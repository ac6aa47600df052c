// Reads a container's conmon log file as LogEntry objects, with Docker's
// filters (tail, then since and until, then the stream choice) and follow mode.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { Readable } from 'node:stream';
import { hasErrorCode } from '../../common/errors';
import type { LogEntry, LogOptions } from '../../engine/engine';
import { LineJoiner, LineSplitter, parseLogLine, type TimedLogEntry } from './log-format';
import { heldLogPath, keptLogPaths } from './log-rotation';

const READ_CHUNK = 64 * 1024;
// While following, how often the reader checks whether the container still
// runs when the file does not change.
const FOLLOW_LIVENESS_MS = 200;

// Returns the file offset from which at least `lines` complete (F) records
// follow, so that reading from there yields the last `lines` entries.
export async function tailOffset(file: fsp.FileHandle, size: number, lines: number): Promise<number> {
  if (lines <= 0) return size;
  // buffer contains the file's bytes from bufferStart to size. Lines are
  // examined from the end, and `end` is where the next one to examine ends.
  let buffer = Buffer.alloc(0);
  let bufferStart = size;
  let end = 0;
  let complete = 0;
  while (true) {
    while (end > 0) {
      // The newline before this line. The line's own newline is at end - 1.
      const previousNewline = end >= 2 ? buffer.lastIndexOf(0x0a, end - 2) : -1;
      if (previousNewline < 0 && bufferStart > 0) break;
      const lineStart = previousNewline + 1;
      if (isCompleteRecord(buffer.subarray(lineStart, end))) {
        complete++;
        if (complete > lines) return bufferStart + end;
      }
      end = lineStart;
    }
    if (bufferStart === 0) return 0;
    const readStart = Math.max(0, bufferStart - READ_CHUNK);
    const chunk = Buffer.alloc(bufferStart - readStart);
    await file.read(chunk, 0, chunk.length, readStart);
    buffer = Buffer.concat([chunk, buffer]);
    end += chunk.length;
    bufferStart = readStart;
  }
}

// A line (including its newline) whose tag is F.
function isCompleteRecord(lineWithNewline: Buffer): boolean {
  const line = lineWithNewline[lineWithNewline.length - 1] === 0x0a ? lineWithNewline.subarray(0, -1) : lineWithNewline;
  const record = parseLogLine(line);
  return record !== null && !record.partial;
}

function passes(entry: TimedLogEntry, options: LogOptions): boolean {
  if (options.since > 0 && entry.seconds < options.since) return false;
  if (options.until > 0 && entry.seconds > options.until) return false;
  return entry.stream === 'stdout' ? options.stdout : options.stderr;
}

function strip(entry: TimedLogEntry): LogEntry {
  return { stream: entry.stream, time: entry.time, data: entry.data };
}

async function openIfExists(file: string): Promise<fsp.FileHandle | null> {
  try {
    return await fsp.open(file, 'r');
  } catch (error) {
    if (hasErrorCode(error, 'ENOENT')) return null;
    throw error;
  }
}

// Resolves after the file changes, the liveness interval passes, or the signal aborts.
function waitForChange(file: string, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    let watcher: fs.FSWatcher | null = null;
    const done = () => {
      clearTimeout(timer);
      watcher?.close();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, FOLLOW_LIVENESS_MS);
    try {
      watcher = fs.watch(file, { persistent: false }, done);
      watcher.on('error', done);
    } catch {
      // The file does not exist yet, so the timer checks again.
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

// Log files of the container, oldest first: the kept files, the held file when
// conmon replaced it and berthd has not yet moved it, and the current file.
async function olderLogFiles(logPath: string, maxFile: number): Promise<string[]> {
  if (maxFile <= 1) return [];
  const files: string[] = [];
  for (const keptPath of keptLogPaths(logPath, maxFile)) {
    if (await inodeOf(keptPath) !== null) files.push(keptPath);
  }
  const heldPath = heldLogPath(logPath);
  const heldInode = await inodeOf(heldPath);
  if (heldInode !== null && heldInode !== (await inodeOf(logPath))) files.push(heldPath);
  return files;
}

async function inodeOf(file: string): Promise<number | null> {
  try {
    return (await fsp.stat(file)).ino;
  } catch (error) {
    if (hasErrorCode(error, 'ENOENT')) return null;
    throw error;
  }
}

// Reads one closed-for-writing file from offset to its end as entries.
async function readWholeFile(file: string, offset: number, joiner: LineJoiner): Promise<{ entries: TimedLogEntry[]; complete: number }> {
  const handle = await openIfExists(file);
  if (!handle) return { entries: [], complete: 0 };
  try {
    const splitter = new LineSplitter();
    const chunk = Buffer.allocUnsafe(READ_CHUNK);
    const entries: TimedLogEntry[] = [];
    let complete = 0;
    let position = offset;
    while (true) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
      if (bytesRead === 0) return { entries, complete };
      position += bytesRead;
      for (const line of splitter.push(chunk.subarray(0, bytesRead))) {
        const record = parseLogLine(line);
        if (!record) continue;
        if (!record.partial) complete++;
        const entry = joiner.add(record);
        if (entry) entries.push(entry);
      }
    }
  } finally {
    await handle.close();
  }
}

// Returns the entries of the older files, limited to what a tail of `tail` lines needs.
async function readOlderFiles(files: string[], tail: number | null): Promise<{ entries: TimedLogEntry[]; joiner: LineJoiner }> {
  let start = 0;
  const offsets = new Map<string, number>();
  if (tail !== null) {
    // Walks back from the newest older file until the tail is covered.
    start = files.length;
    let needed = tail;
    while (start > 0 && needed > 0) {
      const file = files[start - 1];
      const handle = await openIfExists(file);
      if (!handle) break;
      try {
        const { size } = await handle.stat();
        const offset = await tailOffset(handle, size, needed);
        offsets.set(file, offset);
        start--;
        if (offset > 0) break;
        needed -= await countCompleteRecords(handle, size);
      } finally {
        await handle.close();
      }
    }
  }

  const joiner = new LineJoiner();
  const entries: TimedLogEntry[] = [];
  for (const file of files.slice(start)) {
    const read = await readWholeFile(file, offsets.get(file) ?? 0, joiner);
    entries.push(...read.entries);
  }
  return { entries, joiner };
}

async function countCompleteRecords(handle: fsp.FileHandle, size: number): Promise<number> {
  const content = Buffer.alloc(size);
  await handle.read(content, 0, size, 0);
  let count = 0;
  for (const line of new LineSplitter().push(content)) {
    const record = parseLogLine(line);
    if (record && !record.partial) count++;
  }
  return count;
}

async function* logEntries(logPath: string, options: LogOptions, isRunning: () => boolean, signal: AbortSignal | undefined, maxFile: number): AsyncGenerator<LogEntry> {
  const older = await readOlderFiles(await olderLogFiles(logPath, maxFile), options.tail);
  let file = await openIfExists(logPath);
  let splitter = new LineSplitter();
  const joiner = older.joiner;
  let position = 0;
  const chunk = Buffer.allocUnsafe(READ_CHUNK);

  // Reads from position to the current end of the file.
  const readAvailable = async (): Promise<TimedLogEntry[]> => {
    file ??= await openIfExists(logPath);
    if (!file) return [];
    const entries: TimedLogEntry[] = [];
    while (true) {
      const { bytesRead } = await file.read(chunk, 0, chunk.length, position);
      if (bytesRead === 0) return entries;
      position += bytesRead;
      for (const line of splitter.push(chunk.subarray(0, bytesRead))) {
        const record = parseLogLine(line);
        if (!record) continue;
        const entry = joiner.add(record);
        if (entry) entries.push(entry);
      }
    }
  };

  // conmon replaced the file at max-size when the path names another inode than the open file.
  const replaced = async (): Promise<boolean> => {
    if (!file) return false;
    const pathInode = await inodeOf(logPath);
    return pathInode !== null && pathInode !== (await file.stat()).ino;
  };

  try {
    if (file && options.tail !== null) {
      const { size } = await file.stat();
      position = await tailOffset(file, size, options.tail);
    }
    let existing = [...older.entries, ...(await readAvailable())];
    const following = options.follow && isRunning();
    if (!following) existing.push(...joiner.flush());
    if (options.tail !== null) existing = existing.slice(Math.max(0, existing.length - options.tail));
    for (const entry of existing) {
      if (passes(entry, options)) yield strip(entry);
    }
    if (!following) return;

    while (!signal?.aborted) {
      if (options.until > 0 && Date.now() / 1000 > options.until) return;
      const running = isRunning();
      const fresh = await readAvailable();
      if (await replaced()) {
        // The old file is complete once replaced: read its rest, then the new file from its start.
        fresh.push(...(await readAvailable()));
        await file?.close();
        file = null;
        splitter = new LineSplitter();
        position = 0;
        fresh.push(...(await readAvailable()));
      }
      // The container's output is complete once it stopped and the file was read to its end.
      if (!running) fresh.push(...joiner.flush());
      for (const entry of fresh) {
        if (passes(entry, options)) yield strip(entry);
      }
      if (!running) return;
      await waitForChange(logPath, signal);
    }
  } finally {
    await file?.close();
  }
}

// Returns an object-mode stream of LogEntry. With follow it ends once
// isRunning() is false and the file is read to its end, or on abort. With
// maxFile above 1 the kept older files are read first.
export function readLogFile(logPath: string, options: LogOptions, isRunning: () => boolean, signal?: AbortSignal, maxFile = 1): Readable {
  return Readable.from(logEntries(logPath, options, isRunning, signal, maxFile), { objectMode: true });
}
