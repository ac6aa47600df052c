// Detach keys: a client typing this sequence on an attached TTY leaves the
// container running and ends the attach. The syntax is Docker's: keys
// separated by commas, each a single character or "ctrl-<c>" for <c> in
// a-z, @, [, \, ], ^, _ (ctrl-a is byte 1), or "DEL" (127).
import { InvalidArgumentError } from '../../common/errors';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

const CONTROL_CHARACTERS = '@abcdefghijklmnopqrstuvwxyz[\\]^_';

// Converts a key specification to bytes. Raises InvalidArgumentError naming the key it cannot read.
export function parseDetachKeys(specification: string): Buffer {
  const bytes: number[] = [];
  for (const key of specification.split(',')) {
    if (key.length === 1) {
      bytes.push(key.charCodeAt(0));
      continue;
    }
    const control = /^ctrl-(.)$/.exec(key);
    const index = control ? CONTROL_CHARACTERS.indexOf(control[1]) : -1;
    if (index !== -1) {
      bytes.push(index);
    } else if (key === 'DEL') {
      bytes.push(127);
    } else {
      throw new InvalidArgumentError(`Unknown character: '${key}'`);
    }
  }
  return Buffer.from(bytes);
}

export interface ScanResult {
  // Input to pass on to the process.
  forward: Buffer;
  // True when the whole sequence arrived. Input after it is dropped.
  detached: boolean;
}

// Finds the detach sequence in client input that may arrive split across
// chunks. Bytes that could start the sequence are held back. Once they stop
// matching they are forwarded, so normal input is never lost.
export class DetachKeyScanner {
  private held: number[] = [];

  constructor(private readonly keys: Buffer) {}

  push(chunk: Buffer): ScanResult {
    const forward: number[] = [];
    for (const byte of chunk) {
      this.held.push(byte);
      if (this.held.length === this.keys.length && this.heldMatchesPrefix(0)) {
        this.held = [];
        return { forward: Buffer.from(forward), detached: true };
      }
      // Keep the longest tail of the held bytes that is still a prefix of the sequence.
      let start = 0;
      while (start < this.held.length && !this.heldMatchesPrefix(start)) start++;
      forward.push(...this.held.slice(0, start));
      this.held = this.held.slice(start);
    }
    return { forward: Buffer.from(forward), detached: false };
  }

  // Returns the held bytes, for the end of input when no more of the sequence can come.
  flush(): Buffer {
    const rest = Buffer.from(this.held);
    this.held = [];
    return rest;
  }

  private heldMatchesPrefix(start: number): boolean {
    for (let index = start; index < this.held.length; index++) {
      if (this.held[index] !== this.keys[index - start]) return false;
    }
    return true;
  }
}
