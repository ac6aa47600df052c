// Connects a hijacked client connection to an engine StdioSession (attach or
// exec): process output goes to the client, framed or raw, and client input
// goes to the process's stdin, watched for the detach sequence.
import type { Logger } from '../../common/logger';
import { errorMessage } from '../../common/errors';
import type { OutputChunk, StdioSession } from '../../engine/engine';
import type { HijackedConnection } from '../context';
import { DetachKeyScanner } from './detach-keys';
import { encodeFrame, streamNumber } from './mux';

export interface PumpOptions {
  session: StdioSession;
  connection: HijackedConnection;
  // Frame output as the multiplexed stream (no TTY) instead of passing it raw.
  multiplexed: boolean;
  // Pass client input to the process. When false, input is read and dropped.
  forwardStdin: boolean;
  // What the end of client input means. true: close the process's stdin and keep sending output
  // (dockerd does this for exec, and for attach to a StdinOnce container without a TTY).
  // false: end the session, as dockerd does otherwise.
  closeStdinOnInputEnd: boolean;
  // The detach sequence, or null to never detach (dockerd watches for it only with a TTY).
  detachKeys: Buffer | null;
  logger: Logger;
}

// How the session ended: output finished, the client typed the detach keys or closed its
// input, or the connection dropped.
export type PumpResult = 'output-ended' | 'detached' | 'input-ended' | 'disconnected';

export function pumpSession(options: PumpOptions): Promise<PumpResult> {
  const { session, connection, logger } = options;
  const output = connection.output;
  const scanner = options.detachKeys ? new DetachKeyScanner(options.detachKeys) : null;

  return new Promise((resolve) => {
    let finished = false;
    const finish = (result: PumpResult) => {
      if (finished) return;
      finished = true;
      session.output.off('data', onOutput);
      connection.input.off('data', onInput);
      session.close();
      if (result === 'disconnected') connection.destroy();
      else connection.finish();
      resolve(result);
    };

    const onOutput = (chunk: OutputChunk) => {
      if (output.destroyed) return;
      const bytes = options.multiplexed ? encodeFrame(streamNumber(chunk.stream), chunk.data) : chunk.data;
      if (!output.write(bytes)) {
        session.output.pause();
        output.once('drain', () => session.output.resume());
      }
    };

    const onInput = (chunk: Buffer) => {
      if (!options.forwardStdin) return;
      if (!scanner) {
        session.writeStdin(chunk);
        return;
      }
      const scanned = scanner.push(chunk);
      if (scanned.forward.length > 0) session.writeStdin(scanned.forward);
      if (scanned.detached) finish('detached');
    };

    const onInputEnd = () => {
      if (finished || !options.forwardStdin) return;
      const held = scanner?.flush();
      if (held && held.length > 0) session.writeStdin(held);
      if (options.closeStdinOnInputEnd) session.closeStdin();
      else finish('input-ended');
    };

    session.output.on('data', onOutput);
    session.output.once('end', () => finish('output-ended'));
    session.output.once('error', (error: unknown) => {
      logger.warn({ error: errorMessage(error) }, 'process output stream failed; closing the connection');
      finish('disconnected');
    });

    connection.input.on('data', onInput);
    connection.input.once('end', onInputEnd);
    connection.input.on('error', (error: unknown) => {
      logger.debug({ error: errorMessage(error) }, 'client input stream failed');
    });
    output.on('error', (error: unknown) => {
      logger.debug({ error: errorMessage(error) }, 'client connection failed');
    });
    output.once('close', () => finish('disconnected'));

    // The server pauses upgraded sockets until a handler is ready, so input must be resumed here.
    connection.input.resume();
  });
}
