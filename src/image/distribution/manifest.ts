// Fetching and checking manifests: Docker schema 2 and OCI image manifests,
// and the manifest lists and OCI indexes that point at one per platform.
import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '../../common/errors';
import { readAll, type RegistryClient } from './client';
import type { IndexEntry } from './platform';

export const MEDIA_TYPES = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
};

const ACCEPT = [MEDIA_TYPES.dockerManifest, MEDIA_TYPES.dockerList, MEDIA_TYPES.ociManifest, MEDIA_TYPES.ociIndex].join(', ');
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  urls?: string[];
}

export interface ImageManifest {
  kind: 'manifest';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface ManifestIndex {
  kind: 'index';
  mediaType: string;
  manifests: IndexEntry[];
}

export interface FetchedManifest {
  content: Buffer;
  digest: string;
  parsed: ImageManifest | ManifestIndex;
}

// GETs a manifest by tag or digest. A digest reference is checked against the
// content; the returned digest is always the content's sha256.
export async function fetchManifest(client: RegistryClient, tagOrDigest: string): Promise<FetchedManifest> {
  const response = await client.request('GET', client.repositoryUrl(`manifests/${tagOrDigest}`), { expect: [200], headers: { Accept: ACCEPT } });
  const content = await readAll(response.body, MAX_MANIFEST_BYTES);
  const digest = `sha256:${createHash('sha256').update(content).digest('hex')}`;
  if (tagOrDigest.startsWith('sha256:') && digest !== tagOrDigest) {
    throw new InvalidArgumentError(`manifest ${tagOrDigest} of ${client.repository}: digest mismatch: the content hashes to ${digest}`);
  }
  const contentType = String(response.headers['content-type'] ?? '').split(';')[0].trim();
  return { content, digest, parsed: parseManifest(content, contentType, `${client.repository}@${digest}`) };
}

export function parseManifest(content: Buffer, contentType: string, where: string): ImageManifest | ManifestIndex {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(content.toString('utf8'));
  } catch (error) {
    throw new InvalidArgumentError(`manifest ${where}: invalid JSON: ${(error as Error).message}`, { cause: error });
  }
  const mediaType = typeof json.mediaType === 'string' ? json.mediaType : contentType;
  if (json.schemaVersion === 1) {
    throw new InvalidArgumentError(`manifest ${where}: Docker image manifest schema 1 is not supported; push the image again with a current client`);
  }

  if (Array.isArray(json.manifests) || mediaType === MEDIA_TYPES.dockerList || mediaType === MEDIA_TYPES.ociIndex) {
    if (!Array.isArray(json.manifests)) throw new InvalidArgumentError(`manifest list ${where}: expected a "manifests" array`);
    const manifests = json.manifests.map((entry, index) => checkDescriptor(entry, `${where} entry ${index}`) as IndexEntry);
    return { kind: 'index', mediaType, manifests };
  }

  if (mediaType !== MEDIA_TYPES.dockerManifest && mediaType !== MEDIA_TYPES.ociManifest && !(json.config && Array.isArray(json.layers))) {
    throw new InvalidArgumentError(`manifest ${where}: unsupported media type "${mediaType}"`);
  }
  if (!Array.isArray(json.layers)) throw new InvalidArgumentError(`manifest ${where}: expected a "layers" array`);
  const config = checkDescriptor(json.config, `${where} config`);
  const layers = json.layers.map((layer, index) => checkDescriptor(layer, `${where} layer ${index}`));
  return { kind: 'manifest', mediaType, config, layers };
}

function checkDescriptor(value: unknown, where: string): Descriptor {
  const descriptor = value as Partial<Descriptor> | null;
  if (typeof descriptor !== 'object' || descriptor === null || typeof descriptor.digest !== 'string' || typeof descriptor.size !== 'number') {
    throw new InvalidArgumentError(`manifest ${where}: expected a descriptor with "digest" and "size"`);
  }
  if (!/^sha256:[a-f0-9]{64}$/.test(descriptor.digest)) {
    throw new InvalidArgumentError(`manifest ${where}: unsupported digest "${descriptor.digest}": only sha256 is supported`);
  }
  if (!Number.isSafeInteger(descriptor.size) || descriptor.size < 0) {
    throw new InvalidArgumentError(`manifest ${where}: invalid size ${descriptor.size}`);
  }
  return descriptor as Descriptor;
}
