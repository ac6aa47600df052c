// Attach sessions over conmon's attach socket (SOCK_SEQPACKET). conmon
// binds it as "attach" in the bundle directory and links
// <socket-dir-path>/<cuuid> to that directory so the path stays short. Each
// packet conmon sends starts with a stream byte (2 stdout, 3 stderr, from
// conmon's stdpipe_t), followed by up to 8192 bytes of output. Packets the
// client sends are raw stdin. When a client shuts down its writing side,
// conmon closes the process's stdin unless it runs with --leave-stdin-open.
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ConflictError, hasErrorCode } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { nativeSys } from '../../sys/native';
import type { OutputChunk, StdioSession } from '../../engine/engine';
import { FD_READABLE, FD_WRITABLE, FdWatch } from './fd-watch';

const STDERR_PIPE = 3;
// conmon reads at most CONN_SOCK_BUF_SIZE - 1 (32767) bytes of a stdin packet and drops the rest.
const STDIN_PACKET_SIZE = 8192;
// A stream byte plus conmon's STDIO_BUF_SIZE of output.
const OUTPUT_PACKET_SIZE = 8193 + 64;
// sun_path has room for 108 bytes including the terminating NUL.
const MAX_SOCKET_PATH = 107;

// Connects to the attach socket of a conmon whose bundle is bundleDir and
// whose --socket-dir-path/--cuuid link is linkDir. A link path too long for
// sun_path is reached through /proc/self/fd instead.
export function connectAttachSocket(linkDir: string, bundleDir: string, description: string): number {
  const shortPath = path.join(linkDir, 'attach');
  try {
    if (Buffer.byteLength(shortPath) <= MAX_SOCKET_PATH) return nativeSys().connectSeqpacket(shortPath);
    const directory = fs.openSync(bundleDir, 'r');
    try {
      return nativeSys().connectSeqpacket(`/proc/self/fd/${directory}/attach`);
    } finally {
      fs.closeSync(directory);
    }
  } catch (error) {
    if (hasErrorCode(error, 'ENOENT') || hasErrorCode(error, 'ECONNREFUSED')) {
      throw new ConflictError(`attach to ${description}: it is not running (no attach socket at ${shortPath})`, { cause: error });
    }
    throw new Error(`attach to ${description}: connect ${shortPath}: ${(error as Error).message}`, { cause: error });
  }
}

export class AttachSession implements StdioSession {
  readonly output: Readable;
  readonly hasStdin: boolean;
  private readonly fd: number;
  private watch: FdWatch | null;
  private readonly buffer = Buffer.allocUnsafe(OUTPUT_PACKET_SIZE);
  private readonly pendingWrites: Buffer[] = [];
  private flowing = true;
  private stdinCloseRequested = false;
  private stdinClosed = false;
  private closed = false;
  private socketErrorReported = false;
  private resetReported = false;

  constructor(fd: number, hasStdin: boolean, private readonly logger: Logger, private readonly logIds: Record<string, string>) {
    this.fd = fd;
    this.hasStdin = hasStdin;
    this.output = new Readable({ objectMode: true, read: () => this.resume() });
    // A consumer that destroys the output is done with the session. Leaving
    // the session open would stall conmon, which blocks writing to it.
    this.output.on('close', () => this.close());
    this.watch = new FdWatch(fd, FD_READABLE, (status, events) => this.onReady(status, events));
  }

  private onReady(status: number, events: number): void {
    if (this.closed) return;
    if (status < 0) {
      // libuv stops the watch and reports EBADF when the socket has an error
      // pending. That is usually ECONNRESET: conmon exited with stdin packets
      // it never read. Its last output packets are still queued, so read them
      // before ending the session. A second report without progress ends it.
      if (this.socketErrorReported) {
        this.logger.debug({ ...this.logIds, status }, 'attach socket reported a second error without progress, ending the session');
        this.close();
        return;
      }
      this.socketErrorReported = true;
      this.logger.debug({ ...this.logIds, status }, 'attach socket reported an error, reading the queued output');
      this.readPackets();
      if (!this.closed) this.watch?.restart();
      return;
    }
    if (events & FD_WRITABLE) this.flushWrites();
    if (events & FD_READABLE) this.readPackets();
  }

  private readPackets(): void {
    while (this.flowing && !this.closed) {
      let length: number;
      try {
        length = fs.readSync(this.fd, this.buffer, 0, this.buffer.length, null);
      } catch (error) {
        if (hasErrorCode(error, 'EAGAIN') || hasErrorCode(error, 'EINTR')) return;
        // When conmon closed without reading all of stdin, Linux (checked on 6.18) returns
        // ECONNRESET once, ahead of the packets still queued. The next reads return them.
        if (hasErrorCode(error, 'ECONNRESET') && !this.resetReported) {
          this.resetReported = true;
          continue;
        }
        if (!hasErrorCode(error, 'ECONNRESET')) this.logger.warn({ ...this.logIds, err: error }, 'reading the attach socket failed, ending the session');
        this.close();
        return;
      }
      if (length === 0) {
        this.close();
        return;
      }
      this.resetReported = false;
      this.socketErrorReported = false;
      if (length === 1) continue;
      const chunk: OutputChunk = {
        stream: this.buffer[0] === STDERR_PIPE ? 'stderr' : 'stdout',
        data: Buffer.from(this.buffer.subarray(1, length)),
      };
      if (!this.output.push(chunk)) {
        // The reader is behind: stop reading, so conmon blocks instead of buffering without limit.
        this.flowing = false;
        this.updateEvents();
      }
    }
  }

  private resume(): void {
    if (this.flowing || this.closed) return;
    this.flowing = true;
    this.updateEvents();
    this.readPackets();
  }

  private updateEvents(): void {
    if (this.closed) return;
    const events = (this.flowing ? FD_READABLE : 0) | (this.pendingWrites.length > 0 ? FD_WRITABLE : 0);
    this.watch?.setEvents(events);
  }

  writeStdin(data: Buffer): void {
    if (!this.hasStdin || this.closed || this.stdinCloseRequested) return;
    for (let offset = 0; offset < data.length; offset += STDIN_PACKET_SIZE) {
      this.pendingWrites.push(Buffer.from(data.subarray(offset, offset + STDIN_PACKET_SIZE)));
    }
    this.flushWrites();
  }

  private flushWrites(): void {
    while (this.pendingWrites.length > 0 && !this.closed) {
      try {
        fs.writeSync(this.fd, this.pendingWrites[0]);
        this.pendingWrites.shift();
      } catch (error) {
        if (hasErrorCode(error, 'EAGAIN')) {
          this.updateEvents();
          return;
        }
        this.logger.debug({ ...this.logIds, err: error, droppedPackets: this.pendingWrites.length }, 'writing stdin to the attach socket failed, dropping the input');
        this.pendingWrites.length = 0;
      }
    }
    this.updateEvents();
    if (this.stdinCloseRequested && !this.stdinClosed && !this.closed) {
      this.stdinClosed = true;
      try {
        nativeSys().shutdownWrite(this.fd);
      } catch (error) {
        this.logger.debug({ ...this.logIds, err: error }, 'closing stdin on the attach socket failed');
      }
    }
  }

  // Sends end of file after any input still queued.
  closeStdin(): void {
    if (!this.hasStdin || this.stdinCloseRequested) return;
    this.stdinCloseRequested = true;
    this.flushWrites();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.watch?.stop();
    this.watch = null;
    try {
      fs.closeSync(this.fd);
    } catch (error) {
      this.logger.debug({ ...this.logIds, err: error }, 'closing the attach socket failed');
    }
    this.output.push(null);
  }
}
