// Small Engine API calls over a test daemon's unix socket.
import http from 'node:http';
import type { TestDaemon } from '../helpers/daemon';

export interface PullMessage {
  status?: string;
  id?: string;
  error?: string;
  errorDetail?: { message: string };
  progressDetail?: { current?: number; total?: number };
  aux?: { Tag: string; Digest: string; Size: number };
  // Set when the request failed before the stream started.
  httpStatus?: number;
}

export function apiRequest(daemon: TestDaemon, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ socketPath: daemon.socketPath, method, path, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function apiJson(daemon: TestDaemon, method: string, path: string): Promise<any> {
  const response = await apiRequest(daemon, method, path);
  if (response.status >= 300) throw new Error(`${method} ${path}: HTTP ${response.status}: ${response.text}`);
  return JSON.parse(response.text);
}

// POST /images/create?fromImage=&tag= and returns every JSON line of the stream.
export async function apiPull(daemon: TestDaemon, image: string, tag: string, options: { platform?: string; auth?: object } = {}): Promise<PullMessage[]> {
  const query = new URLSearchParams({ fromImage: image, tag });
  if (options.platform) query.set('platform', options.platform);
  const headers: Record<string, string> = {};
  if (options.auth) headers['X-Registry-Auth'] = Buffer.from(JSON.stringify(options.auth)).toString('base64url');
  const response = await apiRequest(daemon, 'POST', `/images/create?${query}`, headers);
  return progressMessages(response, `pull ${image}:${tag}`);
}

// An error before the stream starts comes back as an HTTP status; it is returned as a last message with "status" set.
function progressMessages(response: { status: number; text: string }, operation: string): PullMessage[] {
  if (response.status !== 200) {
    let message: string;
    try {
      message = (JSON.parse(response.text) as { message: string }).message;
    } catch {
      throw new Error(`${operation}: HTTP ${response.status}: ${response.text}`);
    }
    return [{ error: message, httpStatus: response.status }];
  }
  return response.text.split(/\r?\n/).filter(Boolean).map((line) => JSON.parse(line) as PullMessage);
}

// POST /images/{name}/push?tag= and returns every JSON line of the stream.
export async function apiPush(daemon: TestDaemon, name: string, tag: string, auth?: object): Promise<PullMessage[]> {
  const headers: Record<string, string> = {};
  if (auth) headers['X-Registry-Auth'] = Buffer.from(JSON.stringify(auth)).toString('base64url');
  const response = await apiRequest(daemon, 'POST', `/images/${name}/push?${new URLSearchParams({ tag })}`, headers);
  return progressMessages(response, `push ${name}:${tag}`);
}
