// Docker's multiplexed stream format, used for attach, exec and logs when the
// process has no TTY. Each frame is an 8-byte header followed by the payload.
// The header contains the stream (0 stdin, 1 stdout, 2 stderr, 3 daemon error),
// three zero bytes, and the payload length as a big-endian uint32.
import type { Readable, Writable } from 'node:stream';

export const STREAM_STDIN = 0;
export const STREAM_STDOUT = 1;
export const STREAM_STDERR = 2;
export const STREAM_SYSTEM_ERROR = 3;
const HEADER_LENGTH = 8;

export class StreamFormatError extends Error {}

// Splits a byte stream into frames. Chunks may cut headers and payloads anywhere.
export class FrameDemuxer {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (stream: number, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= HEADER_LENGTH) {
      const stream = this.pending[0];
      if (stream > STREAM_SYSTEM_ERROR) throw new StreamFormatError(`unrecognized stream: ${stream}`);
      const length = this.pending.readUInt32BE(4);
      if (this.pending.length < HEADER_LENGTH + length) break;
      const payload = this.pending.subarray(HEADER_LENGTH, HEADER_LENGTH + length);
      this.pending = this.pending.subarray(HEADER_LENGTH + length);
      this.onFrame(stream, payload);
    }
  }

  // Bytes of an incomplete frame left when the stream ended.
  get remaining(): number {
    return this.pending.length;
  }
}

// Builds one frame for tests and for anything that needs to produce the format.
export function encodeFrame(stream: number, payload: Buffer | string): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(HEADER_LENGTH);
  header[0] = stream;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

function writeWithBackpressure(source: Readable, target: Writable, data: Buffer): void {
  if (data.length === 0) return;
  if (!target.write(data)) {
    source.pause();
    target.once('drain', () => source.resume());
  }
}

// Copies a multiplexed stream to stdout and stderr byte for byte. Resolves
// when the source ends. Rejects on a daemon error frame (stream 3) or a
// malformed header.
export function demultiplex(source: Readable, stdout: Writable, stderr: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    let failed = false;
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      source.destroy();
      reject(error);
    };
    const demuxer = new FrameDemuxer((stream, payload) => {
      if (stream === STREAM_SYSTEM_ERROR) fail(new Error(`error from daemon in stream: ${payload.toString('utf8')}`));
      else if (stream === STREAM_STDERR) writeWithBackpressure(source, stderr, payload);
      else writeWithBackpressure(source, stdout, payload);
    });
    source.on('data', (chunk: Buffer) => {
      if (failed) return;
      try {
        demuxer.push(chunk);
      } catch (error) {
        fail(error as Error);
      }
    });
    source.on('end', () => {
      if (!failed) resolve();
    });
    source.on('close', () => {
      if (!failed) resolve();
    });
    source.on('error', (error) => fail(error));
  });
}

// Copies a raw (TTY) stream to stdout.
export function copyRaw(source: Readable, stdout: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    source.on('data', (chunk: Buffer) => writeWithBackpressure(source, stdout, chunk));
    source.on('end', resolve);
    source.on('close', resolve);
    source.on('error', reject);
  });
}
