// An HTTP(S) client for one repository on one registry endpoint, with Node's
// own http and https modules. It handles 401 challenges (Basic or Bearer
// token), follows redirects (dropping credentials when the origin changes),
// retries idempotent requests on transient failures with backoff, and turns
// registry error bodies into Docker's messages ("manifest unknown: manifest unknown").
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import type { Logger } from '../../common/logger';
import { EngineError, type ErrorKind } from '../../common/errors';
import type { RegistryEndpoint } from './endpoints';
import { basicAuthorization, parseChallenge, tokenFromResponse, tokenRequestUrl, type Challenge, type RegistryCredentials } from './auth';

const MAX_REDIRECTS = 5;
const MAX_ATTEMPTS = 4;
const FIRST_BACKOFF_MS = 250;
const IDLE_TIMEOUT_MS = 30_000;
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN', 'ESOCKETTIMEDOUT']);

export interface RegistryResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  // A function, so that a retry or an authentication round can send the body again.
  body?: () => Buffer | Readable;
  // Statuses the caller handles itself; others become a RegistryError.
  expect: number[];
}

// A failed registry request. kind follows the status: 401 unauthorized, 403 forbidden, 404 not found.
export class RegistryError extends EngineError {
  constructor(
    kind: ErrorKind,
    message: string,
    readonly status: number,
    readonly codes: string[],
    options?: { cause?: unknown },
  ) {
    super(kind, message, options);
  }
}

// A failure to reach the endpoint at all (refused, TLS handshake, DNS), after which the next endpoint is tried.
export class EndpointUnreachableError extends EngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('unavailable', message, options);
  }
}

export class RegistryClient {
  private readonly agent: http.Agent;
  private authorization: string | null = null;

  constructor(
    readonly endpoint: RegistryEndpoint,
    // Repository path inside the registry: "library/busybox".
    readonly repository: string,
    private readonly credentials: RegistryCredentials | null,
    // Actions of the token scope: ["pull"] or ["pull", "push"].
    private readonly actions: string[],
    private readonly logger: Logger,
  ) {
    this.agent = endpoint.url.startsWith('https:')
      ? new https.Agent({ keepAlive: true, ca: endpoint.ca.length > 0 ? endpoint.ca : undefined, rejectUnauthorized: !endpoint.skipTlsVerify })
      : new http.Agent({ keepAlive: true });
  }

  close(): void {
    this.agent.destroy();
  }

  repositoryUrl(suffix: string): string {
    return `${this.endpoint.url}/v2/${this.repository}/${suffix}`;
  }

  // Sends a request, authenticating and retrying as needed; the caller consumes the body.
  async request(method: string, url: string, options: RequestOptions): Promise<RegistryResponse> {
    const idempotent = method === 'GET' || method === 'HEAD';
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await this.authenticatedRequest(method, url, options);
        if (response.status >= 500 && idempotent && attempt < MAX_ATTEMPTS && !options.expect.includes(response.status)) {
          response.body.resume();
          this.logger.warn({ method, url, status: response.status, attempt }, 'registry request failed with a server error; retrying');
          await backoff(attempt);
          continue;
        }
        if (!options.expect.includes(response.status)) throw await registryError(method, url, response);
        return response;
      } catch (error) {
        if (!idempotent || attempt >= MAX_ATTEMPTS || !isTransient(error)) throw error;
        this.logger.warn({ method, url, attempt, err: error }, 'registry request failed; retrying');
        await backoff(attempt);
      }
    }
  }

  private async authenticatedRequest(method: string, url: string, options: RequestOptions): Promise<RegistryResponse> {
    const first = await this.send(method, url, options, this.authorization);
    if (first.status !== 401) return first;

    const challengeHeader = first.headers['www-authenticate'];
    first.body.resume();
    const challenge = typeof challengeHeader === 'string' ? parseChallenge(challengeHeader) : null;
    if (!challenge) return this.send(method, url, options, this.authorization);
    const authorization = await this.answerChallenge(challenge);
    if (authorization === null || authorization === this.authorization) {
      // Nothing new to send: repeat the request so its 401 body explains the failure.
      return this.send(method, url, options, this.authorization);
    }
    this.authorization = authorization;
    return this.send(method, url, options, this.authorization);
  }

  private async answerChallenge(challenge: Challenge): Promise<string | null> {
    if (challenge.scheme === 'basic') {
      if (this.credentials?.kind !== 'basic') return null;
      return basicAuthorization(this.credentials.username, this.credentials.password);
    }
    if (challenge.scheme !== 'bearer') return null;

    // A login check (empty repository) requests a token without a scope.
    const scopes = this.repository === '' ? [] : [`repository:${this.repository}:${this.actions.join(',')}`];
    const url = tokenRequestUrl(challenge, scopes, this.credentials);
    const realm = challenge.parameters.realm;
    let response: RegistryResponse;
    if (this.credentials?.kind === 'identity-token') {
      // OAuth2 refresh-token grant, which Docker uses for identity tokens.
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: this.credentials.identityToken, client_id: 'berth', service: challenge.parameters.service ?? '', scope: scopes.join(' ') });
      response = await this.send('POST', realm, { expect: [], headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: () => Buffer.from(form.toString()) }, null);
    } else {
      const authorization = this.credentials?.kind === 'basic' ? basicAuthorization(this.credentials.username, this.credentials.password) : null;
      response = await this.send('GET', url.toString(), { expect: [] }, authorization);
    }
    const body = await readAll(response.body);
    if (response.status !== 200) {
      this.logger.info({ realm, status: response.status }, 'token server rejected the token request');
      if (response.status === 401 || response.status === 403) return null;
      throw new RegistryError('unavailable', `get token from ${realm}: HTTP ${response.status}: ${body.toString('utf8').slice(0, 200)}`, response.status, []);
    }
    return `Bearer ${tokenFromResponse(body, realm)}`;
  }

  // One HTTP exchange plus its redirects.
  private async send(method: string, url: string, options: RequestOptions, authorization: string | null): Promise<RegistryResponse> {
    let current = new URL(url);
    const origin = current.origin;
    for (let redirect = 0; ; redirect++) {
      const headers: Record<string, string> = { 'User-Agent': 'berth', ...options.headers };
      if (authorization !== null && current.origin === origin) headers.Authorization = authorization;
      const response = await this.exchange(method, current, headers, redirect === 0 ? options.body : undefined);
      const location = response.headers.location;
      if (![301, 302, 303, 307, 308].includes(response.status) || !location || redirect >= MAX_REDIRECTS) return response;
      response.body.resume();
      current = new URL(location, current);
    }
  }

  private exchange(method: string, url: URL, headers: Record<string, string>, body: RequestOptions['body']): Promise<RegistryResponse> {
    return new Promise((resolve, reject) => {
      const secure = url.protocol === 'https:';
      const module = secure ? https : http;
      // A redirect to another host gets a fresh agent that still checks certificates.
      const sameOrigin = url.origin === new URL(this.endpoint.url).origin;
      const agent = sameOrigin ? this.agent : undefined;
      const request = module.request(url, { method, headers, agent, timeout: IDLE_TIMEOUT_MS }, (response) => {
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: response });
      });
      request.on('timeout', () => request.destroy(Object.assign(new Error(`${method} ${url.href}: timed out after ${IDLE_TIMEOUT_MS / 1000} s without a response`), { code: 'ETIMEDOUT' })));
      request.on('error', (error) => reject(connectionError(method, url, error)));
      const content = body?.();
      if (content === undefined) request.end();
      else if (Buffer.isBuffer(content)) request.end(content);
      else content.pipe(request);
    });
  }
}

function connectionError(method: string, url: URL, error: Error): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== undefined && TRANSIENT_CODES.has(code)) return error;
  const wrapped = new EndpointUnreachableError(`${method} "${url.href}": ${error.message}`, { cause: error });
  return Object.assign(wrapped, { code });
}

function isTransient(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return !(error instanceof EndpointUnreachableError) && code !== undefined && TRANSIENT_CODES.has(code);
}

function backoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, FIRST_BACKOFF_MS * 2 ** (attempt - 1)));
}

export async function readAll(stream: Readable, limit = 16 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      stream.destroy();
      throw new RegistryError('invalid-argument', `registry response larger than ${limit} bytes`, 0, []);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

// Builds Docker's message from a registry error body: "<code in words>: <message>", as the distribution client formats errcode errors.
async function registryError(method: string, url: string, response: RegistryResponse): Promise<RegistryError> {
  const body = method === 'HEAD' ? Buffer.alloc(0) : await readAll(response.body, 64 * 1024).catch(() => Buffer.alloc(0));
  if (method === 'HEAD') response.body.resume();
  const kind: ErrorKind = response.status === 401 ? 'unauthorized' : response.status === 403 ? 'forbidden' : response.status === 404 ? 'not-found' : response.status >= 500 ? 'unavailable' : 'invalid-argument';
  const codes: string[] = [];
  const parts: string[] = [];
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { errors?: Array<{ code?: string; message?: string }> };
    for (const entry of parsed.errors ?? []) {
      const code = entry.code ?? 'UNKNOWN';
      codes.push(code);
      parts.push(`${code.toLowerCase().replace(/_/g, ' ')}: ${entry.message ?? ''}`);
    }
  } catch {
    // Not a registry error body; the status line below describes the failure.
  }
  if (parts.length === 0 && response.status === 401) parts.push('unauthorized: authentication required');
  const detail = parts.length > 0 ? parts.join(', ') : `HTTP ${response.status}: ${body.toString('utf8').trim().slice(0, 200) || http.STATUS_CODES[response.status]}`;
  return new RegistryError(kind, detail, response.status, codes);
}
