// Engine API calls over a test daemon's unix socket that keep the body as bytes, for archives.
import http from 'node:http';
import type { TestDaemon } from '../helpers/daemon';

export interface BytesResponse {
  status: number;
  body: Buffer;
}

export function requestBytes(daemon: TestDaemon, method: string, requestPath: string, body?: Buffer | string): Promise<BytesResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = body === undefined ? {} : { 'Content-Type': 'application/json' };
    const request = http.request({ socketPath: daemon.socketPath, method, path: requestPath, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function requestJson(daemon: TestDaemon, method: string, requestPath: string, body?: unknown): Promise<{ status: number; json: any; text: string }> {
  const response = await requestBytes(daemon, method, requestPath, body === undefined ? undefined : JSON.stringify(body));
  const text = response.body.toString();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: response.status, json, text };
}
