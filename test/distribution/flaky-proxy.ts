// An HTTP proxy in front of a test registry that fails chosen requests: a 503
// status, a connection reset in the middle of the body, or a stall until the
// test releases it. It makes transient failures repeatable.
import http from 'node:http';
import type net from 'node:net';
import { freePort } from './registry';

export type Fault = 'pass' | 'status-503' | 'reset-mid-body' | 'stall';

export interface FlakyProxy {
  host: string;
  // Requests seen per "METHOD path", counting from 1.
  counts: Map<string, number>;
  stalled: number;
  stop(): Promise<void>;
}

// plan decides per request; count is how often this method and path were seen, this one included.
export async function startFlakyProxy(target: string, plan: (method: string, path: string, count: number) => Fault): Promise<FlakyProxy> {
  const port = await freePort();
  const counts = new Map<string, number>();
  const sockets = new Set<net.Socket>();
  const proxy: FlakyProxy = { host: `127.0.0.1:${port}`, counts, stalled: 0, stop: async () => undefined };

  const server = http.createServer((request, response) => {
    const key = `${request.method} ${(request.url ?? '').split('?')[0]}`;
    const count = (counts.get(key) ?? 0) + 1;
    counts.set(key, count);
    const fault = plan(request.method ?? 'GET', (request.url ?? '').split('?')[0], count);
    if (fault === 'status-503') {
      response.writeHead(503, { 'Content-Type': 'text/plain' });
      response.end('injected failure');
      return;
    }
    if (fault === 'stall') {
      proxy.stalled++;
      return;
    }
    const upstream = http.request(new URL(request.url ?? '/', target), { method: request.method, headers: { ...request.headers, host: new URL(target).host } }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      if (fault === 'reset-mid-body') {
        answer.once('data', (chunk: Buffer) => {
          response.write(chunk.subarray(0, Math.max(1, Math.floor(chunk.length / 2))), () => request.socket.destroy());
          answer.destroy();
        });
        return;
      }
      answer.pipe(response);
    });
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  proxy.stop = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
  return proxy;
}
