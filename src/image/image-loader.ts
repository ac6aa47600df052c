// Loads image archives (`docker load`): docker-archive and OCI layout tars.
// Layers are unpacked into the layer store, the layer tars are kept as blobs
// and each image gets a manifest, so a loaded image can be pushed and saved.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { InvalidArgumentError } from '../common/errors';
import type { ImageConfig } from './types';
import type { StoredImage } from './metadata-store';
import { ArchiveSpool } from './archive-spool';
import { readArchiveImages, type ArchiveImage } from './archive-manifest';
import { chainIds } from './digest';
import { parseImageConfig } from './image-config';
import type { BuildStore } from './image-builder';
import { buildManifest, layerBlobFor, type BuiltManifest, type LayerBlob } from './layer-blobs';
import { familiarize } from './reference';

const READ_CHUNK_BYTES = 1024 * 1024;

export async function loadArchive(store: BuildStore, archive: Readable, onLoaded: (message: string) => void): Promise<void> {
  const spoolDirectory = await fsp.mkdtemp(path.join(store.temporaryDirectory, 'load-'));
  try {
    const spool = await ArchiveSpool.create(archive, spoolDirectory, store.logger);
    const images = await readArchiveImages(spool);
    if (images.length === 0) throw new InvalidArgumentError('load image archive: the archive contains no image for linux/amd64');
    for (const image of images) await loadImage(store, image, spoolDirectory, onLoaded);
  } finally {
    await fsp.rm(spoolDirectory, { recursive: true, force: true });
  }
}

// workDirectory is the spool's directory, which also takes decompressed copies of xz and bzip2 layers.
async function loadImage(store: BuildStore, image: ArchiveImage, workDirectory: string, onLoaded: (message: string) => void): Promise<void> {
  const id = image.configDigest;
  const config = parseImageConfig(image.config, id);
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== image.layers.length) {
    throw new InvalidArgumentError(`load image ${id}: the config lists ${diffIds.length} layers but the archive has ${image.layers.length}`);
  }

  const pinned: string[] = [];
  const pinnedBlobs: string[] = [];
  try {
    const chain = chainIds(diffIds);
    for (const [index, layer] of image.layers.entries()) {
      pinned.push(chain[index]);
      if (store.layers.acquire(chain[index])) continue;
      const created = await store.layers.create(readFile(layer.file.file), index === 0 ? null : chain[index - 1], diffIds[index]);
      // create() pinned the layer a second time for this caller.
      store.layers.release(created.layer.chainId);
      store.logger.info({ image: id, layer: created.layer.chainId, source: layer.name, skippedEntries: created.unpack.skipped.length }, 'layer loaded');
    }

    const manifest = await keepLayerBlobs(store, image, diffIds, workDirectory, pinnedBlobs);
    await commitImage(store, image, config, manifest, onLoaded);
  } catch (error) {
    store.logger.error({ image: id, err: error }, 'load image failed');
    throw error;
  } finally {
    for (const chainId of pinned) store.layers.release(chainId);
    for (const digest of pinnedBlobs) store.content.unpin(digest);
  }
}

// Stores the layer blobs of a loaded image, pinned until its record exists,
// and returns the manifest that names them: the archive's own for an OCI
// layout, else a new one, because a docker-archive has none.
async function keepLayerBlobs(store: BuildStore, image: ArchiveImage, diffIds: string[], workDirectory: string, pinned: string[]): Promise<BuiltManifest> {
  const blobs: LayerBlob[] = [];
  for (const [index, layer] of image.layers.entries()) {
    // An OCI layout's manifest already names each blob with its media type, so the blob is kept unchanged.
    const blob = image.manifest ? { ...layer.file, compression: 'none' as const } : await layerBlobFor(layer.file, diffIds[index], path.join(workDirectory, `plain-layer-${index}`));
    store.content.pin(blob.digest);
    pinned.push(blob.digest);
    await store.content.adoptFile(blob.file, blob);
    blobs.push(blob);
  }
  return image.manifest ?? buildManifest({ digest: image.configDigest, size: image.config.length }, blobs);
}

// Stores the config (and manifest) blobs and the image record, then moves
// the references to the image. Called with every layer committed and
// pinned. Runs under the metadata lock, so a removal's garbage collection
// cannot delete the new blobs before the image record that uses them exists.
async function commitImage(store: BuildStore, image: ArchiveImage, config: ImageConfig, manifest: BuiltManifest, onLoaded: (message: string) => void): Promise<void> {
  const id = image.configDigest;
  const references = image.references;
  await store.withMetadataLock(async () => {
    await store.content.ingest(image.config, { digest: id, size: image.config.length });
    await store.content.ingest(manifest.content, { digest: manifest.digest });
    const existing = store.metadata.stored(id);
    if (!existing) {
      const size = chainIds(config.rootfs.diff_ids).reduce((total, chainId) => total + store.layers.get(chainId).size, 0);
      const record: StoredImage = { id, repoTags: [], repoDigests: [], config, size, loadedAt: new Date().toISOString(), manifestDigest: manifest.digest };
      await store.metadata.saveImage(record);
    } else if (existing.manifestDigest === null || !store.content.has(existing.manifestDigest)) {
      // An image stored before layer blobs were kept becomes pushable once loaded again.
      await store.metadata.saveImage({ ...existing, manifestDigest: manifest.digest });
    }
    for (const reference of references) {
      const previous = store.metadata.lookupReference(reference);
      if (previous !== undefined && previous !== id) {
        onLoaded(`The image ${familiarize(reference)} already exists, renaming the old one with ID ${previous} to empty string`);
      }
    }
    await store.metadata.setReferences(references.map((reference) => ({ reference, id })));
  });
  store.logger.info({ image: id, references }, 'image loaded');
  if (references.length === 0) onLoaded(`Loaded image ID: ${id}`);
  for (const reference of references) onLoaded(`Loaded image: ${familiarize(reference)}`);
}

function readFile(file: string): AsyncIterable<Buffer> {
  return fs.createReadStream(file, { highWaterMark: READ_CHUNK_BYTES });
}
