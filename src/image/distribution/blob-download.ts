// Downloads one blob to a file while hashing it, so that nothing unverified
// reaches the layer store: the size and the sha256 must match the
// descriptor, or the file is removed and the pull fails.
import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import fsp from 'node:fs/promises';
import type { Logger } from '../../common/logger';
import { InvalidArgumentError } from '../../common/errors';
import { RegistryError, type RegistryClient } from './client';
import type { Descriptor } from './manifest';
import { OffThreadSha256 } from '../sha256-worker';

const MAX_ATTEMPTS = 3;
const FIRST_BACKOFF_MS = 500;

// Errors of the body stream that another attempt may not see.
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

export class BlobVerificationError extends InvalidArgumentError {}

// Writes the blob to file and calls onBytes with the bytes received so far.
// A transient failure restarts the download from the beginning, for at most
// three attempts. Every failed attempt calls onRestart, then removes the file.
export async function downloadBlob(
  client: RegistryClient,
  descriptor: Descriptor,
  file: string,
  onBytes: (received: number) => void,
  logger: Logger,
  onRestart: () => void = () => undefined,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await downloadOnce(client, descriptor, file, onBytes);
      return;
    } catch (error) {
      onRestart();
      await fsp.rm(file, { force: true });
      const code = (error as NodeJS.ErrnoException).code;
      const retryable = (code !== undefined && TRANSIENT_CODES.has(code)) || (error instanceof RegistryError && error.status >= 500);
      if (!retryable || attempt >= MAX_ATTEMPTS) throw error;
      logger.warn({ blob: descriptor.digest, repository: client.repository, attempt, err: error }, 'blob download failed; retrying');
      await new Promise((resolve) => setTimeout(resolve, FIRST_BACKOFF_MS * 2 ** (attempt - 1)));
    }
  }
}

async function downloadOnce(client: RegistryClient, descriptor: Descriptor, file: string, onBytes: (received: number) => void): Promise<void> {
  const response = await client.request('GET', client.repositoryUrl(`blobs/${descriptor.digest}`), { expect: [200] });
  // Hashing on the worker thread leaves the main thread to the layer that unpacks meanwhile.
  const hash = new OffThreadSha256();
  try {
    const received = await writeBody(response.body, descriptor, file, hash, onBytes);
    if (received !== descriptor.size) {
      throw new BlobVerificationError(`filesystem layer verification failed for digest ${descriptor.digest}: expected ${descriptor.size} bytes, got ${received}`);
    }
    const actual = await hash.digest();
    if (actual !== descriptor.digest) {
      throw new BlobVerificationError(`filesystem layer verification failed for digest ${descriptor.digest}: digest mismatch: the content hashes to ${actual}`);
    }
  } finally {
    // Frees the worker's hash when digest() was not reached. After digest() it does nothing.
    hash.cancel();
  }
}

// Writes the response body to file while hashing it, and returns the bytes received.
async function writeBody(body: IncomingMessage, descriptor: Descriptor, file: string, hash: OffThreadSha256, onBytes: (received: number) => void): Promise<number> {
  let received = 0;
  const output = fs.createWriteStream(file, { flags: 'wx', mode: 0o600 });
  const closed = new Promise<void>((resolve, reject) => {
    output.on('close', resolve);
    output.on('error', reject);
  });
  try {
    for await (const chunk of body) {
      const buffer = chunk as Buffer;
      received += buffer.length;
      if (received > descriptor.size) {
        body.destroy();
        throw new BlobVerificationError(`filesystem layer verification failed for digest ${descriptor.digest}: the registry sent more than the ${descriptor.size} bytes the manifest lists`);
      }
      hash.update(buffer);
      if (!output.write(buffer)) await new Promise<void>((resolve) => output.once('drain', () => resolve()));
      onBytes(received);
    }
  } finally {
    output.end();
    await closed;
  }
  return received;
}
