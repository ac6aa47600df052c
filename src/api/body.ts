// Request bodies: JSON with dockerd's Content-Type and parse checks, and the
// body of an upgraded request, which node leaves unparsed on the socket.
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { InvalidArgumentError } from '../common/errors';
import type { ApiRequest } from './context';

// Create requests may carry a seccomp profile. Anything larger than this is not a Docker request.
const MAX_JSON_BODY_BYTES = 16 * 1024 * 1024;

export async function readAll(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    total += buffer.length;
    if (total > limit) throw new InvalidArgumentError(`request body is larger than ${limit} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

function checkJsonContentType(contentType: string | undefined): void {
  if (contentType === undefined || contentType === '') return;
  const mediaType = contentType.split(';')[0].trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new InvalidArgumentError(`unsupported Content-Type header (${contentType}): must be 'application/json'`);
  }
}

// Parses the JSON body. Returns undefined for an empty body, which dockerd accepts as "all defaults".
export async function readJsonBody(request: ApiRequest): Promise<unknown> {
  const body = await readAll(request.body, MAX_JSON_BODY_BYTES);
  if (body.length === 0) return undefined;
  checkJsonContentType(request.headers['content-type']);

  const text = body.toString('utf8');
  if (text.trim() === '') throw new InvalidArgumentError('invalid JSON: got EOF while reading request body');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InvalidArgumentError(`invalid JSON: ${(error as Error).message}`);
  }
}

// Reads exactly `length` bytes of an upgraded request's body from `head` and the socket, then
// puts any bytes after the body back on the socket, where they are the client's raw stream.
export function readUpgradeBody(socket: Socket, head: Buffer, length: number): Promise<Buffer> {
  if (head.length >= length) {
    if (head.length > length) socket.unshift(head.subarray(length));
    return Promise.resolve(head.subarray(0, length));
  }

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [head];
    let received = head.length;

    const cleanup = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received < length) return;
      cleanup();
      socket.pause();
      const all = Buffer.concat(chunks);
      if (all.length > length) socket.unshift(all.subarray(length));
      resolve(all.subarray(0, length));
    };
    const onEnd = () => {
      cleanup();
      reject(new InvalidArgumentError(`request body ended after ${received} of ${length} bytes`));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };

    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.resume();
  });
}
