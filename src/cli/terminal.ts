// The local terminal during -t sessions: raw mode on stdin, the size of
// stdout, resize notifications, and the detach key sequence (ctrl-p ctrl-q
// unless --detach-keys sets another).
import { spawnSync } from 'node:child_process';
import type { Streams } from './command';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

// Returns [height, width] of the terminal on stdout, or null when stdout is not a terminal.
export function terminalSize(streams: Streams): [number, number] | null {
  const { stdout } = streams;
  if (!stdout.isTTY || !stdout.rows || !stdout.columns) return null;
  return [stdout.rows, stdout.columns];
}

// Puts the terminal on stdin in raw mode. Returns the function that restores it (safe to call twice).
// Node's raw mode keeps output post-processing (\n becomes \r\n), but the
// container's terminal already sends \r\n, so "stty -opost" turns it off as
// docker's raw mode does. Restoring through Node puts back the saved settings.
export function enableRawMode(streams: Streams): () => void {
  const { stdin } = streams;
  if (!stdin.isTTY || typeof stdin.setRawMode !== 'function') return () => undefined;
  stdin.setRawMode(true);
  // Without stty the output keeps \r\r\n line ends. Nothing else changes.
  spawnSync('stty', ['-opost'], { stdio: [stdin.fd ?? 0, 'ignore', 'ignore'] });
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    stdin.setRawMode?.(false);
  };
  process.once('exit', restore);
  return restore;
}

// Calls onResize with the new [height, width] whenever the terminal on stdout changes size (SIGWINCH).
export function watchResize(streams: Streams, onResize: (size: [number, number]) => void): () => void {
  const listener = () => {
    const size = terminalSize(streams);
    if (size) onResize(size);
  };
  streams.stdout.on('resize', listener);
  return () => streams.stdout.off('resize', listener);
}

const CONTROL_KEYS: Record<string, number> = { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 };

// Parses a detach key sequence such as "ctrl-p,ctrl-q" or "ctrl-a,a" into bytes.
export function parseDetachKeys(text: string): Buffer {
  const bytes: number[] = [];
  for (const key of text.split(',')) {
    const lower = key.toLowerCase();
    if (key.length === 1) {
      bytes.push(key.charCodeAt(0));
      continue;
    }
    const match = lower.match(/^ctrl-(.)$/);
    if (!match) throw new Error(`invalid detach keys "${text}": use a comma-separated list of single characters or ctrl-<letter>, such as ctrl-p,ctrl-q`);
    const character = match[1];
    if (character >= 'a' && character <= 'z') bytes.push(character.charCodeAt(0) - 'a'.charCodeAt(0) + 1);
    else if (character in CONTROL_KEYS) bytes.push(CONTROL_KEYS[character]);
    else throw new Error(`invalid detach keys "${text}": unknown key ctrl-${character}`);
  }
  return Buffer.from(bytes);
}

// Watches terminal input for the detach sequence. Bytes that start a partial
// match are held back until the match fails, so a completed sequence never
// reaches the container (the behaviour of docker's escape proxy).
export class DetachKeyDetector {
  private matched = 0;

  constructor(private readonly keys: Buffer) {}

  // Returns the bytes to forward and whether the sequence completed in this chunk.
  feed(chunk: Buffer): { forward: Buffer; detached: boolean } {
    if (this.keys.length === 0) return { forward: chunk, detached: false };
    const forward: number[] = [];
    for (const byte of chunk) {
      if (byte === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) {
          this.matched = 0;
          return { forward: Buffer.from(forward), detached: true };
        }
        continue;
      }
      // The partial match failed: release the held bytes, then look at this byte afresh.
      if (this.matched > 0) {
        forward.push(...this.keys.subarray(0, this.matched));
        this.matched = 0;
      }
      if (byte !== this.keys[0]) {
        forward.push(byte);
      } else if (this.keys.length === 1) {
        return { forward: Buffer.from(forward), detached: true };
      } else {
        this.matched = 1;
      }
    }
    return { forward: Buffer.from(forward), detached: false };
  }
}
