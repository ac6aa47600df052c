// Reads a layer blob while it downloads, so a pull unpacks a layer during
// its download instead of after it. The stream ends only once the download
// has checked the blob's size and digest, so unverified bytes never complete
// a layer. A download that restarts after a transient failure makes the
// stream fail with DownloadRestartedError, because the bytes read so far
// belong to the abandoned attempt. The caller then unpacks the finished file again.
import fsp from 'node:fs/promises';

const READ_CHUNK_BYTES = 1024 * 1024;
// Fallback wake-up, for the bytes of the last write that land after its progress callback.
const POLL_INTERVAL_MS = 20;

export class DownloadRestartedError extends Error {}

// State of one blob download that a follower waits on.
export class DownloadWatch {
  restarted = false;
  private settled = false;
  private failure: unknown = null;
  private waiter: (() => void) | null = null;

  // Pass to downloadBlob as its progress and restart callbacks.
  readonly onBytes = (): void => this.wake();
  readonly onRestart = (): void => {
    this.restarted = true;
    this.wake();
  };

  track(download: Promise<unknown>): void {
    download.then(
      () => this.settle(null),
      (error: unknown) => this.settle(error ?? new Error('blob download failed')),
    );
  }

  isSettled(): boolean {
    return this.settled;
  }

  // Throws the download's error, or DownloadRestartedError after a restart.
  checkFailure(): void {
    if (this.failure !== null) throw this.failure;
    if (this.restarted) throw new DownloadRestartedError('the blob download restarted, so the bytes read so far are discarded');
  }

  // Resolves on the next progress, restart or end of the download, or after a short interval.
  wait(): Promise<void> {
    if (this.settled) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        resolve();
      }, POLL_INTERVAL_MS);
      this.waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private settle(failure: unknown): void {
    this.settled = true;
    this.failure = failure;
    this.wake();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }
}

// Yields the file's bytes as the download writes them, and ends when the download has succeeded.
export async function* followDownload(file: string, watch: DownloadWatch): AsyncGenerator<Buffer> {
  const handle = await openWhenCreated(file, watch);
  try {
    let position = 0;
    for (;;) {
      watch.checkFailure();
      // Check for the end before the read. An ended download has closed its
      // file, so a read that then returns nothing means the end of the blob.
      const ended = watch.isSettled();
      // Sized to what is on disk, so that polling and short reads allocate no large buffers.
      const available = Math.min((await handle.stat()).size - position, READ_CHUNK_BYTES);
      const buffer = Buffer.allocUnsafe(Math.max(available, 0));
      const { bytesRead } = available > 0 ? await handle.read(buffer, 0, available, position) : { bytesRead: 0 };
      if (bytesRead > 0) {
        position += bytesRead;
        yield buffer.subarray(0, bytesRead);
        continue;
      }
      if (ended) {
        watch.checkFailure();
        return;
      }
      await watch.wait();
    }
  } finally {
    await handle.close();
  }
}

// The download creates the file once the registry has sent the response headers, so it may not exist yet.
async function openWhenCreated(file: string, watch: DownloadWatch): Promise<fsp.FileHandle> {
  for (;;) {
    watch.checkFailure();
    const ended = watch.isSettled();
    try {
      return await fsp.open(file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || ended) throw error;
    }
    await watch.wait();
  }
}
