// Prints the JSON message streams of pull, load and import: one JSON object
// per line with "stream" (text to print as is), "status" (a progress line,
// optionally for an "id") or "error" (the operation failed).
import { StringDecoder } from 'node:string_decoder';
import type { Readable, Writable } from 'node:stream';
import { CliError } from '../command';

interface JsonMessage {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

function printMessage(message: JsonMessage, output: Writable): void {
  if (message.stream !== undefined) {
    output.write(message.stream);
    return;
  }
  if (message.status !== undefined) {
    const prefix = message.id ? `${message.id}: ` : '';
    const progress = message.progress ? ` ${message.progress}` : '';
    output.write(`${prefix}${message.status}${progress}\n`);
  }
}

// Reads a stream of newline-separated JSON messages to its end and passes
// each to onMessage. A line that is not JSON throws CliError.
export async function readJsonMessages<T>(source: Readable, onMessage: (message: T) => void): Promise<void> {
  // The decoder keeps a multi-byte character that a chunk boundary splits.
  const decoder = new StringDecoder('utf8');
  let pending = '';
  const handleLine = (line: string) => {
    if (line.trim() === '') return;
    let message: T;
    try {
      message = JSON.parse(line) as T;
    } catch {
      throw new CliError(`invalid message from the daemon: ${line}`);
    }
    onMessage(message);
  };

  for await (const chunk of source) {
    pending += decoder.write(chunk as Buffer);
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) handleLine(line);
  }
  handleLine(pending + decoder.end());
}

// Reads the stream to its end and prints each message to output (null prints nothing).
// An error message throws CliError.
export async function displayJsonMessages(source: Readable, output: Writable | null): Promise<JsonMessage[]> {
  const messages: JsonMessage[] = [];
  await readJsonMessages<JsonMessage>(source, (message) => {
    messages.push(message);
    if (message.error !== undefined || message.errorDetail?.message !== undefined) {
      throw new CliError(message.errorDetail?.message ?? message.error ?? 'unknown error');
    }
    if (output) printMessage(message, output);
  });
  return messages;
}
