// Decompresses a layer or root filesystem tar chosen by its magic bytes, as
// Docker does: gzip with node:zlib, zstd, xz and bzip2 with Debian's command
// line tools (one process per stream, never per file), and plain tar as is.
import { spawn } from 'node:child_process';
import { Readable, pipeline } from 'node:stream';
import zlib from 'node:zlib';

export type Compression = 'none' | 'gzip' | 'zstd' | 'xz' | 'bzip2';

const MAGIC_LENGTH = 6;

export function detectCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 3 && head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  return 'none';
}

const EXTERNAL_TOOLS: Record<'zstd' | 'xz' | 'bzip2', string> = { zstd: 'zstd', xz: 'xz', bzip2: 'bzip2' };

// Returns the decompressed bytes of source and the compression that was found.
export async function decompress(source: AsyncIterable<Buffer>): Promise<{ compression: Compression; data: AsyncIterable<Buffer> }> {
  const iterator = source[Symbol.asyncIterator]();
  const headChunks: Buffer[] = [];
  let headLength = 0;
  let ended = false;
  while (headLength < MAGIC_LENGTH) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    headChunks.push(next.value);
    headLength += next.value.length;
  }
  const head = Buffer.concat(headChunks);
  const whole = replay(head, ended ? null : iterator);

  const compression = detectCompression(head);
  switch (compression) {
    case 'none':
      return { compression, data: whole };
    case 'gzip':
      return { compression, data: pipeline(Readable.from(whole), zlib.createGunzip(), noop) };
    default:
      return { compression, data: decompressExternally(EXTERNAL_TOOLS[compression], whole) };
  }
}

function noop(): void {
  // pipeline destroys the last stream with the error, so the consumer's iteration reports it.
}

async function* replay(head: Buffer, rest: AsyncIterator<Buffer> | null): AsyncGenerator<Buffer> {
  if (head.length > 0) yield head;
  if (rest === null) return;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}

async function* decompressExternally(tool: string, input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const child = spawn(tool, ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError?: Error }>((resolve) => {
    child.on('error', (spawnError) => resolve({ code: null, signal: null, spawnError }));
    child.on('close', (code, signal) => resolve({ code, signal }));
  });

  let inputError: Error | null = null;
  pipeline(Readable.from(input), child.stdin, (error) => {
    // EPIPE here means the tool exited early; its exit status explains why.
    if (error && (error as NodeJS.ErrnoException).code !== 'EPIPE') inputError = error;
  });

  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    const status = await exited;
    if (inputError) throw inputError;
    if (status.spawnError) throw new Error(`decompress with ${tool}: ${status.spawnError.message}; install it with apt-get`, { cause: status.spawnError });
    if (status.code !== 0) {
      const reason = status.signal ? `killed by ${status.signal}` : `exit code ${status.code}`;
      throw new Error(`decompress with ${tool} -dc: ${reason}: ${Buffer.concat(stderr).toString().trim()}`);
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
