// The two ways berthd responds to a request: through node's ServerResponse for
// ordinary requests (HttpReply), or by writing HTTP/1.1 by hand on the raw
// socket that node hands over for "Upgrade: tcp" requests (SocketReply).
// Both hijack the connection for attach and exec start.
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { MAX_API_VERSION } from './version';
import type { HijackedConnection, Reply } from './context';

// Headers dockerd sends on every response.
export function commonHeaders(serverVersion: string): Record<string, string> {
  return {
    'Api-Version': MAX_API_VERSION,
    'Docker-Experimental': 'false',
    Ostype: 'linux',
    Server: `Berth/${serverVersion} (linux)`,
  };
}

function jsonBody(value: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(value)}\n`);
}

// Sockets taken over by a hijack. Node's HTTP parser may reject their later input, which the server then ignores.
export const hijackedSockets = new WeakSet<Socket>();

function hijackedConnection(socket: Socket, input: Readable): HijackedConnection {
  return {
    input,
    output: socket,
    finish() {
      if (socket.destroyed) return;
      socket.end();
      // The client usually closes its side once it has read everything. Do not wait for it forever.
      setTimeout(() => socket.destroy(), 5000).unref();
    },
    destroy() {
      socket.destroy();
    },
  };
}

export class HttpReply implements Reply {
  constructor(
    private readonly request: IncomingMessage,
    private readonly response: ServerResponse,
  ) {}

  get headersSent(): boolean {
    return this.response.headersSent || hijackedSockets.has(this.request.socket);
  }

  get statusCode(): number {
    return this.response.statusCode;
  }

  setHeader(name: string, value: string): void {
    this.response.setHeader(name, value);
  }

  json(status: number, value: unknown): void {
    const body = jsonBody(value);
    this.response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length });
    this.response.end(body);
  }

  empty(status: number): void {
    this.response.writeHead(status, { 'Content-Length': 0 });
    this.response.end();
  }

  text(status: number, body: string, contentType: string): void {
    const bytes = Buffer.from(body);
    this.response.writeHead(status, { 'Content-Type': contentType, 'Content-Length': bytes.length });
    this.response.end(bytes);
  }

  startStream(status: number, contentType: string): Writable {
    this.response.writeHead(status, { 'Content-Type': contentType });
    this.response.flushHeaders();
    return this.response;
  }

  // Responds with 101 when the request carries an Upgrade header that node did not treat as an upgrade
  // because "Connection: Upgrade" was missing. Otherwise it sends a bare 200, as dockerd does for
  // clients that do not upgrade. Either way the client's input arrives as the request body.
  hijack(contentType: string): HijackedConnection {
    const socket = this.request.socket;
    hijackedSockets.add(socket);
    const upgrade = this.request.headers.upgrade !== undefined;
    this.response.statusCode = upgrade ? 101 : 200;
    const statusLine = upgrade ? 'HTTP/1.1 101 UPGRADED' : 'HTTP/1.1 200 OK';
    const upgradeHeaders = upgrade ? 'Connection: Upgrade\r\nUpgrade: tcp\r\n' : '';
    const headers = Object.entries(this.response.getHeaders())
      .map(([name, value]) => `${name}: ${String(value)}\r\n`)
      .join('');
    socket.write(`${statusLine}\r\nContent-Type: ${contentType}\r\n${upgradeHeaders}${headers}\r\n`);

    // A request without a body has no input. Its end must not read as the client closing stdin.
    const contentLength = Number(this.request.headers['content-length'] ?? 0);
    const hasBody = contentLength > 0 || this.request.headers['transfer-encoding'] !== undefined;
    return hijackedConnection(socket, hasBody ? this.request : new PassThrough());
  }
}

export class SocketReply implements Reply {
  private sent = false;
  private status = 0;

  constructor(
    private readonly socket: Socket,
    headers: Record<string, string>,
  ) {
    this.headers = { ...headers };
  }

  private readonly headers: Record<string, string>;

  get headersSent(): boolean {
    return this.sent;
  }

  get statusCode(): number {
    return this.status;
  }

  setHeader(name: string, value: string): void {
    this.headers[name] = value;
  }

  private writeHead(status: number, statusText: string, extra: Record<string, string | number>): void {
    this.sent = true;
    this.status = status;
    const lines = [`HTTP/1.1 ${status} ${statusText}`];
    for (const [name, value] of Object.entries({ ...this.headers, ...extra })) lines.push(`${name}: ${value}`);
    this.socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  }

  private sendBody(status: number, contentType: string | null, body: Buffer): void {
    const extra: Record<string, string | number> = { 'Content-Length': body.length, Connection: 'close' };
    if (contentType) extra['Content-Type'] = contentType;
    this.writeHead(status, STATUS_CODES[status] ?? 'Unknown', extra);
    this.socket.end(body);
  }

  json(status: number, value: unknown): void {
    this.sendBody(status, 'application/json', jsonBody(value));
  }

  empty(status: number): void {
    this.sendBody(status, null, Buffer.alloc(0));
  }

  text(status: number, body: string, contentType: string): void {
    this.sendBody(status, contentType, Buffer.from(body));
  }

  // The body ends when the connection closes, since this path has no chunked encoding.
  startStream(status: number, contentType: string): Writable {
    this.writeHead(status, STATUS_CODES[status] ?? 'Unknown', { 'Content-Type': contentType, Connection: 'close' });
    const body = new PassThrough();
    body.pipe(this.socket);
    return body;
  }

  hijack(contentType: string): HijackedConnection {
    hijackedSockets.add(this.socket);
    this.writeHead(101, 'UPGRADED', { 'Content-Type': contentType, Connection: 'Upgrade', Upgrade: 'tcp' });
    return hijackedConnection(this.socket, this.socket);
  }
}
