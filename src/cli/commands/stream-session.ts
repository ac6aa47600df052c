// Connects the local stdin, stdout and stderr to a hijacked attach or exec
// connection, as docker's hijacked-stream handling does. Output is copied,
// and demultiplexed when there is no TTY. Stdin is forwarded and half-closed
// at its end. On a TTY the detach key sequence ends the session early.
import type { ApiClient } from '../client/api-client';
import type { HijackedStream } from '../client/hijack';
import { copyRaw, demultiplex } from '../client/stdcopy';
import type { Streams } from '../command';
import { DetachKeyDetector, terminalSize, watchResize } from '../terminal';

export interface SessionOptions {
  connection: HijackedStream;
  streams: Streams;
  tty: boolean;
  forwardStdin: boolean;
  // Detach sequence watched on stdin. Null disables client-side detaching.
  detachKeys: Buffer | null;
}

export type SessionEnd = 'output-ended' | 'detached';

// Runs the session until the output ends or the user detaches.
export async function runSession(options: SessionOptions): Promise<SessionEnd> {
  const { connection, streams, tty } = options;
  const output = tty ? copyRaw(connection.output, streams.stdout) : demultiplex(connection.output, streams.stdout, streams.stderr);

  let markDetached: () => void = () => undefined;
  const detached = new Promise<'detached'>((resolve) => {
    markDetached = () => resolve('detached');
  });

  const { stdin } = streams;
  const detector = options.detachKeys && options.detachKeys.length > 0 ? new DetachKeyDetector(options.detachKeys) : null;
  const onData = (chunk: Buffer) => {
    const { forward, detached: sequenceComplete } = detector ? detector.feed(chunk) : { forward: chunk, detached: false };
    if (forward.length > 0) connection.write(forward);
    if (sequenceComplete) markDetached();
  };
  const onEnd = () => connection.closeWrite();

  if (options.forwardStdin) {
    stdin.on('data', onData);
    stdin.once('end', onEnd);
    stdin.resume();
  } else {
    connection.closeWrite();
  }

  try {
    const end = await Promise.race([output.then((): SessionEnd => 'output-ended'), detached]);
    if (end === 'detached') connection.close();
    return end;
  } finally {
    stdin.off('data', onData);
    stdin.off('end', onEnd);
    stdin.pause();
  }
}

// Resizes the remote terminal to the local one now and on every SIGWINCH;
// returns the function that stops watching. One request is in flight at a
// time and only the newest size is sent next, because "stty rows R cols C"
// raises two SIGWINCH in a row and parallel requests could land out of order.
export function followTerminalSize(streams: Streams, resize: (size: [number, number]) => Promise<void>): () => void {
  let pending: [number, number] | null = null;
  let inFlight = false;
  const sendNext = () => {
    if (inFlight || pending === null) return;
    const size = pending;
    pending = null;
    inFlight = true;
    resize(size)
      // The process may have exited already. A failed resize changes nothing the user can act on.
      .catch(() => undefined)
      .finally(() => {
        inFlight = false;
        sendNext();
      });
  };
  const apply = (size: [number, number]) => {
    pending = size;
    sendNext();
  };
  const initial = terminalSize(streams);
  if (initial) apply(initial);
  return watchResize(streams, apply);
}

const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

// Forwards signals this process receives to the container (--sig-proxy). Returns the function that stops forwarding.
export function proxySignals(client: ApiClient, containerId: string): () => void {
  const handlers = FORWARDED_SIGNALS.map((signal) => {
    const handler = () => {
      // The container may be gone already. The wait that follows reports its real end.
      client.call('POST', `/containers/${encodeURIComponent(containerId)}/kill`, { query: { signal } }).catch(() => undefined);
    };
    process.on(signal, handler);
    return { signal, handler };
  });
  return () => {
    for (const { signal, handler } of handlers) process.off(signal, handler);
  };
}
