// Hijacked connections for attach and exec start. The request carries
// "Connection: Upgrade" and "Upgrade: tcp". After the daemon's 101 response
// the socket is a raw two-way byte stream: stdin one way, output the other.
import http from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { DaemonUnreachableError, errorFromBody } from './api-error';

export interface HijackedStream {
  // Bytes from the daemon: multiplexed frames without a TTY, raw terminal output with one.
  readonly output: Readable;
  // Sends bytes to the process's stdin. Returns false when the caller should wait for 'drain' on output.
  write(data: Buffer): boolean;
  // Half-closes the socket so the process reads end of file on stdin, while output keeps flowing.
  closeWrite(): void;
  close(): void;
}

class UpgradedSocket implements HijackedStream {
  constructor(private readonly socket: Socket) {}

  get output(): Readable {
    return this.socket;
  }

  write(data: Buffer): boolean {
    if (this.socket.writableEnded || this.socket.destroyed) return true;
    return this.socket.write(data);
  }

  closeWrite(): void {
    if (!this.socket.writableEnded && !this.socket.destroyed) this.socket.end();
  }

  close(): void {
    this.socket.destroy();
  }
}

// A daemon that replies 200 without upgrading still streams output on the response, but stdin cannot be sent.
class PlainResponse implements HijackedStream {
  constructor(private readonly response: http.IncomingMessage) {}

  get output(): Readable {
    return this.response;
  }

  write(): boolean {
    return true;
  }

  closeWrite(): void {}

  close(): void {
    this.response.destroy();
  }
}

export function hijackRequest(socketPath: string, path: string, body: unknown, userAgent: string): Promise<HijackedStream> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? null : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = {
      'User-Agent': userAgent,
      Connection: 'Upgrade',
      Upgrade: 'tcp',
      'Content-Type': payload ? 'application/json' : 'text/plain',
      'Content-Length': String(payload?.length ?? 0),
    };
    const request = http.request({ socketPath, method: 'POST', path, headers });

    request.on('upgrade', (_response, socket, head) => {
      socket.setNoDelay(true);
      if (head.length > 0) socket.unshift(head);
      resolve(new UpgradedSocket(socket));
    });

    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      if (status < 400) {
        resolve(new PlainResponse(response));
        return;
      }
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => reject(errorFromBody(status, Buffer.concat(chunks), path)));
      response.on('error', reject);
    });

    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') reject(new DaemonUnreachableError(socketPath, error.code, { cause: error }));
      else reject(error);
    });
    request.end(payload ?? undefined);
  });
}
