// berthd's Docker Engine API server on a unix socket: routing, version
// prefixes, error mapping and request logging around the route handlers.
// Ordinary requests arrive through node's 'request' event. Requests with
// "Connection: Upgrade" (attach and exec start from Docker clients) arrive
// through 'upgrade', on a raw socket where the handler writes the response itself.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { DaemonConfig } from '../common/config';
import { InvalidArgumentError, NotFoundError, errorMessage } from '../common/errors';
import type { Logger } from '../common/logger';
import type { Engine } from '../engine/engine';
import { readUpgradeBody } from './body';
import type { ApiRequest, ApiServices, Reply } from './context';
import { httpStatusForError } from './errors';
import { HttpReply, SocketReply, commonHeaders, hijackedSockets } from './reply';
import { Router } from './router';
import { registerBuildRoutes } from './routes/build';
import { registerContainerStreamRoutes } from './routes/container-streams';
import { registerContainerRoutes } from './routes/containers';
import { registerEventRoutes } from './routes/events';
import { registerExecRoutes } from './routes/exec';
import { registerFilesystemRoutes } from './routes/filesystem';
import { registerContainerArchiveRoutes } from './routes/container-archive';
import { registerContainerStatsRoutes } from './routes/container-stats';
import { registerContainerUpdateRoutes } from './routes/container-update';
import { registerImageRoutes } from './routes/images';
import { registerNetworkRoutes } from './routes/networks';
import { registerSystemRoutes } from './routes/system';
import { registerVolumeRoutes } from './routes/volumes';
import { bindSocket, removeOwnSocket, type BoundSocket } from './socket-file';
import { checkApiVersion, splitVersionPrefix } from './version';

export interface ApiServerOptions {
  config: DaemonConfig;
  logger: Logger;
  // berthd's version, reported in the Server header and by /version.
  version: string;
}

export interface ApiServer {
  // Serves on a unix socket, mode 0600, replacing a stale socket file.
  listen(socketPath: string): Promise<void>;
  // Stops serving, drops open connections (attached clients included) and removes the socket file.
  close(): Promise<void>;
}

export function buildRouter(): Router {
  const router = new Router();
  registerSystemRoutes(router);
  registerContainerRoutes(router);
  registerContainerStreamRoutes(router);
  registerExecRoutes(router);
  registerNetworkRoutes(router);
  registerImageRoutes(router);
  registerFilesystemRoutes(router);
  registerContainerStatsRoutes(router);
  registerContainerUpdateRoutes(router);
  registerContainerArchiveRoutes(router);
  registerVolumeRoutes(router);
  registerEventRoutes(router);
  registerBuildRoutes(router);
  return router;
}

interface IncomingRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Readable;
  upgrade: boolean;
  signal: AbortSignal;
}

function splitUrl(url: string): { path: string; query: URLSearchParams } {
  const questionMark = url.indexOf('?');
  const rawPath = questionMark === -1 ? url : url.slice(0, questionMark);
  const query = new URLSearchParams(questionMark === -1 ? '' : url.slice(questionMark + 1));
  try {
    return { path: decodeURIComponent(rawPath), query };
  } catch {
    throw new InvalidArgumentError(`invalid URL path ${JSON.stringify(rawPath)}: bad percent-encoding`);
  }
}

export function createApiServer(engine: Engine, options: ApiServerOptions): ApiServer {
  const logger = options.logger.bindings().subsystem === 'api' ? options.logger : options.logger.child({ subsystem: 'api' });
  const services: ApiServices = { engine, config: options.config, logger, version: options.version };
  const router = buildRouter();
  const headers = commonHeaders(options.version);
  const connections = new Set<Socket>();
  let bound: BoundSocket | null = null;

  // Catches every error of one request, so that no request can stop the daemon.
  async function dispatch(incoming: IncomingRequest, reply: Reply): Promise<void> {
    const started = performance.now();
    let logFields: Record<string, unknown> = { method: incoming.method, url: incoming.url };
    try {
      const { path: fullPath, query } = splitUrl(incoming.url);
      const { apiVersion, path } = splitVersionPrefix(fullPath);
      const match = router.match(incoming.method, path);
      if (!match) throw new NotFoundError('page not found');
      logFields = { ...logFields, route: match.pattern, ...match.params };
      checkApiVersion(apiVersion);

      const request: ApiRequest = {
        method: incoming.method,
        path,
        query,
        params: match.params,
        apiVersion,
        headers: incoming.headers,
        body: incoming.body,
        upgrade: incoming.upgrade,
        signal: incoming.signal,
      };
      await match.handler(request, reply, services);
    } catch (error) {
      sendError(error, reply, logFields);
    } finally {
      const durationMs = Math.round(performance.now() - started);
      logger.debug({ ...logFields, status: reply.statusCode, durationMs }, 'request');
    }
  }

  function sendError(error: unknown, reply: Reply, logFields: Record<string, unknown>): void {
    const status = httpStatusForError(error);
    const message = errorMessage(error);
    if (status === 500) logger.error({ ...logFields, status, err: error }, 'request failed');
    else if (status > 500) logger.warn({ ...logFields, status, error: message }, 'request not served');
    else logger.info({ ...logFields, status, error: message }, 'request rejected');

    if (reply.headersSent) {
      // The status line is out. All that is left is to stop the response where it is.
      logger.warn({ ...logFields, error: message }, 'error after the response started; closing the connection');
      return;
    }
    if (status === 304) reply.empty(304);
    else reply.json(status, { message });
  }

  function onRequest(request: IncomingMessage, response: ServerResponse): void {
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    const controller = new AbortController();
    response.on('close', () => {
      if (!response.writableFinished) controller.abort();
    });
    const incoming: IncomingRequest = {
      method: request.method ?? 'GET',
      url: request.url ?? '/',
      headers: request.headers,
      body: request,
      upgrade: false,
      signal: controller.signal,
    };
    void dispatch(incoming, new HttpReply(request, response)).catch((error: unknown) => {
      logger.error({ err: error, url: incoming.url }, 'request handling failed');
      response.destroy();
    });
  }

  async function onUpgrade(request: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    // Hold client input until a handler reads it. Node leaves an upgraded socket to us.
    socket.pause();
    socket.on('error', (error) => logger.debug({ error: error.message }, 'upgraded connection failed'));
    const controller = new AbortController();
    socket.once('close', () => controller.abort());
    const reply = new SocketReply(socket, headers);

    let body: Buffer;
    try {
      if (request.headers['transfer-encoding'] !== undefined) {
        throw new InvalidArgumentError('chunked request bodies are not supported on upgraded connections: send Content-Length');
      }
      const length = Number(request.headers['content-length'] ?? 0);
      if (!Number.isSafeInteger(length) || length < 0) throw new InvalidArgumentError('invalid Content-Length header');
      body = await readUpgradeBody(socket, head, length);
    } catch (error) {
      sendError(error, reply, { method: request.method, url: request.url });
      return;
    }
    const incoming: IncomingRequest = {
      method: request.method ?? 'GET',
      url: request.url ?? '/',
      headers: request.headers,
      body: Readable.from(body.length > 0 ? [body] : [], { objectMode: false }),
      upgrade: true,
      signal: controller.signal,
    };
    await dispatch(incoming, reply);
  }

  const server = http.createServer();
  // Attach, logs -f and wait keep requests open for as long as a container runs.
  server.requestTimeout = 0;
  server.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  server.on('request', onRequest);
  server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    onUpgrade(request, socket, head).catch((error: unknown) => {
      logger.error({ err: error, url: request.url }, 'upgraded request handling failed');
      socket.destroy();
    });
  });
  server.on('clientError', (error: Error, socket: Socket) => {
    // After a hijack, client input is stream data that node's parser may take for a bad request.
    if (hijackedSockets.has(socket)) return;
    logger.info({ error: error.message }, 'malformed HTTP request');
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  return {
    async listen(socketPath: string): Promise<void> {
      bound = await bindSocket(server, socketPath, options.config.socketGroup);
      logger.info({ socket: socketPath }, 'API server listening');
    },

    async close(): Promise<void> {
      for (const socket of connections) socket.destroy();
      if (server.listening) {
        await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      }
      if (bound) {
        await removeOwnSocket(bound);
        bound = null;
      }
      logger.info('API server closed');
    },
  };
}
