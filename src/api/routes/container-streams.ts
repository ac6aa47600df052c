// Streaming container endpoints: attach (a hijacked connection) and logs.
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { ConflictError, InvalidArgumentError, NotImplementedError, errorMessage } from '../../common/errors';
import type { LogEntry } from '../../engine/engine';
import type { ApiRequest, ApiServices, Reply } from '../context';
import { queryBool, queryTimestamp } from '../query';
import type { Router } from '../router';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../streams/detach-keys';
import { STREAM_STDERR, encodeFrame, streamNumber } from '../streams/mux';
import { pumpSession } from '../streams/session-pump';
import { versionAtLeast } from '../version';

export const MULTIPLEXED_STREAM = 'application/vnd.docker.multiplexed-stream';
export const RAW_STREAM = 'application/vnd.docker.raw-stream';

// Without a TTY the output is framed, and dockerd names that content type from API 1.42 on.
export function streamContentType(multiplexed: boolean, apiVersion: string): string {
  return multiplexed && versionAtLeast(apiVersion, '1.42') ? MULTIPLEXED_STREAM : RAW_STREAM;
}

// Reads the detachKeys parameter, falling back to ctrl-p,ctrl-q.
export function detachKeysFor(specification: string | null, invalidMessage: (raw: string) => string): Buffer {
  if (!specification) return parseDetachKeys(DEFAULT_DETACH_KEYS);
  try {
    return parseDetachKeys(specification);
  } catch {
    throw new InvalidArgumentError(invalidMessage(specification));
  }
}

async function attachContainer(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const { query } = request;
  const detachKeys = detachKeysFor(query.get('detachKeys'), (raw) => `Invalid detach keys (${raw}) provided`);
  const record = await services.engine.getContainer(request.params.id);
  if (record.state.status === 'paused') {
    throw new ConflictError(`container ${request.params.id} is paused, unpause the container before attach`);
  }
  if (record.state.status === 'restarting') {
    throw new ConflictError(`container ${request.params.id} is restarting, wait until the container is running`);
  }

  const options = {
    stdin: queryBool(query, 'stdin'),
    stdout: queryBool(query, 'stdout'),
    stderr: queryBool(query, 'stderr'),
    logs: queryBool(query, 'logs'),
    stream: queryBool(query, 'stream'),
  };
  const session = await services.engine.attachContainer(record.id, options);
  const tty = record.spec.tty;
  const connection = reply.hijack(streamContentType(!tty, request.apiVersion));
  const result = await pumpSession({
    session,
    connection,
    multiplexed: !tty,
    forwardStdin: options.stdin && session.hasStdin,
    closeStdinOnInputEnd: record.spec.stdinOnce && !tty,
    detachKeys: tty ? detachKeys : null,
    logger: services.logger.child({ container: record.id }),
  });
  services.logger.debug({ container: record.id, result }, 'attach ended');
}

// Parses "tail": a line count, or "all". Like dockerd, it reads anything else, negative counts included, as "all".
function parseTail(raw: string | null): number | null {
  if (raw === null || !/^\d+$/.test(raw)) return null;
  return Number.parseInt(raw, 10);
}

// Log drivers whose files the engine can read back for `docker logs`.
const READABLE_LOG_DRIVERS = ['k8s-file', 'json-file'];

async function writeWithBackpressure(body: Writable, bytes: Buffer, signal: AbortSignal): Promise<void> {
  if (!body.write(bytes)) await once(body, 'drain', { signal });
}

function logPayload(entry: LogEntry, timestamps: boolean): Buffer {
  return timestamps ? Buffer.concat([Buffer.from(`${entry.time} `), entry.data]) : entry.data;
}

async function containerLogs(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const { query } = request;
  const stdout = queryBool(query, 'stdout');
  const stderr = queryBool(query, 'stderr');
  if (!stdout && !stderr) throw new InvalidArgumentError("must specify at least one of 'stdout' or 'stderr'");
  const untilRaw = query.get('until');
  const options = {
    follow: queryBool(query, 'follow'),
    stdout,
    stderr,
    since: queryTimestamp(query, 'since'),
    until: untilRaw === '0' ? 0 : queryTimestamp(query, 'until'),
    tail: parseTail(query.get('tail')),
  };
  const timestamps = queryBool(query, 'timestamps');

  const record = await services.engine.getContainer(request.params.id);
  if (!READABLE_LOG_DRIVERS.includes(record.logDriver)) throw new NotImplementedError('configured logging driver does not support reading');
  const entries = await services.engine.containerLogs(record.id, options, request.signal);
  // A following reader may wait for the next line forever. A client that left ends it now.
  request.signal.addEventListener('abort', () => entries.destroy(), { once: true });

  const multiplexed = !record.spec.tty;
  const body = reply.startStream(200, streamContentType(multiplexed, request.apiVersion));
  const frame = (stream: number, payload: Buffer) => (multiplexed ? encodeFrame(stream, payload) : payload);
  try {
    for await (const entry of entries as AsyncIterable<LogEntry>) {
      await writeWithBackpressure(body, frame(streamNumber(entry.stream), logPayload(entry, timestamps)), request.signal);
    }
  } catch (error) {
    entries.destroy();
    if (request.signal.aborted) return;
    // The status is already sent, so the error goes in-band, where dockerd puts it too.
    services.logger.warn({ container: record.id, error: errorMessage(error) }, 'reading container logs failed');
    body.write(frame(STREAM_STDERR, Buffer.from(`Error grabbing logs: ${errorMessage(error)}\n`)));
  }
  body.end();
}

export function registerContainerStreamRoutes(router: Router): void {
  router.add('POST', '/containers/{id}/attach', attachContainer);
  router.add('GET', '/containers/{id}/logs', containerLogs);
}
