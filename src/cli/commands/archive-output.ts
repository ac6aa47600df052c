// Writes a tar stream from the daemon (save, export) to a file given with -o
// or to stdout. A file is written through a temporary file in the same
// directory and renamed, so a failed transfer never leaves a partial archive.
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CliError, type Streams } from '../command';

export const TERMINAL_REFUSAL = 'cowardly refusing to save to a terminal. Use the -o flag or redirect';

// Checks the directory of the -o path before the request is sent, with the docker CLI's messages.
export function checkOutputPath(file: string, operation: string): void {
  if (file === '') return;
  const directory = path.dirname(file);
  let stats: fs.Stats;
  try {
    stats = fs.statSync(directory);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (error as Error).message;
    throw new CliError(`failed to ${operation}: invalid output path: stat ${directory}: ${reason}`);
  }
  if (!stats.isDirectory()) throw new CliError(`failed to ${operation}: invalid output path: "${directory}" must be a directory`);
}

// Rejects a terminal stdout before any request, as docker save and export do.
export function checkStdoutTarget(file: string, streams: Streams): void {
  if (file === '' && streams.stdout.isTTY) throw new CliError(TERMINAL_REFUSAL);
}

export async function writeArchive(archive: Readable, file: string, streams: Streams): Promise<void> {
  if (file === '') {
    await pipeline(archive, streams.stdout, { end: false });
    return;
  }
  const temporary = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    await pipeline(archive, fs.createWriteStream(temporary, { mode: 0o600 }));
    fs.chmodSync(temporary, 0o644 & ~process.umask());
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw new CliError(`write ${file}: ${(error as Error).message}`);
  }
}
