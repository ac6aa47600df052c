// A small Docker Engine API client over a unix socket: JSON requests,
// streamed responses, errors from the daemon's {"message"} bodies, and the
// API version negotiated down through /_ping's Api-Version header.
import http from 'node:http';
import type { Readable } from 'node:stream';
import { ApiError, DaemonUnreachableError, errorFromBody } from './api-error';
import { hijackRequest, type HijackedStream } from './hijack';

export { ApiError, DaemonUnreachableError };

export const CLIENT_API_VERSION = '1.50';
const USER_AGENT = 'Berth-Client/0.1.0 (linux)';

// An array repeats the key once per element (import's changes=...&changes=...).
export type QueryValue = string | number | boolean | string[] | undefined | null;

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  // Sent as JSON with Content-Type application/json.
  body?: unknown;
  // Sent as is (image archives for load and import).
  rawBody?: Readable;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

// Encodes a query string with sorted keys, as Go's url.Values.Encode does. Booleans become 1 or 0.
export function encodeQuery(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const key of Object.keys(query).sort()) {
    const value = query[key];
    if (value === undefined || value === null) continue;
    let texts: string[];
    if (Array.isArray(value)) texts = value;
    else if (typeof value === 'boolean') texts = [value ? '1' : '0'];
    else texts = [String(value)];
    for (const text of texts) parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(text)}`);
  }
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

function isUnreachableCode(code: unknown): code is string {
  return code === 'ENOENT' || code === 'ECONNREFUSED';
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export class ApiClient {
  private apiVersion = CLIENT_API_VERSION;

  constructor(readonly socketPath: string) {}

  get version(): string {
    return this.apiVersion;
  }

  private path(route: string, query?: Record<string, QueryValue>): string {
    return `/v${this.apiVersion}${route}${encodeQuery(query)}`;
  }

  private send(method: string, path: string, options: RequestOptions): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { 'User-Agent': USER_AGENT, ...(options.headers ?? {}) };
      let payload: Buffer | null = null;
      if (options.body !== undefined) {
        payload = Buffer.from(JSON.stringify(options.body));
        headers['Content-Type'] = 'application/json';
        headers['Content-Length'] = String(payload.length);
      }

      const request = http.request({ socketPath: this.socketPath, method, path, headers, signal: options.signal });
      request.on('response', resolve);
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (isUnreachableCode(error.code)) reject(new DaemonUnreachableError(this.socketPath, error.code, { cause: error }));
        else reject(error);
      });

      if (options.rawBody) {
        options.rawBody.on('error', (error) => request.destroy(error));
        options.rawBody.pipe(request);
      } else {
        request.end(payload ?? undefined);
      }
    });
  }

  // Sends GET (or HEAD) /_ping and lowers the API version to the daemon's when it is older.
  async negotiate(): Promise<void> {
    let response = await this.send('HEAD', '/_ping', {});
    response.resume();
    if (response.statusCode === 404 || response.statusCode === 405 || response.statusCode === 501) {
      response = await this.send('GET', '/_ping', {});
      response.resume();
    }
    const header = response.headers['api-version'];
    const serverVersion = Array.isArray(header) ? header[0] : header;
    if (serverVersion && /^\d+\.\d+$/.test(serverVersion) && compareVersions(serverVersion, CLIENT_API_VERSION) < 0) {
      this.apiVersion = serverVersion;
    }
  }

  // Returns the response stream of a successful request. Throws ApiError for a status of 400 or more.
  async stream(method: string, route: string, options: RequestOptions = {}): Promise<http.IncomingMessage> {
    const path = this.path(route, options.query);
    const response = await this.send(method, path, options);
    const status = response.statusCode ?? 0;
    if (status >= 400) throw errorFromBody(status, await readAll(response), path);
    return response;
  }

  // Sends a request and returns the response body as text.
  async text(method: string, route: string, options: RequestOptions = {}): Promise<string> {
    const response = await this.stream(method, route, options);
    return (await readAll(response)).toString('utf8');
  }

  // Sends a request and parses the JSON response. An empty body gives undefined.
  async json<T>(method: string, route: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.stream(method, route, options);
    const body = await readAll(response);
    if (body.length === 0) return undefined as T;
    return JSON.parse(body.toString('utf8')) as T;
  }

  // Sends a request whose response body does not matter (204, 304).
  async call(method: string, route: string, options: RequestOptions = {}): Promise<number> {
    const response = await this.stream(method, route, options);
    await readAll(response);
    return response.statusCode ?? 0;
  }

  // Opens a hijacked connection (attach, exec start): after "101 Switching Protocols" the socket carries the streams.
  async hijack(route: string, options: RequestOptions = {}): Promise<HijackedStream> {
    return hijackRequest(this.socketPath, this.path(route, options.query), options.body, USER_AGENT);
  }
}

// Compares dotted version strings numerically: "1.41" < "1.50".
export function compareVersions(left: string, right: string): number {
  const a = left.split('.').map(Number);
  const b = right.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}
