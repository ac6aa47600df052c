// Progress messages in the classic builder's format ("Step 2/9 : RUN make",
// " ---> Running in 1a2b3c4d5e6f"). Stages can run in parallel, but the client
// receives their output in Dockerfile order: the first unfinished stage in that
// order streams live and the messages of later stages wait in a buffer until
// every stage before them has finished.
import type { BuildMessage, BuildProgress } from '../types';

export class ProgressSequencer {
  private readonly buffers = new Map<number, BuildMessage[]>();
  private readonly finished = new Set<number>();
  private position = 0;

  // order: the indexes of the stages being built, in Dockerfile order.
  constructor(
    private readonly order: readonly number[],
    private readonly send: BuildProgress,
    private readonly quiet: boolean,
  ) {}

  // Sends text in the "stream" field, unless the build is quiet.
  stream(stage: number, text: string): void {
    if (this.quiet) return;
    this.message(stage, { stream: text });
  }

  message(stage: number, message: BuildMessage): void {
    if (this.quiet && !('aux' in message)) return;
    // A stage outside the plan, found only when a stage ARG expanded a --from, streams at once.
    if (this.order[this.position] === stage || !this.order.includes(stage)) {
      this.send(message);
      return;
    }

    let buffer = this.buffers.get(stage);
    if (!buffer) {
      buffer = [];
      this.buffers.set(stage, buffer);
    }
    buffer.push(message);
  }

  // Marks a stage as done and sends the buffered output of the stages after it that can now go.
  finish(stage: number): void {
    this.finished.add(stage);

    while (this.position < this.order.length && this.finished.has(this.order[this.position])) {
      this.position++;
      this.flush(this.order[this.position]);
    }
  }

  // Sends whatever is still buffered, in stage order, when a build fails part-way.
  flushAll(): void {
    for (const stage of this.order) this.flush(stage);
  }

  private flush(stage: number | undefined): void {
    if (stage === undefined) return;
    const buffer = this.buffers.get(stage);
    if (!buffer) return;

    this.buffers.delete(stage);
    for (const message of buffer) this.send(message);
  }
}

// The 12-hex short form Docker prints for image and container IDs.
export function shortImageId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
