// Renders the JSON progress streams of pull and push the way the docker CLI
// does (its jsonmessage package). On a terminal each layer keeps one line,
// redrawn in place with ANSI cursor movement and a progress bar. Without a
// terminal, only the status lines without byte counts are printed.
import type { Readable, Writable } from 'node:stream';
import { CliError } from '../command';
import { humanSize } from '../format/units';

export interface ProgressDetail {
  current?: number;
  total?: number;
  start?: number;
  units?: string;
  hidecounts?: boolean;
}

export interface ProgressMessage {
  stream?: string;
  status?: string;
  id?: string;
  from?: string;
  progress?: string;
  progressDetail?: ProgressDetail;
  error?: string;
  errorDetail?: { code?: number; message?: string };
  aux?: Record<string, unknown>;
}

// An output stream and whether it is a terminal. The stream's `columns` property sets the bar width.
export interface ProgressOutput {
  stream: Writable & { columns?: number };
  isTerminal: boolean;
}

const CLEAR_LINE = '\x1b[2K';

function cursorUp(lines: number): string {
  return lines > 0 ? `\x1b[${lines}A` : '';
}

function cursorDown(lines: number): string {
  return lines > 0 ? `\x1b[${lines}B` : '';
}

// Formats a Go time.Duration truncated to seconds, as "1m5s" or "0s".
function goSeconds(seconds: number): string {
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  if (hours > 0) return `${hours}h${minutes}m${rest}s`;
  if (minutes > 0) return `${minutes}m${rest}s`;
  return `${rest}s`;
}

// Renders a progress detail as docker's JSONProgress.String: a 50-character
// bar when the terminal is wider than 110 columns, then "current/total".
export function renderProgressBar(detail: ProgressDetail, width: number, now: number = Date.now()): string {
  const current = detail.current ?? 0;
  const total = detail.total ?? 0;
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return detail.units ? `${current} ${detail.units}` : humanSize(current).padStart(8);

  const filled = Math.min(50, Math.trunc(Math.trunc((current / total) * 100) / 2));
  const bar = width > 110 ? `[${'='.repeat(filled)}>${' '.repeat(Math.max(0, 50 - filled))}] ` : '';

  let numbers = '';
  if (!detail.hidecounts) {
    if (detail.units) numbers = `${current}/${total} ${detail.units}`;
    else if (current > total) numbers = humanSize(current).padStart(8);
    else numbers = `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  }

  // NOTE: berthd sends no start time, so the time-left estimate appears only when a stream carries one.
  let timeLeft = '';
  if (current < total && width > 50 && detail.start) {
    const elapsedSeconds = now / 1000 - detail.start;
    const secondsLeft = Math.trunc(((total - current) * elapsedSeconds) / current);
    timeLeft = ` ${goSeconds(Math.max(0, secondsLeft))}`;
  }
  return bar + numbers + timeLeft;
}

function hasDetail(message: ProgressMessage): boolean {
  return message.progressDetail !== undefined && message.progressDetail !== null;
}

// Returns the error a message carries, in the docker CLI's words.
function messageError(message: ProgressMessage): CliError | null {
  if (message.errorDetail?.message === undefined && message.error === undefined) return null;
  if (message.errorDetail?.code === 401) return new CliError('authentication is required');
  return new CliError(message.errorDetail?.message ?? message.error ?? 'unknown error');
}

// Writes one message (jsonmessage.Display): on a terminal a progress line is cleared and ends in "\r" instead of "\n".
function displayMessage(message: ProgressMessage, output: ProgressOutput): void {
  const { stream, isTerminal } = output;
  const width = stream.columns ?? 200;
  const progressText = hasDetail(message) ? renderProgressBar(message.progressDetail!, width) : '';
  let lineEnd = '';
  if (isTerminal && message.stream === undefined && hasDetail(message)) {
    lineEnd = '\r';
    stream.write(`${CLEAR_LINE}\r`);
  } else if (progressText !== '') {
    // Byte counts are left out without a terminal, because they cannot be redrawn.
    return;
  }

  let text = '';
  if (message.id) text += `${message.id}: `;
  if (message.from) text += `(from ${message.from}) `;
  const status = message.status ?? '';
  if (hasDetail(message) && isTerminal) text += `${status} ${progressText}${lineEnd}`;
  else if (message.progress) text += `${status} ${message.progress}${lineEnd}`;
  else if (message.stream !== undefined) text += `${message.stream}${lineEnd}`;
  else text += `${status}${lineEnd}\n`;
  stream.write(text);
}

// Reads a JSON message stream to its end and displays it (output null
// displays nothing). Aux messages go to onAux. Throws CliError when a message
// carries an error, after displaying the messages before it.
export async function displayProgressStream(source: Readable, output: ProgressOutput | null, onAux?: (aux: Record<string, unknown>) => void): Promise<ProgressMessage[]> {
  const messages: ProgressMessage[] = [];
  // Line of each layer ID, counted from the first progress line of the current block.
  let lines = new Map<string, number>();
  let pending = '';

  const handle = (line: string) => {
    if (line.trim() === '') return;
    let message: ProgressMessage;
    try {
      message = JSON.parse(line) as ProgressMessage;
    } catch {
      throw new CliError(`invalid message from the daemon: ${line}`);
    }
    messages.push(message);
    const error = messageError(message);
    if (error) throw error;
    if (message.aux) {
      onAux?.(message.aux);
      return;
    }
    if (!output) return;

    const terminal = output.isTerminal;
    let distance = 0;
    if (message.id && (hasDetail(message) || message.progress)) {
      let index = lines.get(message.id);
      if (index === undefined) {
        index = lines.size;
        lines.set(message.id, index);
        if (terminal) output.stream.write('\n');
      }
      distance = lines.size - index;
      if (terminal) output.stream.write(cursorUp(distance));
    } else {
      // A line without a layer ID starts a new block: earlier layer lines are no longer redrawn.
      lines = new Map();
    }
    displayMessage(message, output);
    if (message.id && terminal) output.stream.write(cursorDown(distance));
  };

  for await (const chunk of source) {
    pending += (chunk as Buffer).toString('utf8');
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const part of parts) handle(part);
  }
  handle(pending);
  return messages;
}
