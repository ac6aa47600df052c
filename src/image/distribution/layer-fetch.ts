// Fetches the layers of a pulled image: downloads the ones the store lacks
// (three at a time) and unpacks them (two at a time), each while its download
// is still running, then links each verified blob into the content store.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../common/logger';
import type { LayerStore } from '../layer-store';
import { chainIds } from '../digest';
import type { RegistryClient } from './client';
import { downloadBlob } from './blob-download';
import { DownloadWatch, followDownload } from './download-follower';
import type { Descriptor } from './manifest';
import type { ProgressMessage, PullStore } from './pull';

const DOWNLOAD_CONCURRENCY = 3;
const UNPACK_CONCURRENCY = 2;
const PROGRESS_INTERVAL_MS = 100;

interface PendingDownload {
  download: Promise<string>;
  watch: DownloadWatch;
  file: string;
}

// Downloads the layers the store lacks (three at a time) and unpacks them
// (two at a time). Every layer of the image stays pinned until the pull ends.
export async function fetchLayers(
  store: PullStore,
  client: RegistryClient,
  descriptors: Descriptor[],
  diffIds: string[],
  onProgress: (message: ProgressMessage) => void,
  logger: Logger,
): Promise<void> {
  const chain = chainIds(diffIds);
  const pinned: string[] = [];
  const work = await fsp.mkdtemp(path.join(store.temporaryDirectory, 'pull-'));
  const downloads = new Map<number, PendingDownload>();
  const unpacks: Array<Promise<void>> = [];
  let cancelled = false;
  try {
    const limiter = new Limiter(DOWNLOAD_CONCURRENCY);
    for (const [index, descriptor] of descriptors.entries()) {
      const id = shortId(descriptor.digest);
      pinned.push(chain[index]);
      if (store.layers.acquire(chain[index])) {
        onProgress({ status: 'Already exists', progressDetail: {}, id });
        continue;
      }
      onProgress({ status: 'Pulling fs layer', progressDetail: {}, id });
      const file = path.join(work, `${index}-${descriptor.digest.slice(7)}`);
      const watch = new DownloadWatch();
      const download = limiter.run(async () => {
        if (cancelled) throw new Error('pull cancelled');
        const report = throttled((received: number) => onProgress({ status: 'Downloading', progressDetail: { current: received, total: descriptor.size }, id }));
        const onBytes = (received: number) => {
          report(received);
          watch.onBytes();
        };
        await downloadBlob(client, descriptor, file, onBytes, logger, watch.onRestart);
        onProgress({ status: 'Verifying Checksum', progressDetail: {}, id });
        onProgress({ status: 'Download complete', progressDetail: {}, id });
        return file;
      });
      // Rejections are handled where each download is awaited, in order.
      download.catch(() => undefined);
      watch.track(download);
      downloads.set(index, { download, watch, file });
    }
    // Downloads past the first three wait for a free slot.
    for (const index of [...downloads.keys()].slice(DOWNLOAD_CONCURRENCY)) onProgress({ status: 'Waiting', progressDetail: {}, id: shortId(descriptors[index].digest) });

    // Layers unpack into directories of their own, so two can unpack at
    // once and fill the time one of them waits for zlib, disk or the download.
    const unpackLimiter = new Limiter(UNPACK_CONCURRENCY);
    for (const [index, descriptor] of descriptors.entries()) {
      const pending = downloads.get(index);
      if (!pending) continue;
      const unpack = unpackLimiter.run(async () => {
        if (cancelled) throw new Error('pull cancelled');
        const parent = index === 0 ? null : chain[index - 1];
        await unpackPulledLayer(store, descriptor, diffIds[index], parent, pending, onProgress, logger);
      });
      // Rejections are handled where the unpacks are awaited, in layer order.
      unpack.catch(() => undefined);
      unpacks.push(unpack);
    }
    for (const unpack of unpacks) await unpack;
  } finally {
    cancelled = true;
    await Promise.allSettled(unpacks);
    await Promise.allSettled([...downloads.values()].map((pending) => pending.download));
    await fsp.rm(work, { recursive: true, force: true });
    for (const chainId of pinned) store.layers.release(chainId);
  }
}

// Unpacks one layer while it downloads, then links its verified blob into the content store.
async function unpackPulledLayer(
  store: PullStore,
  descriptor: Descriptor,
  diffId: string,
  parent: string | null,
  pending: PendingDownload,
  onProgress: (message: ProgressMessage) => void,
  logger: Logger,
): Promise<void> {
  const id = shortId(descriptor.digest);
  const report = throttled((current: number) => onProgress({ status: 'Extracting', progressDetail: { current, total: descriptor.size }, id }));
  let created: Awaited<ReturnType<LayerStore['create']>>;
  try {
    created = await store.layers.create(countingReader(followDownload(pending.file, pending.watch), report), parent, diffId);
  } catch (error) {
    // A failed download fails the pull with its own error. After a
    // restarted download, or any other failure while following it, the
    // finished file is unpacked again from the start.
    await pending.download;
    logger.warn({ blob: descriptor.digest, err: error }, 'unpack during the download failed; unpacking the downloaded blob again');
    created = await store.layers.create(countingReader(fs.createReadStream(pending.file, { highWaterMark: 1024 * 1024 }), report), parent, diffId);
  }
  const file = await pending.download;
  // create() pinned the layer a second time for this caller.
  store.layers.release(created.layer.chainId);
  // downloadBlob checked the file's digest and size, so it is linked into the store and not copied.
  await store.content.adoptFile(file, { digest: descriptor.digest, size: descriptor.size });
  await fsp.rm(file, { force: true });
  onProgress({ status: 'Pull complete', progressDetail: {}, id });
  logger.info({ layer: created.layer.chainId, blob: descriptor.digest, skippedEntries: created.unpack.skipped.length }, 'layer pulled');
}

// Docker names layers in progress messages by the first 12 hex digits of their blob digest.
function shortId(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

function throttled(report: (value: number) => void): (value: number) => void {
  let last = 0;
  return (value: number) => {
    const now = Date.now();
    if (now - last < PROGRESS_INTERVAL_MS) return;
    last = now;
    report(value);
  };
}

async function* countingReader(source: AsyncIterable<Buffer>, report: (bytes: number) => void): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of source) {
    total += (chunk as Buffer).length;
    report(total);
    yield chunk as Buffer;
  }
}

// Runs at most `limit` tasks at a time, in the order they were queued.
class Limiter {
  private active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}
