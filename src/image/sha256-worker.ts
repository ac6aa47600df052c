// sha256 on a worker thread, so that hashing a layer (for its diff ID)
// overlaps with writing its files on the main thread instead of adding to
// it. In a CPU profile of unpacking a 600 MB tar of 54,000 entries to tmpfs
// on a 2-core VM, hashing took about a third of the main thread's time.
//
// One worker serves every hash in the process. Data goes over in 256 KiB
// batches whose memory is transferred, not cloned. The worker keeps the
// process alive only while a hash is in progress.
import { Worker } from 'node:worker_threads';

const BATCH_BYTES = 256 * 1024;

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', (message) => {
  if (message.type === 'update') {
    let hash = hashes.get(message.job);
    if (!hash) hashes.set(message.job, (hash = createHash('sha256')));
    hash.update(message.data);
  } else if (message.type === 'digest') {
    const hash = hashes.get(message.job) ?? createHash('sha256');
    hashes.delete(message.job);
    parentPort.postMessage({ job: message.job, hex: hash.digest('hex') });
  } else if (message.type === 'cancel') {
    hashes.delete(message.job);
  }
});
`;

interface Pending {
  resolve: (hex: string) => void;
  reject: (error: Error) => void;
}

let worker: Worker | null = null;
let nextJob = 1;
let activeJobs = 0;
const pending = new Map<number, Pending>();

function sharedWorker(): Worker {
  if (worker) return worker;
  const created = new Worker(WORKER_SOURCE, { eval: true });
  if (activeJobs === 0) created.unref();
  created.on('message', (message: { job: number; hex: string }) => {
    pending.get(message.job)?.resolve(message.hex);
    pending.delete(message.job);
  });
  created.on('error', (error) => failAll(created, error));
  created.on('exit', (code) => failAll(created, new Error(`sha256 worker exited with code ${code}`)));
  worker = created;
  return created;
}

// A crashed worker fails every hash it held; the next hash starts a new worker.
function failAll(failed: Worker, error: Error): void {
  if (worker === failed) worker = null;
  for (const entry of pending.values()) entry.reject(error);
  pending.clear();
}

export class OffThreadSha256 {
  private readonly job = nextJob++;
  private readonly worker = sharedWorker();
  private batch = Buffer.allocUnsafeSlow(BATCH_BYTES);
  private used = 0;
  private finished = false;

  constructor() {
    if (activeJobs++ === 0) this.worker.ref();
  }

  update(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      const copied = chunk.copy(this.batch, this.used, offset);
      this.used += copied;
      offset += copied;
      if (this.used === BATCH_BYTES) this.flush();
    }
  }

  private flush(): void {
    if (this.used === 0) return;
    const data = new Uint8Array(this.batch.buffer, this.batch.byteOffset, this.used);
    this.worker.postMessage({ type: 'update', job: this.job, data }, [this.batch.buffer]);
    this.batch = Buffer.allocUnsafeSlow(BATCH_BYTES);
    this.used = 0;
  }

  // Returns "sha256:<hex>" of everything passed to update().
  async digest(): Promise<string> {
    this.flush();
    const hex = new Promise<string>((resolve, reject) => pending.set(this.job, { resolve, reject }));
    this.worker.postMessage({ type: 'digest', job: this.job });
    try {
      return `sha256:${await hex}`;
    } finally {
      this.release();
    }
  }

  // Drops the hash without a result, after a failed unpack.
  cancel(): void {
    if (this.finished) return;
    this.worker.postMessage({ type: 'cancel', job: this.job });
    this.release();
  }

  private release(): void {
    if (this.finished) return;
    this.finished = true;
    if (--activeJobs === 0) this.worker.unref();
  }
}
