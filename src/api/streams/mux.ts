// Docker's multiplexed stream format (application/vnd.docker.multiplexed-stream),
// used for attach, exec and logs of containers without a TTY. Each frame is an
// 8-byte header, [stream, 0, 0, 0, uint32 big-endian payload length], then the
// payload. Stream 0 is stdin, 1 stdout, 2 stderr, and 3 carries a system error message.
import type { OutputStreamName } from '../../engine/engine';

export const STREAM_STDIN = 0;
export const STREAM_STDOUT = 1;
export const STREAM_STDERR = 2;
export const STREAM_SYSTEM_ERROR = 3;

const HEADER_LENGTH = 8;

export function streamNumber(name: OutputStreamName): number {
  return name === 'stderr' ? STREAM_STDERR : STREAM_STDOUT;
}

export function encodeFrame(stream: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_LENGTH);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

export interface Frame {
  stream: number;
  payload: Buffer;
}

// Splits a byte stream into frames and buffers a partial frame until the rest arrives.
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Frame[] = [];
    while (this.pending.length >= HEADER_LENGTH) {
      const length = this.pending.readUInt32BE(4);
      if (this.pending.length < HEADER_LENGTH + length) break;
      frames.push({ stream: this.pending[0], payload: this.pending.subarray(HEADER_LENGTH, HEADER_LENGTH + length) });
      this.pending = this.pending.subarray(HEADER_LENGTH + length);
    }
    return frames;
  }

  // Bytes of an incomplete frame. Non-zero at the end of a stream means it was cut short.
  get pendingBytes(): number {
    return this.pending.length;
  }
}
