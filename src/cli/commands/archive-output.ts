// Writes a tar stream from the daemon (save, export) to a file given with -o
// or to stdout. A file is written through a temporary file in the same
// directory and renamed, so a failed transfer never leaves a partial archive.
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CliError, type Streams } from '../command';

export const TERMINAL_REFUSAL = 'cowardly refusing to save to a terminal. Use the -o flag or redirect';

// Checks the -o path before the request is sent, with the docker CLI's message for a missing directory.
export function checkOutputPath(file: string, operation: string): void {
  if (file === '') return;
  const directory = path.dirname(path.resolve(file));
  if (!fs.existsSync(directory)) throw new CliError(`failed to ${operation}: invalid output path: directory "${directory}" does not exist`);
  if (fs.existsSync(file) && !fs.statSync(file).isFile()) throw new CliError(`failed to ${operation}: invalid output path: "${file}" must be a file`);
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
