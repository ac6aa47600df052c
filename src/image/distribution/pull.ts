// Pulls an image from a registry into the image store. The reference is
// resolved on each endpoint in turn (mirrors, HTTPS, then plain HTTP for
// insecure registries), and the platform's manifest is picked from a list or
// index. Missing layers download three at a time into a temporary directory
// and unpack two at a time, each while its download is still running (see
// download-follower.ts). Layers already in the store are skipped. The
// image is committed last, with its tag and RepoDigests. Progress goes out as
// Docker's JSON messages.
import type { RegistrySettings } from '../../common/config';
import type { Logger } from '../../common/logger';
import { InvalidArgumentError, NotFoundError } from '../../common/errors';
import type { ImageConfig } from '../types';
import type { LayerStore } from '../layer-store';
import type { ContentStore } from '../content-store';
import { sha256Digest } from '../digest';
import { parseImageConfig } from '../image-config';
import { familiarName, familiarString, formatReference, parseReference, repositoryName, withDefaultTag, type ImageReference } from '../reference';
import { EndpointUnreachableError, RegistryError, RegistryClient, readAll } from './client';
import { resolveEndpoints } from './endpoints';
import { fetchLayers } from './layer-fetch';
import { fetchManifest, type Descriptor, type FetchedManifest, type ImageManifest } from './manifest';
import { formatPlatform, matchRank, parsePlatform, selectManifest, type Platform } from './platform';
import type { RegistryCredentials } from './auth';

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
