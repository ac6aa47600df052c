// Displays the JSON message stream of POST /build. Plain output prints the
// "stream" texts as Docker's classic builder does. On a terminal (--progress
// auto) a live view keeps one line per step and, below the running step,
// its last output lines, redrawn in place.
import type { Readable, Writable } from 'node:stream';
import { CliError } from '../command';
import { readJsonMessages } from './json-messages';

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
  // Ends the display of a failed build, keeping the failing step's output visible.
  fail(): void;
}

const STEP_LINE = /^Step \d+\/\d+ : /;
const OUTPUT_LINES_SHOWN = 6;

export function plainDisplay(output: Writable): BuildDisplay {
  return { write: (text) => output.write(text), finish: () => undefined, fail: () => undefined };
}

// A live view for a terminal: finished steps stay as single lines, the running step shows its last output lines.
// The "Successfully built/tagged" lines are printed below the view when the build ends.
export function liveDisplay(output: Writable & { columns?: number }): BuildDisplay {
  const steps: string[] = [];
  const summary: string[] = [];
  let recent: string[] = [];
  let partial = '';
  let drawnLines = 0;
  let finished = false;
  const started = Date.now();

  // A pseudo-terminal without a size reports 0 columns, so 80 is assumed then.
  const width = () => (output.columns !== undefined && output.columns > 0 ? output.columns : 80);
  const clip = (line: string) => line.slice(0, Math.max(20, width() - 1));
  const redraw = () => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const lines = [`[+] Building ${seconds}s (${steps.length} steps)${finished ? ' FINISHED' : ''}`];
    steps.forEach((step, index) => lines.push(`${index === steps.length - 1 && !finished ? '=>' : ' ✔'} ${step}`));
    for (const line of recent) lines.push(` │ ${line}`);

    let text = drawnLines > 0 ? `\x1b[${drawnLines}A` : '';
    for (const line of lines) text += `\x1b[2K${clip(line)}\n`;
    // Lines left from a taller earlier frame are cleared, then the cursor returns below this frame.
    const leftover = drawnLines - lines.length;
    if (leftover > 0) text += `${'\x1b[2K\n'.repeat(leftover)}\x1b[${leftover}A`;
    output.write(text);
    drawnLines = lines.length;
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
        } else if (/^Successfully (built|tagged) /.test(line)) {
          summary.push(line);
        } else if (line.trim() !== '' && !line.startsWith(' ---> ')) {
          recent = [...recent, line].slice(-OUTPUT_LINES_SHOWN);
        }
      }
      redraw();
    },
    finish() {
      finished = true;
      recent = [];
      redraw();
      for (const line of summary) output.write(`${line}\n`);
    },
    fail() {
      if (partial !== '') recent = [...recent, partial].slice(-OUTPUT_LINES_SHOWN);
      redraw();
    },
  };
}

// Reads the stream to its end and returns the image ID from the aux message. An error message throws CliError with its text.
export async function displayBuildStream(source: Readable, display: BuildDisplay | null): Promise<string | null> {
  let imageId: string | null = null;
  await readJsonMessages<BuildMessage>(source, (message) => {
    if (message.error !== undefined || message.errorDetail?.message !== undefined) {
      display?.fail();
      throw new CliError(message.errorDetail?.message ?? message.error ?? 'unknown error', 1);
    }
    if (message.aux?.ID !== undefined) imageId = message.aux.ID;
    if (display === null) return;
    if (message.stream !== undefined) display.write(message.stream);
    else if (message.status !== undefined) display.write(`${message.id ? `${message.id}: ` : ''}${message.status}${message.progress ? ` ${message.progress}` : ''}\n`);
  });
  display?.finish();
  return imageId;
}
