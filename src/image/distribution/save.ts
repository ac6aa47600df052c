// Writes images as a `docker save` archive that is both a docker-archive and
// an OCI image layout, as Docker 25 and later write it (see save-layout.ts).
// Each layer is one uncompressed tar named by its diff ID under
// blobs/sha256/, written once even when several images share it. Names,
// stored manifests and blobs are checked before the stream starts, so the
// common failures are an error status. A layer that fails its diff ID check
// while streaming aborts the stream, as Docker's save does.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import type { Logger } from '../../common/logger';
import { InvalidArgumentError, NotImplementedError } from '../../common/errors';
import type { ContentStore } from '../content-store';
import type { ImageConfig } from '../types';
import { decompress } from '../decompress';
import { spoolToFile } from '../layer-blobs';
import { formatReference, parseReference, withDefaultTag } from '../reference';
import { parseManifest } from './manifest';
import { blobName, layoutFiles, type SavedImage } from './save-layout';

export interface SavableImage {
  id: string;
  config: ImageConfig;
  manifestDigest: string | null;
  // Normalized tag references to write as RepoTags.
  repoTags: string[];
}

// Image store access that a save needs.
export interface SaveStore {
  content: ContentStore;
  temporaryDirectory: string;
  logger: Logger;
  // Resolves a name as `docker save` does; repoTags lists the tag the name gave, none for an ID.
  resolve(name: string): SavableImage;
}

interface PlannedLayer {
  diffId: string;
  // The stored blob: the plain tar when its digest is the diff ID, else gzip or zstd.
  blob: { digest: string; size: number };
}

interface PlannedImage {
  image: SavableImage;
  configSize: number;
  layers: PlannedLayer[];
}

// A layer tar ready to copy into the archive. A temporary file is removed after the copy.
interface LayerFile {
  file: string;
  size: number;
  temporary: boolean;
}

const MTIME = new Date(0);

// Returns the archive as a stream. The blobs it reads stay pinned, and the
// temporary layer files are removed, when the stream ends or fails.
export async function saveImages(store: SaveStore, names: string[]): Promise<Readable> {
  if (names.length === 0) throw new InvalidArgumentError('save images: no image names given');
  const pinned: string[] = [];
  const release = () => {
    for (const digest of pinned.splice(0)) store.content.unpin(digest);
  };
  try {
    const planned = await planImages(store, names, pinned);
    const work = await fsp.mkdtemp(path.join(store.temporaryDirectory, 'save-'));
    return writeArchive(store, planned, work, release);
  } catch (error) {
    release();
    throw error;
  }
}

// Resolves the names (one entry per image ID, tags merged) and checks that every blob a save reads is stored.
async function planImages(store: SaveStore, names: string[], pinned: string[]): Promise<PlannedImage[]> {
  const byId = new Map<string, SavableImage>();
  for (const name of names) {
    const image = store.resolve(name);
    const known = byId.get(image.id);
    if (known) known.repoTags = [...new Set([...known.repoTags, ...image.repoTags])];
    else byId.set(image.id, { ...image, repoTags: [...image.repoTags] });
  }

  const planned: PlannedImage[] = [];
  for (const image of byId.values()) {
    const pin = (digest: string) => {
      store.content.pin(digest);
      pinned.push(digest);
    };
    if (image.manifestDigest === null) throw noLayerBlobs(image.id);
    pin(image.manifestDigest);
    pin(image.id);
    if (!store.content.has(image.manifestDigest)) throw noLayerBlobs(image.id);
    const configSize = (await store.content.read(image.id)).length;

    const diffIds = image.config.rootfs.diff_ids;
    const manifest = parseManifest(await store.content.read(image.manifestDigest), '', image.manifestDigest);
    if (manifest.kind !== 'manifest' || manifest.layers.length !== diffIds.length) {
      throw new InvalidArgumentError(`save image ${image.id}: stored manifest ${image.manifestDigest} does not match the image config`);
    }
    const layers = manifest.layers.map((layer, index) => {
      pin(layer.digest);
      if (!store.content.has(layer.digest)) {
        throw new NotImplementedError(`save image ${image.id}: layer blob ${layer.digest} is not in the content store; pull the image again and retry`);
      }
      return { diffId: diffIds[index], blob: { digest: layer.digest, size: layer.size } };
    });
    planned.push({ image, configSize, layers });
  }
  return planned;
}

// Images stored before berthd kept layer blobs for every image have no manifest.
// A tar rebuilt from the unpacked files rarely hashes to the original diff ID, so none is rebuilt.
function noLayerBlobs(id: string): NotImplementedError {
  return new NotImplementedError(`save image ${id}: the image has no stored layer blobs, because it was stored by an older berthd; load, import or pull it again`);
}

function writeArchive(store: SaveStore, planned: PlannedImage[], work: string, release: () => void): Readable {
  const pack = tar.pack();
  let cleaned = false;
  const cleanup = () => {
    if (cleaned) return;
    cleaned = true;
    release();
    fsp.rm(work, { recursive: true, force: true }).catch((error: unknown) => store.logger.error({ path: work, err: error }, 'remove the work directory of an image save failed'));
  };
  pack.on('close', cleanup);
  pack.on('end', cleanup);

  writeEntries(store, planned, work, pack).catch((error: unknown) => {
    store.logger.error({ images: planned.map((entry) => entry.image.id), err: error }, 'write image archive failed');
    pack.destroy(error as Error);
  });
  // tar-stream's Pack is a streamx Readable, which node's pipeline() accepts.
  return pack as unknown as Readable;
}

async function writeEntries(store: SaveStore, planned: PlannedImage[], work: string, pack: tar.Pack): Promise<void> {
  await addDirectory(pack, 'blobs/');
  await addDirectory(pack, 'blobs/sha256/');

  const written = new Set<string>();
  for (const { image } of planned) {
    if (written.has(image.id)) continue;
    await addBuffer(pack, blobName(image.id), await store.content.read(image.id));
    written.add(image.id);
  }

  // Layers shared by several images are written once. The next layer is
  // decompressed while the current one is copied into the archive.
  const unique = new Map<string, PlannedLayer>();
  for (const image of planned) for (const layer of image.layers) if (!unique.has(layer.diffId)) unique.set(layer.diffId, layer);
  const queue = [...unique.values()];
  const sizes = new Map<string, number>();
  let next = queue.length > 0 ? prepareLayer(store, queue[0], work) : null;
  for (let index = 0; index < queue.length; index += 1) {
    const layerFile = await (next as Promise<LayerFile>);
    next = index + 1 < queue.length ? prepareLayer(store, queue[index + 1], work) : null;
    // The loop awaits a failed prefetch later. This handler keeps it from counting as unhandled until then.
    next?.catch(() => undefined);
    await addFile(pack, blobName(queue[index].diffId), layerFile);
    sizes.set(queue[index].diffId, layerFile.size);
    if (layerFile.temporary) await fsp.rm(layerFile.file, { force: true });
  }

  const saved: SavedImage[] = planned.map(({ image, configSize, layers }) => ({
    id: image.id,
    configSize,
    repoTags: image.repoTags,
    layers: layers.map((layer) => ({ digest: layer.diffId, size: sizes.get(layer.diffId) as number })),
  }));
  for (const file of layoutFiles(saved)) await addBuffer(pack, file.name, file.content);
  pack.finalize();
}

// Returns the plain layer tar: the stored blob itself when it is uncompressed,
// else a temporary file decompressed from it and checked against the diff ID.
async function prepareLayer(store: SaveStore, layer: PlannedLayer, work: string): Promise<LayerFile> {
  const blobFile = store.content.blobPath(layer.blob.digest);
  if (layer.blob.digest === layer.diffId) return { file: blobFile, size: layer.blob.size, temporary: false };

  const file = path.join(work, `${layer.diffId.slice('sha256:'.length)}.tar`);
  const { data } = await decompress(fs.createReadStream(blobFile));
  const plain = await spoolToFile(data, file);
  if (plain.digest !== layer.diffId) {
    throw new InvalidArgumentError(`save image layer ${layer.diffId}: blob ${layer.blob.digest} decompresses to ${plain.digest}, but the config lists ${layer.diffId}`);
  }
  return { file, size: plain.size, temporary: true };
}

function addDirectory(pack: tar.Pack, name: string): Promise<void> {
  return new Promise((resolve, reject) => pack.entry({ name, type: 'directory', mode: 0o755, mtime: MTIME }, (error) => (error ? reject(error) : resolve())));
}

function addBuffer(pack: tar.Pack, name: string, content: Buffer): Promise<void> {
  return new Promise((resolve, reject) => pack.entry({ name, size: content.length, mode: 0o444, mtime: MTIME }, content, (error) => (error ? reject(error) : resolve())));
}

function addFile(pack: tar.Pack, name: string, layerFile: LayerFile): Promise<void> {
  return new Promise((resolve, reject) => {
    const sink = pack.entry({ name, size: layerFile.size, mode: 0o444, mtime: MTIME }, (error) => (error ? reject(error) : resolve()));
    fs.createReadStream(layerFile.file).on('error', reject).pipe(sink);
  });
}

// Returns the normalized tag a save name would give, or null when it cannot be a tag reference.
export function savedTag(name: string): string | null {
  try {
    const parsed = parseReference(name);
    return parsed.digest !== null ? null : formatReference(withDefaultTag(parsed));
  } catch {
    // Full IDs and other names that are not references carry no tag.
    return null;
  }
}
