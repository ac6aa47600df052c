// The inputs of a route handler: the parsed request, a Reply to respond with,
// and the daemon objects it may use.
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable, Writable } from 'node:stream';
import type { DaemonConfig } from '../common/config';
import type { Logger } from '../common/logger';
import type { Engine } from '../engine/engine';

export interface ApiRequest {
  method: string;
  // Path without the /v1.xx prefix, percent-decoded.
  path: string;
  query: URLSearchParams;
  // Values of the {name} segments of the matched route.
  params: Record<string, string>;
  // The API version the client requested, or the maximum when the path has no version prefix.
  apiVersion: string;
  headers: IncomingHttpHeaders;
  // The request body, which for upgraded connections is exactly the Content-Length bytes before the raw stream.
  body: Readable;
  // True when the client sent "Upgrade: tcp" (attach and exec start switch protocols).
  upgrade: boolean;
  // Aborted when the client disconnects.
  signal: AbortSignal;
}

// The connection after the HTTP exchange: client input and the stream to write output to.
export interface HijackedConnection {
  input: Readable;
  output: Writable;
  // Ends the output, so the client sees end of stream, then closes the connection.
  finish(): void;
  // Closes the connection at once.
  destroy(): void;
}

export interface Reply {
  // True once the status line has been written. An error after that can only end the connection.
  readonly headersSent: boolean;
  readonly statusCode: number;
  // Adds a header to the response. Call before anything is sent.
  setHeader(name: string, value: string): void;
  // Sends a JSON body with a trailing newline, as dockerd's encoder does.
  json(status: number, value: unknown): void;
  // Sends a status without a body (204, 201 for tag, 304).
  empty(status: number): void;
  text(status: number, body: string, contentType: string): void;
  // Sends the status and headers now and returns the body stream. The caller ends it.
  startStream(status: number, contentType: string): Writable;
  // Takes over the connection: 101 UPGRADED for upgrade requests, else 200 on the raw socket.
  hijack(contentType: string): HijackedConnection;
}

export interface ApiServices {
  engine: Engine;
  config: DaemonConfig;
  logger: Logger;
  // berthd's own version, reported as the server version.
  version: string;
}

export type RouteHandler = (request: ApiRequest, reply: Reply, services: ApiServices) => Promise<void>;
