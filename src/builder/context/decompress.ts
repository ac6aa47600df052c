// Decompresses a build context or an ADD source chosen by its magic bytes,
// as dockerd accepts them: gzip with node:zlib, bzip2 and xz with Debian's
// command line tools, anything else passed through as plain tar.
import { spawn } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';

export type Compression = 'none' | 'gzip' | 'bzip2' | 'xz';

const MAGIC_LENGTH = 6;
const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

export function detectCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 6 && head.subarray(0, 6).equals(XZ_MAGIC)) return 'xz';
  if (head.length >= 3 && head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  return 'none';
}

// Whether the first 512 bytes are a tar header: "ustar" at offset 257, or a
// valid header checksum for old v7 archives.
export function looksLikeTar(head: Buffer): boolean {
  if (head.length < 512) return false;
  if (head.subarray(257, 262).toString('latin1') === 'ustar') return true;
  const written = Number.parseInt(head.subarray(148, 156).toString('latin1').replace(/\0.*$/, '').trim(), 8);
  if (!Number.isFinite(written)) return false;
  let sum = 0;
  for (let index = 0; index < 512; index++) sum += index >= 148 && index < 156 ? 0x20 : head[index];
  return sum === written;
}

// Reads the first bytes of source and returns them with a stream of the whole input.
async function peek(source: Readable, length: number): Promise<{ head: Buffer; whole: Readable }> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let total = 0;
  let ended = false;
  while (total < length) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    chunks.push(chunk);
    total += chunk.length;
  }
  const head = Buffer.concat(chunks);

  async function* replay(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (ended) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { head, whole: Readable.from(replay(), { objectMode: false }) };
}

// Returns the decompressed stream of source and the compression found.
export async function decompressStream(source: Readable): Promise<{ compression: Compression; data: Readable }> {
  const { head, whole } = await peek(source, MAGIC_LENGTH);
  const compression = detectCompression(head);

  if (compression === 'none') return { compression, data: whole };
  if (compression === 'gzip') {
    const gunzip = zlib.createGunzip();
    whole.on('error', (error) => gunzip.destroy(error));
    return { compression, data: whole.pipe(gunzip) };
  }
  return { compression, data: decompressWithTool(compression, whole) };
}

function decompressWithTool(tool: 'bzip2' | 'xz', input: Readable): Readable {
  const output = new PassThrough();
  const child = spawn(tool, ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));

  child.on('error', (error) => output.destroy(new Error(`decompress with ${tool}: ${error.message}: install ${tool} with apt-get`, { cause: error })));
  pipeline(input, child.stdin).catch((error: NodeJS.ErrnoException) => {
    // EPIPE means the tool exited early, and its exit status explains why.
    if (error.code !== 'EPIPE') output.destroy(error);
  });
  child.stdout.pipe(output, { end: false });
  child.on('close', (code, signal) => {
    if (code === 0) {
      output.end();
      return;
    }
    const reason = signal ? `killed by ${signal}` : `exit code ${code}`;
    output.destroy(new Error(`decompress with ${tool} -dc: ${reason}: ${Buffer.concat(stderr).toString().trim()}`));
  });
  output.on('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return output;
}
