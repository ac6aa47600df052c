// Pulls an image from a registry into the image store. The reference is
// resolved on each endpoint in turn (mirrors, HTTPS, then plain HTTP for
// insecure registries), and the platform's manifest is picked from a list or
// index. Missing layers download three at a time into a temporary directory
// and are unpacked in order, each while its download is still running (see
// download-follower.ts); layers already in the store are skipped. The
// image is committed last, with its tag and RepoDigests. Progress goes out as
// Docker's JSON messages.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { RegistrySettings } from '../../common/config';
import type { Logger } from '../../common/logger';
import { InvalidArgumentError, NotFoundError } from '../../common/errors';
import type { ImageConfig } from '../types';
import type { LayerStore } from '../layer-store';
import type { ContentStore } from '../content-store';
import { chainIds, sha256Digest } from '../digest';
import { parseImageConfig } from '../image-config';
import { familiarName, familiarString, formatReference, parseReference, repositoryName, withDefaultTag, type ImageReference } from '../reference';
import { EndpointUnreachableError, RegistryError, RegistryClient, readAll } from './client';
import { resolveEndpoints } from './endpoints';
import { downloadBlob } from './blob-download';
import { DownloadWatch, followDownload } from './download-follower';
import { fetchManifest, type Descriptor, type FetchedManifest, type ImageManifest } from './manifest';
import { formatPlatform, matchRank, parsePlatform, selectManifest, type Platform } from './platform';
import type { RegistryCredentials } from './auth';

const DOWNLOAD_CONCURRENCY = 3;
const PROGRESS_INTERVAL_MS = 100;
const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

export interface ProgressMessage {
  status: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
}

export interface PullOptions {
  credentials: RegistryCredentials | null;
  // "os/arch[/variant]"; null or "" means the host platform.
  platform: string | null;
  registry: RegistrySettings;
  certsDirectories: string[];
}

export interface PulledImage {
  id: string;
  configBlob: Buffer;
  config: ImageConfig;
  // The platform manifest the layers came from, kept in the content store.
  manifest: { digest: string; content: Buffer };
  // Normalized references to point at the image: the tag (if any) and repository@digest.
  references: string[];
}

// Image store access that a pull needs. commit() runs under the store's metadata lock.
export interface PullStore {
  temporaryDirectory: string;
  layers: LayerStore;
  // Keeps the compressed layer blobs, so that a push can send the same bytes.
  content: ContentStore;
  logger: Logger;
  // Stores the blobs and the record, points the references at the image, and
  // returns the image that the first reference named before.
  commit(image: PulledImage): Promise<string | undefined>;
}

// Pulls input ("busybox", "127.0.0.1:5000/app:1", "app@sha256:...") and returns the image ID.
export async function pullImage(store: PullStore, input: string, options: PullOptions, onProgress: (message: ProgressMessage) => void): Promise<string> {
  const reference = withDefaultTag(parseReference(input));
  const platform = parsePlatform(options.platform);
  const explicitPlatform = Boolean(options.platform && options.platform.trim());
  const endpoints = resolveEndpoints(reference.domain, { registry: options.registry, certsDirectories: options.certsDirectories });
  const logger = store.logger.child({ reference: formatReference(reference) });

  for (const [index, endpoint] of endpoints.entries()) {
    const client = new RegistryClient(endpoint, reference.path, options.credentials, ['pull'], logger);
    try {
      return await pullFromEndpoint(store, client, reference, platform, explicitPlatform, onProgress, logger);
    } catch (error) {
      const last = index === endpoints.length - 1;
      const fallback = error instanceof EndpointUnreachableError || (endpoint.mirror && error instanceof RegistryError);
      if (last || !fallback) throw translatePullError(error, reference);
      logger.warn({ endpoint: endpoint.url, err: error }, 'pull from endpoint failed; trying the next endpoint');
    } finally {
      client.close();
    }
  }
  throw new Error(`pull ${formatReference(reference)}: no endpoint to try`);
}

async function pullFromEndpoint(
  store: PullStore,
  client: RegistryClient,
  reference: ImageReference,
  platform: Platform,
  explicitPlatform: boolean,
  onProgress: (message: ProgressMessage) => void,
  logger: Logger,
): Promise<string> {
  const top = await fetchManifest(client, reference.digest ?? reference.tag!);
  // dockerd writes its first message once the manifest is found, so a missing image fails with an HTTP status.
  onProgress({ status: `Pulling from ${reference.path}`, id: reference.digest ?? reference.tag ?? undefined });
  let manifest: FetchedManifest = top;
  if (top.parsed.kind === 'index') {
    const entry = selectManifest(top.parsed.manifests, platform);
    manifest = await fetchManifest(client, entry.digest);
    if (manifest.parsed.kind !== 'manifest') throw new InvalidArgumentError(`manifest list ${top.digest}: entry ${entry.digest} is itself a list; nested lists are not supported`);
  }
  const image = manifest.parsed as ImageManifest;

  const configBlob = await fetchConfig(client, image.config);
  const imageId = image.config.digest;
  const config = parseImageConfig(configBlob, imageId);
  if (explicitPlatform && top.parsed.kind === 'manifest') {
    const actual: Platform = { os: config.os, architecture: config.architecture, variant: config.variant ?? null };
    if (matchRank(platform, actual) === null) {
      throw new NotFoundError(`image with reference ${familiarString(reference)} was found but does not match the specified platform: wanted ${formatPlatform(platform)}, actual: ${formatPlatform(actual)}`);
    }
  }
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== image.layers.length) {
    throw new InvalidArgumentError(`pull ${familiarString(reference)}: the manifest lists ${image.layers.length} layers but the image config ${imageId} lists ${diffIds.length}`);
  }

  await fetchLayers(store, client, image.layers, diffIds, onProgress, logger);

  const references = [`${repositoryName(reference)}@${top.digest}`];
  if (reference.digest === null) references.unshift(formatReference(reference));
  const previous = await store.commit({ id: imageId, configBlob, config, manifest: { digest: manifest.digest, content: manifest.content }, references });
  logger.info({ image: imageId, manifest: manifest.digest, endpoint: client.endpoint.url }, 'image pulled');

  onProgress({ status: `Digest: ${top.digest}` });
  const familiar = familiarString(reference);
  onProgress({ status: previous === imageId ? `Status: Image is up to date for ${familiar}` : `Status: Downloaded newer image for ${familiar}` });
  return imageId;
}

async function fetchConfig(client: RegistryClient, descriptor: Descriptor): Promise<Buffer> {
  if (descriptor.size > MAX_CONFIG_BYTES) throw new InvalidArgumentError(`image config ${descriptor.digest}: ${descriptor.size} bytes is more than the ${MAX_CONFIG_BYTES} allowed`);
  const response = await client.request('GET', client.repositoryUrl(`blobs/${descriptor.digest}`), { expect: [200] });
  const content = await readAll(response.body, MAX_CONFIG_BYTES);
  const digest = sha256Digest(content);
  if (content.length !== descriptor.size || digest !== descriptor.digest) {
    throw new InvalidArgumentError(`image config ${descriptor.digest}: verification failed: got ${content.length} bytes hashing to ${digest}, expected ${descriptor.size} bytes`);
  }
  return content;
}

// Downloads what the store lacks (three at a time) and unpacks in order, each
// layer on its parent. Every layer of the image stays pinned until the pull ends.
async function fetchLayers(
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
  const downloads = new Map<number, { download: Promise<string>; watch: DownloadWatch; file: string }>();
  const adoptions: Array<Promise<void>> = [];
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

    for (const [index, descriptor] of descriptors.entries()) {
      const pending = downloads.get(index);
      if (!pending) continue;
      const id = shortId(descriptor.digest);
      const report = throttled((current: number) => onProgress({ status: 'Extracting', progressDetail: { current, total: descriptor.size }, id }));
      const parent = index === 0 ? null : chain[index - 1];
      let created: Awaited<ReturnType<LayerStore['create']>>;
      try {
        created = await store.layers.create(countingReader(followDownload(pending.file, pending.watch), report), parent, diffIds[index]);
      } catch (error) {
        // A failed download fails the pull with its own error. After a
        // restarted download, or any other failure while following it, the
        // finished file is unpacked again from the start.
        await pending.download;
        logger.warn({ blob: descriptor.digest, err: error }, 'unpack during the download failed; unpacking the downloaded blob again');
        created = await store.layers.create(countingReader(fs.createReadStream(pending.file, { highWaterMark: 1024 * 1024 }), report), parent, diffIds[index]);
      }
      const file = await pending.download;
      // create() pinned the layer a second time for this caller.
      store.layers.release(created.layer.chainId);
      // downloadBlob checked the file's digest and size, so it is linked into
      // the store and not copied. Its fsync overlaps the next layer's unpack.
      const chainId = created.layer.chainId;
      const skippedEntries = created.unpack.skipped.length;
      const adoption = (async () => {
        await store.content.adoptFile(file, { digest: descriptor.digest, size: descriptor.size });
        await fsp.rm(file, { force: true });
        onProgress({ status: 'Pull complete', progressDetail: {}, id });
        logger.info({ layer: chainId, blob: descriptor.digest, skippedEntries }, 'layer pulled');
      })();
      // Rejections are handled where the adoptions are awaited, after the loop.
      adoption.catch(() => undefined);
      adoptions.push(adoption);
    }
    await Promise.all(adoptions);
  } finally {
    await Promise.allSettled(adoptions);
    cancelled = true;
    await Promise.allSettled([...downloads.values()].map((pending) => pending.download));
    await fsp.rm(work, { recursive: true, force: true });
    for (const chainId of pinned) store.layers.release(chainId);
  }
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

// Rewords registry errors the way dockerd reports failed pulls.
function translatePullError(error: unknown, reference: ImageReference): unknown {
  if (!(error instanceof RegistryError)) return error;
  const name = familiarName(reference);
  if (error.codes.includes('MANIFEST_UNKNOWN') || (error.status === 404 && error.codes.length === 0)) {
    return new NotFoundError(`manifest for ${familiarString(reference)} not found: ${error.message}`, { cause: error });
  }
  if (error.codes.includes('NAME_UNKNOWN')) {
    return new NotFoundError(`repository ${name} not found: does not exist or no pull access`, { cause: error });
  }
  if (error.status === 401 || error.status === 403) {
    return new RegistryError(error.kind, `pull access denied for ${name}, repository does not exist or may require 'docker login': ${error.message}`, error.status, error.codes, { cause: error });
  }
  return error;
}
