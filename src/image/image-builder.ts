// Images built in this store rather than loaded or pulled: `docker import`
// of a root filesystem tar and `docker commit` of a container's writable
// layer. Each new layer is unpacked into the layer store and its tar kept as
// a blob, and the image gets a manifest naming every layer blob, so it can
// be pushed and saved like a pulled image.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Logger } from '../common/logger';
import { NotFoundError } from '../common/errors';
import type { ContentStore } from './content-store';
import type { LayerStore } from './layer-store';
import type { MetadataStore, StoredImage } from './metadata-store';
import type { ImageConfig, ImageRuntimeConfig } from './types';
import { committedImageConfig, derivedImageConfig, importedImageConfig, scratchImageConfig, type CommitSettings } from './image-config';
import { directoryTar } from './directory-tar';
import { parseManifest } from './distribution/manifest';
import { buildManifest, layerBlobFor, spoolToFile, type LayerBlob } from './layer-blobs';

const READ_CHUNK_BYTES = 1024 * 1024;

// The parts of the image service a build writes to.
export interface BuildStore {
  content: ContentStore;
  layers: LayerStore;
  metadata: MetadataStore;
  logger: Logger;
  temporaryDirectory: string;
  // Runs work under the lock that serializes image records, references and garbage collection.
  withMetadataLock<T>(work: () => Promise<T>): Promise<T>;
  // Returns the chain IDs of an image's layers, bottom first.
  chainIdsOf(id: string): string[];
}

export class ImageBuilder {
  constructor(private readonly store: BuildStore) {}

  // Imports a root filesystem tar as a one-layer image. The archive is
  // spooled to a file first, so its bytes can be kept as the layer blob.
  async importRootfs(archive: Readable, options: { reference: string | null; runtimeConfig: ImageRuntimeConfig; message: string }): Promise<string> {
    const { reference, runtimeConfig } = options;

    const work = await fsp.mkdtemp(path.join(this.store.temporaryDirectory, 'import-'));
    const pinnedBlobs: string[] = [];
    try {
      const archiveFile = path.join(work, 'archive');
      const spooled = await spoolToFile(archive, archiveFile);
      const { layer } = await this.store.layers.create(readFile(archiveFile), null, null);
      try {
        const blob = await layerBlobFor({ file: archiveFile, ...spooled }, layer.diffId, path.join(work, 'plain-layer'));
        this.store.content.pin(blob.digest);
        pinnedBlobs.push(blob.digest);
        await this.store.content.adoptFile(blob.file, blob);

        const config = importedImageConfig(layer.diffId, runtimeConfig, options.message);
        const id = await this.storeNewImage(config, [blob], layer.size, reference);
        this.store.logger.info({ image: id, reference, layer: layer.chainId }, 'image imported');
        return id;
      } finally {
        this.store.layers.release(layer.chainId);
      }
    } finally {
      for (const digest of pinnedBlobs) this.store.content.unpin(digest);
      await fsp.rm(work, { recursive: true, force: true });
    }
  }

  // Builds an image from a container's overlayfs upper directory on top of
  // the container's image (`docker commit`) and returns its ID. The caller
  // keeps the upper directory still (paused or stopped) while this runs.
  // Paths in skipPaths (absolute, such as files the runtime creates) are left out of the layer.
  async commitContainer(request: { imageId: string; upperDir: string; skipPaths: ReadonlySet<string>; reference: string | null; settings: CommitSettings }): Promise<string> {
    const reference = request.reference;
    const operation = `commit container ${request.settings.containerId}`;
    const parent = this.store.metadata.stored(request.imageId);
    if (!parent) throw new NotFoundError(`${operation}: image ${request.imageId} not found; it was removed since the container was created`);
    const parentChain = this.store.chainIdsOf(parent.id);
    for (const chainId of parentChain) this.store.layers.acquire(chainId);

    const work = await fsp.mkdtemp(path.join(this.store.temporaryDirectory, 'commit-'));
    const pinnedBlobs: string[] = [];
    try {
      const tarFile = path.join(work, 'layer.tar');
      const spooled = await spoolToFile(directoryTar(request.upperDir, 'overlay-upper', this.store.logger, request.skipPaths), tarFile);
      const { layer } = await this.store.layers.create(readFile(tarFile), parentChain.at(-1) ?? null, spooled.digest);
      try {
        const blob: LayerBlob = { file: tarFile, ...spooled, compression: 'none' };
        this.store.content.pin(blob.digest);
        pinnedBlobs.push(blob.digest);
        await this.store.content.adoptFile(tarFile, blob);

        const parentBlobs = await this.layerBlobsOf(parent);
        // The parent image may be removed meanwhile; its blobs must outlive it when the new manifest names them.
        for (const parentBlob of parentBlobs ?? []) {
          this.store.content.pin(parentBlob.digest);
          pinnedBlobs.push(parentBlob.digest);
        }
        const config = committedImageConfig(parent.config, layer.diffId, request.settings);
        const size = parent.size + layer.size;
        const id = await this.storeNewImage(config, parentBlobs === null ? null : [...parentBlobs, blob], size, reference, { parent: parentIdOf(parent) });
        this.store.logger.info({ image: id, parent: parent.id, container: request.settings.containerId, reference, layer: layer.chainId }, 'container committed');
        return id;
      } finally {
        this.store.layers.release(layer.chainId);
      }
    } finally {
      for (const chainId of parentChain) this.store.layers.release(chainId);
      for (const digest of pinnedBlobs) this.store.content.unpin(digest);
      await fsp.rm(work, { recursive: true, force: true });
    }
  }

  // Stores an image with the parent's layers and a new runtime config, plus a
  // history entry marked empty_layer (a build step such as ENV or LABEL). Returns its ID.
  async deriveImage(request: { parentId: string; runtimeConfig: ImageRuntimeConfig; createdBy: string }): Promise<string> {
    const parent = this.store.metadata.stored(request.parentId);
    if (!parent) throw new NotFoundError(`derive image from ${request.parentId}: image not found`);
    const pinnedBlobs: string[] = [];
    try {
      const parentBlobs = await this.layerBlobsOf(parent);
      for (const parentBlob of parentBlobs ?? []) {
        this.store.content.pin(parentBlob.digest);
        pinnedBlobs.push(parentBlob.digest);
      }
      const config = derivedImageConfig(parent.config, request.runtimeConfig, request.createdBy);
      const id = await this.storeNewImage(config, parentBlobs, parent.size, null, { parent: parentIdOf(parent), requireParent: parent.id });
      this.store.logger.debug({ image: id, parent: parent.id }, 'image derived with a new config');
      return id;
    } finally {
      for (const digest of pinnedBlobs) this.store.content.unpin(digest);
    }
  }

  // Returns the ID of the empty image that `FROM scratch` starts from, storing it first when absent.
  // Its config has a fixed creation time, so its ID is the same on every call and in every store.
  async scratchImage(): Promise<string> {
    const config = scratchImageConfig();
    return this.storeNewImage(config, [], 0, null, { scratch: true });
  }

  // Returns the layer blobs the image's manifest names, or null when the image has no stored manifest.
  private async layerBlobsOf(image: StoredImage): Promise<LayerBlob[] | null> {
    if (image.manifestDigest === null || !this.store.content.has(image.manifestDigest)) return null;
    const manifest = parseManifest(await this.store.content.read(image.manifestDigest), '', image.manifestDigest);
    if (manifest.kind !== 'manifest') return null;
    return manifest.layers.map((layer) => ({
      file: this.store.content.blobPath(layer.digest),
      digest: layer.digest,
      size: layer.size,
      compression: layer.mediaType?.includes('zstd') ? 'zstd' : layer.mediaType?.includes('gzip') ? 'gzip' : 'none',
    }));
  }

  // Stores the config and a manifest of an image built here (import or
  // commit) whose layers and layer blobs are stored and pinned, then tags it.
  // Returns the image ID.
  // blobs is null when a parent image has no stored manifest; the new image then has none either.
  private async storeNewImage(config: ImageConfig, blobs: LayerBlob[] | null, size: number, reference: string | null, options: NewImageOptions = {}): Promise<string> {
    return this.store.withMetadataLock(async () => {
      // A removal between reading the parent and taking the lock would leave the new image's layers unowned.
      if (options.requireParent && !this.store.metadata.has(options.requireParent)) {
        throw new NotFoundError(`store new image: parent image ${options.requireParent} was removed meanwhile`);
      }
      const configBlob = await this.store.content.ingest(Buffer.from(JSON.stringify(config)));
      const manifest = blobs === null ? null : buildManifest(configBlob, blobs);
      if (manifest) await this.store.content.ingest(manifest.content, { digest: manifest.digest });
      const manifestDigest = manifest?.digest ?? null;
      const existing = this.store.metadata.stored(configBlob.digest);
      if (!existing) {
        const image: StoredImage = { id: configBlob.digest, repoTags: [], repoDigests: [], config, size, loadedAt: new Date().toISOString(), manifestDigest };
        if (options.parent) image.parent = options.parent;
        if (options.scratch) image.scratch = true;
        await this.store.metadata.saveImage(image);
      } else if (manifestDigest !== null && (existing.manifestDigest === null || !this.store.content.has(existing.manifestDigest))) {
        await this.store.metadata.saveImage({ ...existing, manifestDigest });
      }
      if (reference) await this.store.metadata.setReferences([{ reference, id: configBlob.digest }]);
      return configBlob.digest;
    });
  }
}

interface NewImageOptions {
  parent?: string;
  scratch?: boolean;
  // An image that must still be stored when the new one is saved, because the new one shares its layers.
  requireParent?: string;
}

// Docker records no Parent for the first step after `FROM scratch`, because scratch is not an image there.
function parentIdOf(parent: StoredImage): string | undefined {
  return parent.scratch ? undefined : parent.id;
}

function readFile(file: string): AsyncIterable<Buffer> {
  return fs.createReadStream(file, { highWaterMark: READ_CHUNK_BYTES });
}
