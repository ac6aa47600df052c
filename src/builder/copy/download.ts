// ADD <url>: downloads a file into the build's temporary directory. The file
// gets mode 0600 and the mtime of the Last-Modified header, it is never
// extracted, and ADD --checksum is verified against its content.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

export interface DownloadedFile {
  hostPath: string;
  // Base name from the URL's path, used when the destination is a directory. It is "" when the path has none.
  name: string;
  mtime: Date;
  contentDigest: string;
  size: number;
}

// Parses --checksum: "sha256:<hex>" (the algorithm BuildKit requires for http sources), else an error.
export function parseChecksum(text: string): string {
  const match = /^(sha256):([0-9a-f]{64})$/.exec(text);
  if (!match) throw new Error(`invalid checksum "${text}": expected sha256:<64 hex digits>`);
  return `${match[1]}:${match[2]}`;
}

export async function downloadFile(url: string, directory: string, checksum: string | null): Promise<DownloadedFile> {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`ADD ${url}: only http and https URLs can be downloaded`);
  const expected = checksum === null ? null : parseChecksum(checksum);

  let response: Response;
  try {
    response = await fetch(url, { redirect: 'follow' });
  } catch (error) {
    throw new Error(`ADD ${url}: download failed: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`, { cause: error });
  }
  if (!response.ok || response.body === null) throw new Error(`ADD ${url}: download failed: HTTP status ${response.status} ${response.statusText}`);

  const downloadDirectory = await fsp.mkdtemp(path.join(directory, 'download-'));
  try {
    return await saveResponse(url, response, path.join(downloadDirectory, 'file'), expected);
  } catch (error) {
    await fsp.rm(downloadDirectory, { recursive: true, force: true });
    throw error;
  }
}

async function saveResponse(url: string, response: Response, hostPath: string, expected: string | null): Promise<DownloadedFile> {
  const hash = createHash('sha256');
  let size = 0;
  const body = Readable.fromWeb(response.body! as unknown as WebReadableStream<Uint8Array>);
  body.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    size += chunk.length;
  });
  await pipeline(body, fs.createWriteStream(hostPath, { mode: 0o600 }));

  const contentDigest = `sha256:${hash.digest('hex')}`;
  if (expected !== null && expected !== contentDigest) {
    throw new Error(`ADD ${url}: digest mismatch ${contentDigest}: expected ${expected}`);
  }

  const lastModified = response.headers.get('last-modified');
  const modified = lastModified === null ? Number.NaN : Date.parse(lastModified);
  const mtime = Number.isNaN(modified) ? new Date() : new Date(modified);
  await fsp.utimes(hostPath, mtime, mtime);
  return { hostPath, name: path.posix.basename(new URL(url).pathname), mtime, contentDigest, size };
}
