// Reads what to load from a spooled image archive, in either format:
//
// - docker-archive (`docker save`, `skopeo copy docker-archive:`):
//   manifest.json lists each image's Config file, RepoTags and Layers, with
//   layers named "<id>/layer.tar", "<hex>.tar" or "blobs/sha256/<hex>".
// - OCI image layout tar: oci-layout, index.json and blobs/sha256/<hex>;
//   the name comes from the io.containerd.image.name annotation, or from
//   org.opencontainers.image.ref.name when that is a full reference.
//
// When both are present (Docker 25+ writes both), manifest.json is used, as
// Docker does. Every blob named by a digest is checked against the hash
// taken while spooling.
import { InvalidArgumentError } from '../common/errors';
import type { ArchiveSpool, SpooledFile } from './archive-spool';
import { digestHex } from './digest';
import { normalizeReference, parseReference } from './reference';

export interface ArchiveLayer {
  // Archive path, for messages.
  name: string;
  file: SpooledFile;
}

export interface ArchiveImage {
  config: Buffer;
  // sha256 of the config, the image ID.
  configDigest: string;
  layers: ArchiveLayer[];
  // Normalized references to tag the image with.
  references: string[];
  // The OCI manifest the image came from, kept as a blob.
  manifest: { digest: string; content: Buffer } | null;
}

const INDEX_MEDIA_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);
const MANIFEST_MEDIA_TYPES = new Set(['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json']);
const HOST_PLATFORM = { os: 'linux', architecture: 'amd64' };
// Nested indexes deeper than this are treated as hostile.
const MAX_INDEX_DEPTH = 4;

interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string };
}

export async function readArchiveImages(spool: ArchiveSpool): Promise<ArchiveImage[]> {
  if (spool.has('manifest.json')) return readDockerArchive(spool);
  if (spool.has('index.json')) return readOciLayout(spool);
  throw new InvalidArgumentError('load image archive: neither manifest.json nor index.json found; expected a docker-archive or OCI layout tar');
}

async function readDockerArchive(spool: ArchiveSpool): Promise<ArchiveImage[]> {
  const manifest = parseJson(await spool.read('manifest.json'), 'manifest.json');
  if (!Array.isArray(manifest)) throw new InvalidArgumentError('load image archive: manifest.json: expected a JSON array');

  const images: ArchiveImage[] = [];
  for (const [index, entry] of manifest.entries()) {
    const where = `manifest.json entry ${index}`;
    if (typeof entry !== 'object' || entry === null || typeof entry.Config !== 'string' || !Array.isArray(entry.Layers)) {
      throw new InvalidArgumentError(`load image archive: ${where}: expected Config (string) and Layers (array)`);
    }
    const configFile = spool.require(entry.Config);
    checkNamedDigest(entry.Config, configFile);
    const layers = (entry.Layers as unknown[]).map((name) => {
      if (typeof name !== 'string') throw new InvalidArgumentError(`load image archive: ${where}: Layers must contain strings`);
      const file = spool.require(name);
      checkNamedDigest(name, file);
      return { name, file };
    });
    const repoTags: unknown[] = Array.isArray(entry.RepoTags) ? entry.RepoTags : [];
    const references = repoTags.map((tag) => {
      if (typeof tag !== 'string') throw new InvalidArgumentError(`load image archive: ${where}: RepoTags must contain strings`);
      return normalizeTag(tag);
    });
    images.push({ config: await spool.read(entry.Config), configDigest: configFile.digest, layers, references, manifest: null });
  }
  return images;
}

// A member named after a digest ("<hex>.json", "<hex>.tar", "blobs/sha256/<hex>") must have that digest.
function checkNamedDigest(name: string, file: SpooledFile): void {
  const match = /(?:^|\/)(?:sha256\/)?([a-f0-9]{64})(?:\.json|\.tar)?$/.exec(name);
  if (match && `sha256:${match[1]}` !== file.digest) {
    throw new InvalidArgumentError(`load image archive: ${name}: digest mismatch: the content hashes to ${file.digest}`);
  }
}

async function readOciLayout(spool: ArchiveSpool): Promise<ArchiveImage[]> {
  const index = parseJson(await spool.read('index.json'), 'index.json');
  const images: ArchiveImage[] = [];
  await collectManifests(spool, index, 'index.json', null, 0, images);
  return images;
}

async function collectManifests(
  spool: ArchiveSpool,
  index: { manifests?: unknown },
  where: string,
  inheritedName: string | null,
  depth: number,
  images: ArchiveImage[],
): Promise<void> {
  if (depth > MAX_INDEX_DEPTH) throw new InvalidArgumentError(`load image archive: ${where}: image indexes nested too deep`);
  if (!Array.isArray(index.manifests)) throw new InvalidArgumentError(`load image archive: ${where}: expected a "manifests" array`);

  for (const value of index.manifests as unknown[]) {
    const descriptor = checkDescriptor(value, where);
    const name = referenceFromAnnotations(descriptor.annotations) ?? inheritedName;
    const content = await readBlob(spool, descriptor);
    const document = parseJson(content, descriptor.digest);
    const mediaType = descriptor.mediaType ?? document.mediaType;

    if (INDEX_MEDIA_TYPES.has(mediaType) || (mediaType === undefined && Array.isArray(document.manifests))) {
      await collectManifests(spool, document, descriptor.digest, name, depth + 1, images);
      continue;
    }
    if (!MANIFEST_MEDIA_TYPES.has(mediaType) && !(mediaType === undefined && document.config)) continue;
    // A multi-platform index lists other platforms too; only the host's can run here.
    if (descriptor.platform && (descriptor.platform.os !== HOST_PLATFORM.os || descriptor.platform.architecture !== HOST_PLATFORM.architecture)) continue;

    const configDescriptor = checkDescriptor(document.config, `${descriptor.digest} config`);
    if (!Array.isArray(document.layers)) throw new InvalidArgumentError(`load image archive: manifest ${descriptor.digest}: expected a "layers" array`);
    const layers = (document.layers as unknown[]).map((layer) => {
      const layerDescriptor = checkDescriptor(layer, `${descriptor.digest} layers`);
      const blobName = blobPath(layerDescriptor.digest);
      return { name: blobName, file: requireBlob(spool, layerDescriptor) };
    });
    images.push({
      config: await readBlob(spool, configDescriptor),
      configDigest: configDescriptor.digest,
      layers,
      references: name === null ? [] : [name],
      manifest: { digest: descriptor.digest, content },
    });
  }
}

// Docker and containerd name an image in an OCI layout with one of two
// annotations. A bare tag ("latest") names no repository, so it is not used.
function referenceFromAnnotations(annotations: Record<string, string> | undefined): string | null {
  const containerdName = annotations?.['io.containerd.image.name'];
  if (containerdName) return normalizeTag(containerdName);
  const refName = annotations?.['org.opencontainers.image.ref.name'];
  if (refName && /[:/@]/.test(refName)) return normalizeTag(refName);
  return null;
}

function normalizeTag(reference: string): string {
  const parsed = parseReference(reference);
  if (parsed.digest !== null) throw new InvalidArgumentError(`load image archive: ${reference}: a loaded image cannot be tagged with a digest`);
  return normalizeReference(reference);
}

function checkDescriptor(value: unknown, where: string): Descriptor {
  const descriptor = value as Descriptor;
  if (typeof value !== 'object' || value === null || typeof descriptor.digest !== 'string' || typeof descriptor.size !== 'number') {
    throw new InvalidArgumentError(`load image archive: ${where}: expected a descriptor with digest and size`);
  }
  digestHex(descriptor.digest, `digest in ${where}`);
  return descriptor;
}

function blobPath(digest: string): string {
  return `blobs/sha256/${digestHex(digest)}`;
}

function requireBlob(spool: ArchiveSpool, descriptor: Descriptor): SpooledFile {
  const file = spool.require(blobPath(descriptor.digest));
  if (file.digest !== descriptor.digest) {
    throw new InvalidArgumentError(`load image archive: blob ${descriptor.digest}: digest mismatch: the content hashes to ${file.digest}`);
  }
  if (file.size !== descriptor.size) {
    throw new InvalidArgumentError(`load image archive: blob ${descriptor.digest}: size mismatch: expected ${descriptor.size} bytes from the descriptor, the blob has ${file.size}`);
  }
  return file;
}

async function readBlob(spool: ArchiveSpool, descriptor: Descriptor): Promise<Buffer> {
  requireBlob(spool, descriptor);
  return spool.read(blobPath(descriptor.digest));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function parseJson(content: Buffer, name: string): any {
  try {
    return JSON.parse(content.toString('utf8'));
  } catch (error) {
    throw new InvalidArgumentError(`load image archive: ${name}: invalid JSON: ${(error as Error).message}`, { cause: error });
  }
}
