// Runs the API server in-process on a socket in a temporary directory, in
// front of the in-memory engine double, and captures its log lines.
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createApiServer, type ApiServer } from '../../src/api/server';
import { defaultConfig } from '../../src/common/config';
import { InMemoryEngineDouble } from './in-memory-engine-double';

export interface HarnessResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

export interface Harness {
  engine: InMemoryEngineDouble;
  socketPath: string;
  directory: string;
  server: ApiServer;
  logLines: Record<string, unknown>[];
  request(method: string, requestPath: string, body?: unknown, headers?: Record<string, string>): Promise<HarnessResponse>;
  close(): Promise<void>;
}

export async function startHarness(engine = new InMemoryEngineDouble()): Promise<Harness> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-api-test-'));
  const socketPath = path.join(directory, 'run', 'api.sock');
  const logLines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  const logger = pino({ level: 'debug', base: undefined }, sink).child({ subsystem: 'api' });
  const server = createApiServer(engine, { config: defaultConfig('apitest', directory), logger, version: '9.9.9-test' });
  await server.listen(socketPath);

  return {
    engine,
    socketPath,
    directory,
    server,
    logLines,
    request: (method, requestPath, body, headers) => sendRequest(socketPath, method, requestPath, body, headers),
    async close() {
      await server.close();
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
}

export function sendRequest(
  socketPath: string,
  method: string,
  requestPath: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HarnessResponse> {
  return new Promise((resolve, reject) => {
    const payload =
      body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const request = http.request(
      {
        socketPath,
        method,
        path: requestPath,
        headers: { ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {}), ...headers },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const data = Buffer.concat(chunks);
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: data,
            text: data.toString(),
            json: <T>() => JSON.parse(data.toString()) as T,
          });
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

export interface RawResponse {
  socket: net.Socket;
  statusLine: string;
  headers: Record<string, string>;
  // Bytes that arrived after the header block.
  rest: Buffer;
}

// Sends a hand-written HTTP request and returns the connection once the response header block arrived.
export function rawRequest(socketPath: string, requestText: string | Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      socket.pause();
      const [statusLine, ...lines] = buffered.subarray(0, end).toString().split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ socket, statusLine, headers, rest: buffered.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(requestText);
  });
}

// Collects everything the connection sends until the server ends it.
export function readUntilEnd(socket: net.Socket, initial: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks = [initial];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('error', reject);
    socket.resume();
  });
}

export function upgradeRequest(method: string, requestPath: string, body = ''): string {
  const length = Buffer.byteLength(body);
  const contentHeaders = length > 0 ? `Content-Type: application/json\r\nContent-Length: ${length}\r\n` : '';
  return `${method} ${requestPath} HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n${contentHeaders}\r\n${body}`;
}

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
