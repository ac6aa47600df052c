// Displays the JSON message stream of POST /build. Plain output prints the
// "stream" texts as Docker's classic builder does. On a terminal (--progress
// auto) a live view keeps one line per step and, below the running step,
// its last output lines, redrawn in place.
import type { Readable, Writable } from 'node:stream';
import { CliError } from '../command';

interface BuildMessage {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  error?: string;
  errorDetail?: { code?: number; message?: string };
  aux?: { ID?: string };
}

export interface BuildDisplay {
  // Receives the text of a "stream" or "status" message.
  write(text: string): void;
  finish(): void;
}

const STEP_LINE = /^Step \d+\/\d+ : /;
const OUTPUT_LINES_SHOWN = 6;

export function plainDisplay(output: Writable): BuildDisplay {
  return { write: (text) => output.write(text), finish: () => undefined };
}

// A live view for a terminal: finished steps stay as single lines, the running step shows its last output lines.
export function liveDisplay(output: Writable & { columns?: number }): BuildDisplay {
  const steps: string[] = [];
  let recent: string[] = [];
  let partial = '';
  let drawnLines = 0;
  const started = Date.now();

  const clip = (line: string) => line.slice(0, Math.max(20, (output.columns ?? 80) - 1));
  const redraw = () => {
    const lines = steps.map((step, index) => `${index === steps.length - 1 ? '=>' : ' ✔'} ${step}`);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    lines.unshift(`[+] Building ${seconds}s`);
    for (const line of recent) lines.push(` │ ${line}`);
    let text = drawnLines > 0 ? `\x1b[${drawnLines}A` : '';
    for (const line of lines) text += `\x1b[2K${clip(line)}\n`;
    // Lines left from a taller earlier frame are cleared.
    for (let extra = lines.length; extra < drawnLines; extra++) text += '\x1b[2K\n';
    output.write(text);
    drawnLines = Math.max(lines.length, drawnLines);
  };

  return {
    write(text) {
      partial += text;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (STEP_LINE.test(line)) {
          steps.push(line);
          recent = [];
        } else if (line.trim() !== '' && !line.startsWith(' ---> ')) {
          recent = [...recent, line].slice(-OUTPUT_LINES_SHOWN);
        }
      }
      redraw();
    },
    finish() {
      recent = [];
      redraw();
    },
  };
}

// Reads the stream to its end and returns the image ID from the aux message. An error message throws CliError with its text.
export async function displayBuildStream(source: Readable, display: BuildDisplay | null): Promise<string | null> {
  let imageId: string | null = null;
  let pending = '';
  const handleLine = (line: string) => {
    if (line.trim() === '') return;
    let message: BuildMessage;
    try {
      message = JSON.parse(line) as BuildMessage;
    } catch {
      throw new CliError(`invalid message from the daemon: ${line}`);
    }
    if (message.error !== undefined || message.errorDetail?.message !== undefined) {
      display?.finish();
      throw new CliError(message.errorDetail?.message ?? message.error ?? 'unknown error', 1);
    }
    if (message.aux?.ID !== undefined) imageId = message.aux.ID;
    if (display === null) return;
    if (message.stream !== undefined) display.write(message.stream);
    else if (message.status !== undefined) display.write(`${message.id ? `${message.id}: ` : ''}${message.status}${message.progress ? ` ${message.progress}` : ''}\n`);
  };

  for await (const chunk of source) {
    pending += (chunk as Buffer).toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) handleLine(line);
  }
  handleLine(pending);
  display?.finish();
  return imageId;
}
