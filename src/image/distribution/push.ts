// Pushes images to a registry. For each tag, every blob of the image's stored
// manifest is checked with HEAD and skipped when the registry has it. Else it
// is mounted from another repository of the same registry that the image was
// pulled from, or uploaded from the content store. The manifest is then PUT
// unchanged, so the pushed digest equals the one the image was pulled with.
import fs from 'node:fs';
import { Transform } from 'node:stream';
import type { Logger } from '../../common/logger';
import { InvalidArgumentError, NotFoundError, NotImplementedError } from '../../common/errors';
import type { ContentStore } from '../content-store';
import { DEFAULT_DOMAIN, familiarName, formatReference, parseReference, repositoryName, type ImageReference } from '../reference';
import { EndpointUnreachableError, RegistryClient, RegistryError } from './client';
import { resolveEndpoints, type RegistryEndpoint } from './endpoints';
import { MEDIA_TYPES, parseManifest, type Descriptor, type ImageManifest } from './manifest';
import type { RegistrySettings } from '../../common/config';
import type { RegistryCredentials } from './auth';
import type { ProgressMessage } from './pull';

const PROGRESS_INTERVAL_MS = 100;

export interface PushOptions {
  credentials: RegistryCredentials | null;
  registry: RegistrySettings;
  certsDirectories: string[];
}

export interface TaggedImage {
  // Normalized reference with a tag.
  reference: string;
  imageId: string;
  manifestDigest: string | null;
  // Normalized "repository@digest" references of the image.
  repoDigests: string[];
}

// Image store access that a push needs.
export interface PushStore {
  content: ContentStore;
  logger: Logger;
  // Returns the images tagged in the repository: the one tag, or all tags when tag is null.
  taggedImages(repository: string, tag: string | null): TaggedImage[];
  // Records repository@digest for the image after a successful push.
  addReference(reference: string, imageId: string): Promise<void>;
}

// Pushes name (a repository, optionally with a tag) with the given tag, or every tag of the repository when both lack one.
export async function pushImage(store: PushStore, name: string, tag: string | null, options: PushOptions, onProgress: (message: ProgressMessage | object) => void): Promise<void> {
  const parsed = parseReference(name);
  if (parsed.digest !== null) throw new InvalidArgumentError(`push ${name}: cannot push a digest reference`);
  const repository: ImageReference = { ...parsed, tag: null };
  const images = store.taggedImages(repositoryName(repository), tag || parsed.tag || null);
  if (images.length === 0) {
    throw new NotFoundError(`An image does not exist locally with the tag: ${familiarName(repository)}${tag || parsed.tag ? `:${tag || parsed.tag}` : ''}`);
  }
  if (repository.domain === DEFAULT_DOMAIN && options.registry.mirrorsOnly) {
    throw new InvalidArgumentError(`push ${familiarName(repository)}: mirrorsOnly is set, so docker.io is never contacted; tag the image for another registry`);
  }

  // Pushes never go to mirrors, which are read-only caches.
  const endpoints = resolveEndpoints(repository.domain, { registry: { ...options.registry, mirrors: [] }, certsDirectories: options.certsDirectories });
  onProgress({ status: `The push refers to repository [${repositoryName(repository)}]` });
  const logger = store.logger.child({ repository: repositoryName(repository) });

  for (const [index, endpoint] of endpoints.entries()) {
    try {
      for (const image of images) await pushTag(store, endpoint, repository, image, options.credentials, onProgress, logger);
      return;
    } catch (error) {
      if (index === endpoints.length - 1 || !(error instanceof EndpointUnreachableError)) throw error;
      logger.warn({ endpoint: endpoint.url, err: error }, 'push to endpoint failed; trying the next endpoint');
    }
  }
}

async function pushTag(
  store: PushStore,
  endpoint: RegistryEndpoint,
  repository: ImageReference,
  image: TaggedImage,
  credentials: RegistryCredentials | null,
  onProgress: (message: ProgressMessage | object) => void,
  logger: Logger,
): Promise<void> {
  const tag = parseReference(image.reference).tag!;
  if (image.manifestDigest === null || !store.content.has(image.manifestDigest)) {
    // Images stored before berthd kept layer blobs for every image have no manifest.
    // A tar rebuilt from the unpacked files rarely hashes to the original diff ID, so none is rebuilt.
    throw new NotImplementedError(`push ${formatReference({ ...repository, tag })}: the image has no stored layer blobs, because it was stored by an older berthd; load, import or pull it again`);
  }
  const manifestContent = await store.content.read(image.manifestDigest);
  const manifest = parseManifest(manifestContent, '', image.manifestDigest);
  if (manifest.kind !== 'manifest') throw new InvalidArgumentError(`push ${image.reference}: stored manifest ${image.manifestDigest} is a list`);

  const client = new RegistryClient(endpoint, repository.path, credentials, ['pull', 'push'], logger);
  try {
    const mountSources = image.repoDigests
      .map((digestReference) => parseReference(digestReference))
      .filter((source) => source.domain === repository.domain && source.path !== repository.path)
      .map((source) => source.path);
    for (const layer of manifest.layers) {
      onProgress({ status: 'Preparing', progressDetail: {}, id: shortId(layer.digest) });
    }
    for (const layer of manifest.layers) {
      await pushBlob(store, client, layer, mountSources, onProgress, true);
    }
    await pushBlob(store, client, manifest.config, mountSources, onProgress, false);

    const response = await client.request('PUT', client.repositoryUrl(`manifests/${tag}`), {
      expect: [201],
      // The OCI spec makes mediaType optional in a manifest (OCI layout tars often omit it), but registries need the Content-Type.
      headers: { 'Content-Type': (manifest as ImageManifest).mediaType || MEDIA_TYPES.ociManifest, 'Content-Length': String(manifestContent.length) },
      body: () => manifestContent,
    });
    response.body.resume();
    const returned = response.headers['docker-content-digest'];
    if (typeof returned === 'string' && returned !== image.manifestDigest) {
      logger.warn({ expected: image.manifestDigest, returned }, 'registry reported another digest for the pushed manifest');
    }
  } finally {
    client.close();
  }

  await store.addReference(`${repositoryName(repository)}@${image.manifestDigest}`, image.imageId);
  onProgress({ status: `${tag}: digest: ${image.manifestDigest} size: ${manifestContent.length}` });
  onProgress({ progressDetail: {}, aux: { Tag: tag, Digest: image.manifestDigest, Size: manifestContent.length } });
  logger.info({ image: image.imageId, tag, manifest: image.manifestDigest, endpoint: endpoint.url }, 'image pushed');
}

// Sends one blob unless the registry has it; layers report progress, the config does not.
async function pushBlob(
  store: PushStore,
  client: RegistryClient,
  blob: Descriptor,
  mountSources: string[],
  onProgress: (message: ProgressMessage | object) => void,
  reportProgress: boolean,
): Promise<void> {
  const id = shortId(blob.digest);
  const report = (message: ProgressMessage) => {
    if (reportProgress) onProgress(message);
  };

  const head = await client.request('HEAD', client.repositoryUrl(`blobs/${blob.digest}`), { expect: [200, 404] });
  head.body.resume();
  if (head.status === 200) {
    report({ status: 'Layer already exists', progressDetail: {}, id });
    return;
  }

  let uploadLocation: string | null = null;
  for (const source of mountSources) {
    const mounted = await client.request('POST', client.repositoryUrl(`blobs/uploads/?mount=${blob.digest}&from=${encodeURIComponent(source)}`), { expect: [201, 202] });
    mounted.body.resume();
    if (mounted.status === 201) {
      report({ status: `Mounted from ${source}`, progressDetail: {}, id });
      return;
    }
    // 202: the registry could not mount and opened an upload instead, which the upload below uses.
    uploadLocation = String(mounted.headers.location ?? '');
    break;
  }

  if (!store.content.has(blob.digest)) {
    throw new NotFoundError(`push blob ${blob.digest}: not in the content store and not in the registry; pull the image again and retry`);
  }
  if (!uploadLocation) {
    const started = await client.request('POST', client.repositoryUrl('blobs/uploads/'), { expect: [202] });
    started.body.resume();
    uploadLocation = String(started.headers.location ?? '');
  }
  if (!uploadLocation) throw new RegistryError('unavailable', `push blob ${blob.digest}: the registry returned no upload location`, 202, []);

  const target = new URL(uploadLocation, client.endpoint.url);
  target.searchParams.set('digest', blob.digest);
  let sent = 0;
  let lastReport = 0;
  const file = store.content.blobPath(blob.digest);
  const response = await client.request('PUT', target.toString(), {
    expect: [201],
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(blob.size) },
    body: () =>
      fs.createReadStream(file).pipe(
        new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            sent += chunk.length;
            if (Date.now() - lastReport >= PROGRESS_INTERVAL_MS) {
              lastReport = Date.now();
              report({ status: 'Pushing', progressDetail: { current: sent, total: blob.size }, id });
            }
            callback(null, chunk);
          },
        }),
      ),
  });
  response.body.resume();
  report({ status: 'Pushed', progressDetail: {}, id });
}

function shortId(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}
