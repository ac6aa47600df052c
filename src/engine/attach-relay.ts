// A StdioSession that a client can hold before the container runs. Docker
// clients attach first and start second (`docker run` does), so the engine
// hands out a relay at attach time and connects it to the runtime's session
// when the container starts; stdin written before that is buffered.
import { PassThrough } from 'node:stream';
import type { OutputChunk, OutputStreamName, StdioSession } from './engine';

export class AttachRelay implements StdioSession {
  readonly output = new PassThrough({ objectMode: true });
  readonly hasStdin: boolean;
  private inner: StdioSession | null = null;
  private pendingInput: Buffer[] = [];
  private inputClosed = false;
  private closed = false;

  constructor(
    hasStdin: boolean,
    private readonly streams: ReadonlySet<OutputStreamName>,
    private readonly onClose: (relay: AttachRelay) => void,
  ) {
    this.hasStdin = hasStdin;
  }

  get connected(): boolean {
    return this.inner !== null;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // Writes a chunk that did not come from the live session, such as replayed log lines.
  push(chunk: OutputChunk): void {
    if (this.streams.has(chunk.stream) && !this.output.writableEnded) this.output.write(chunk);
  }

  // Connects the relay to a live session; output flows until the live session ends.
  connect(session: StdioSession): void {
    if (this.closed) {
      session.close();
      return;
    }
    this.inner = session;
    session.output.on('data', (chunk: OutputChunk) => this.push(chunk));
    session.output.on('end', () => this.finish());
    session.output.on('error', () => this.finish());
    for (const data of this.pendingInput) session.writeStdin(data);
    this.pendingInput = [];
    if (this.inputClosed) session.closeStdin();
  }

  // Ends the output without a live session, for example when the container fails to start.
  finish(): void {
    if (!this.output.writableEnded) this.output.end();
    this.markClosed();
  }

  writeStdin(data: Buffer): void {
    if (!this.hasStdin || this.closed) return;
    if (this.inner) this.inner.writeStdin(data);
    else this.pendingInput.push(data);
  }

  closeStdin(): void {
    this.inputClosed = true;
    this.inner?.closeStdin();
  }

  close(): void {
    this.inner?.close();
    this.finish();
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this);
  }
}
