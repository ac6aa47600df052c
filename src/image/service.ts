// The image store facade that the engine calls: resolve, tag, remove, load, import
// and the lower layers of a container's overlay mount. Storage is split into
// the content store (configs, manifests), the layer store (unpacked layers)
// and the metadata store (image records and references); this class orders
// their writes so that an image is visible only once all its layers are
// committed, and a kill at any point leaves nothing that init() cannot clean.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Logger } from '../common/logger';
import { InvalidArgumentError, NotFoundError } from '../common/errors';
import { KeyedLock } from '../common/keyed-lock';
import type { ImageConfig, ImageRecord, LowerLayers } from './types';
import { ContentStore } from './content-store';
import { LayerStore, type LayerInfo } from './layer-store';
import { MetadataStore, type StoredImage } from './metadata-store';
import { ArchiveSpool } from './archive-spool';
import { readArchiveImages, type ArchiveImage } from './archive-manifest';
import { applyChanges } from './changes';
import { chainIds } from './digest';
import { buildManifest, layerBlobFor, spoolToFile, type BuiltManifest, type LayerBlob } from './layer-blobs';
import { importedImageConfig, parseImageConfig } from './image-config';
import { familiarReferences, planRemoval } from './image-remove';
import { familiarName, familiarize, formatReference, isDigestReference, normalizeReference, parseReference, withDefaultTag } from './reference';
import { pullImage, type ProgressMessage, type PulledImage, type PullOptions } from './distribution/pull';
import { pushImage, type PushOptions, type TaggedImage } from './distribution/push';
import { saveImages, savedTag } from './distribution/save';

const METADATA_LOCK = 'metadata';
const READ_CHUNK_BYTES = 1024 * 1024;

export class ImageService {
  private readonly logger: Logger;
  private readonly temporaryDirectory: string;
  private readonly content: ContentStore;
  private readonly layers: LayerStore;
  private readonly metadata: MetadataStore;
  // Serializes every change of image records and references.
  private readonly lock = new KeyedLock();

  constructor(private readonly root: string, logger: Logger) {
    this.logger = logger.child({ subsystem: 'image' });
    this.temporaryDirectory = path.join(root, 'tmp');
    this.content = new ContentStore(root, this.temporaryDirectory);
    this.layers = new LayerStore(root, this.temporaryDirectory, this.logger);
    this.metadata = new MetadataStore(root, this.logger);
  }

  // Creates the directories, removes what interrupted loads, imports and
  // removals left behind, and then every layer and blob no image uses.
  async init(): Promise<void> {
    await fsp.mkdir(this.root, { recursive: true, mode: 0o700 });
    await fsp.mkdir(this.temporaryDirectory, { recursive: true, mode: 0o700 });
    for (const name of await fsp.readdir(this.temporaryDirectory)) {
      this.logger.info({ path: path.join(this.temporaryDirectory, name) }, 'removing a leftover of an interrupted load, import or removal');
      await fsp.rm(path.join(this.temporaryDirectory, name), { recursive: true, force: true });
    }
    await this.content.init();
    await this.layers.init();
    await this.metadata.init();

    for (const id of this.metadata.ids()) {
      const missing = this.chainIdsOf(id).filter((chainId) => !this.layers.has(chainId));
      if (missing.length === 0) continue;
      this.logger.error({ image: id, missingLayers: missing }, 'removing an image whose layers are missing from the layer store');
      await this.metadata.setReferences(this.metadata.referencesOf(id).map((reference) => ({ reference, id: null })));
      await this.metadata.deleteImage(id);
    }
    await this.collectGarbage();
  }

  list(): ImageRecord[] {
    return this.metadata.ids().map((id) => this.metadata.record(id)!);
  }

  resolve(referenceOrId: string): ImageRecord {
    return this.metadata.record(this.resolveId(referenceOrId))!;
  }

  // Finds the image ID for a reference, a full ID or a unique ID prefix, in Docker's order:
  // a full ID first, then a reference, then an ID prefix.
  private resolveId(input: string): string {
    const full = /^(?:sha256:)?([a-f0-9]{64})$/.exec(input);
    if (full) {
      const id = `sha256:${full[1]}`;
      if (this.metadata.has(id)) return id;
      throw new NotFoundError(`No such image: ${input}`);
    }

    let parseError: unknown = null;
    try {
      const parsed = parseReference(input);
      const key = parsed.digest !== null ? formatReference({ ...parsed, tag: null }) : formatReference(withDefaultTag(parsed));
      const id = this.metadata.lookupReference(key);
      if (id !== undefined) return id;
    } catch (error) {
      parseError = error;
    }

    const prefix = /^(?:sha256:)?([a-f0-9]+)$/.exec(input);
    if (prefix) {
      const matches = this.metadata.ids().filter((id) => id.startsWith(`sha256:${prefix[1]}`));
      if (matches.length === 1) return matches[0];
      if (matches.length > 1) throw new InvalidArgumentError(`image ID prefix "${input}" is ambiguous: it matches ${matches.length} images`);
    }
    if (parseError !== null) throw parseError;
    throw new NotFoundError(`No such image: ${input}`);
  }

  async tag(source: string, target: string): Promise<void> {
    const reference = checkTagReference(target);
    await this.lock.run(METADATA_LOCK, async () => {
      const id = this.resolveId(source);
      await this.metadata.setReferences([{ reference, id }]);
      this.logger.info({ image: id, reference }, 'image tagged');
    });
  }

  async remove(
    reference: string,
    options: { force: boolean; noPrune: boolean },
    usedBy: (imageId: string) => string | null,
  ): Promise<{ untagged: string[]; deleted: string[] }> {
    // noPrune concerns parent images, which only `docker build` creates; this store has none.
    void options.noPrune;
    return this.lock.run(METADATA_LOCK, async () => {
      const imageId = this.resolveId(reference);
      const plan = planRemoval({
        input: reference,
        imageId,
        matchedReference: this.matchedReference(reference, imageId),
        references: this.metadata.referencesOf(imageId),
        containerId: usedBy(imageId),
        force: options.force,
      });

      await this.metadata.setReferences(plan.untag.map((untagged) => ({ reference: untagged, id: null })));
      const result = { untagged: familiarReferences(plan.untag), deleted: [] as string[] };
      if (plan.untag.length > 0) this.logger.info({ image: imageId, references: plan.untag }, 'image untagged');
      if (!plan.deleteImage) return result;

      await this.metadata.deleteImage(imageId);
      result.deleted.push(imageId);
      this.logger.info({ image: imageId }, 'image deleted');
      result.deleted.push(...(await this.collectGarbage()));
      return result;
    });
  }

  // Returns the normalized reference the input named, or null when it is a
  // prefix of the image's ID, which Docker treats as removal by ID.
  private matchedReference(input: string, imageId: string): string | null {
    const hex = input.replace(/^sha256:/, '');
    if (/^[a-f0-9]+$/.test(hex) && imageId.startsWith(`sha256:${hex}`)) return null;
    const parsed = parseReference(input);
    return parsed.digest !== null ? formatReference({ ...parsed, tag: null }) : formatReference(withDefaultTag(parsed));
  }

  // Removes layers and blobs that no image uses; returns the removed layer chain IDs.
  private async collectGarbage(): Promise<string[]> {
    const layersInUse = new Set<string>();
    const blobsInUse = new Set<string>();
    for (const id of this.metadata.ids()) {
      for (const chainId of this.chainIdsOf(id)) layersInUse.add(chainId);
      blobsInUse.add(id);
      const manifest = this.metadata.stored(id)?.manifestDigest;
      if (manifest) {
        blobsInUse.add(manifest);
        // Images keep the layer blobs their manifest names, for push and save.
        for (const digest of await this.manifestBlobs(manifest)) blobsInUse.add(digest);
      }
    }
    const removedLayers = await this.layers.removeUnused(layersInUse);
    for (const digest of this.content.list()) {
      if (blobsInUse.has(digest) || this.content.isPinned(digest)) continue;
      await this.content.remove(digest);
      this.logger.info({ digest }, 'removed a blob that no image uses');
    }
    return removedLayers;
  }

  // Returns the config and layer digests a stored manifest names; none when it cannot be read.
  private async manifestBlobs(manifestDigest: string): Promise<string[]> {
    try {
      const manifest = JSON.parse((await this.content.read(manifestDigest)).toString('utf8')) as { config?: { digest?: unknown }; layers?: Array<{ digest?: unknown }> };
      const digests = [manifest.config?.digest, ...(manifest.layers ?? []).map((layer) => layer.digest)];
      return digests.filter((digest): digest is string => typeof digest === 'string');
    } catch (error) {
      this.logger.warn({ manifest: manifestDigest, err: error }, 'read stored manifest for garbage collection failed; its layer blobs may be removed');
      return [];
    }
  }

  async load(archive: Readable, onLoaded: (message: string) => void): Promise<void> {
    const spoolDirectory = await fsp.mkdtemp(path.join(this.temporaryDirectory, 'load-'));
    try {
      const spool = await ArchiveSpool.create(archive, spoolDirectory, this.logger);
      const images = await readArchiveImages(spool);
      if (images.length === 0) throw new InvalidArgumentError('load image archive: the archive contains no image for linux/amd64');
      for (const image of images) await this.loadImage(image, spoolDirectory, onLoaded);
    } finally {
      await fsp.rm(spoolDirectory, { recursive: true, force: true });
    }
  }

  // workDirectory is the spool's directory, which also takes decompressed copies of xz and bzip2 layers.
  private async loadImage(image: ArchiveImage, workDirectory: string, onLoaded: (message: string) => void): Promise<void> {
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
        if (this.layers.acquire(chain[index])) continue;
        const created = await this.layers.create(readFile(layer.file.file), index === 0 ? null : chain[index - 1], diffIds[index]);
        // create() pinned the layer a second time for this caller.
        this.layers.release(created.layer.chainId);
        this.logger.info({ image: id, layer: created.layer.chainId, source: layer.name, skippedEntries: created.unpack.skipped.length }, 'layer loaded');
      }

      const manifest = await this.keepLayerBlobs(image, diffIds, workDirectory, pinnedBlobs);
      await this.commitImage(image, config, manifest, onLoaded);
    } catch (error) {
      this.logger.error({ image: id, err: error }, 'load image failed');
      throw error;
    } finally {
      for (const chainId of pinned) this.layers.release(chainId);
      for (const digest of pinnedBlobs) this.content.unpin(digest);
    }
  }

  // Stores the layer blobs of a loaded image, pinned until its record exists,
  // and returns the manifest that names them: the archive's own for an OCI
  // layout, else a new one, because a docker-archive has none.
  private async keepLayerBlobs(image: ArchiveImage, diffIds: string[], workDirectory: string, pinned: string[]): Promise<BuiltManifest> {
    const blobs: LayerBlob[] = [];
    for (const [index, layer] of image.layers.entries()) {
      // An OCI layout's manifest already names each blob with its media type, so the blob is kept unchanged.
      const blob = image.manifest ? { ...layer.file, compression: 'none' as const } : await layerBlobFor(layer.file, diffIds[index], path.join(workDirectory, `plain-layer-${index}`));
      this.content.pin(blob.digest);
      pinned.push(blob.digest);
      await this.content.adoptFile(blob.file, blob);
      blobs.push(blob);
    }
    return image.manifest ?? buildManifest({ digest: image.configDigest, size: image.config.length }, blobs);
  }

  // Stores the config (and manifest) blobs and the image record, then moves
  // the references to the image. Called with every layer committed and
  // pinned. Runs under the metadata lock, so a removal's garbage collection
  // cannot delete the new blobs before the image record that uses them exists.
  private async commitImage(image: ArchiveImage, config: ImageConfig, manifest: BuiltManifest, onLoaded: (message: string) => void): Promise<void> {
    const id = image.configDigest;
    const references = image.references;
    await this.lock.run(METADATA_LOCK, async () => {
      await this.content.ingest(image.config, { digest: id, size: image.config.length });
      await this.content.ingest(manifest.content, { digest: manifest.digest });
      const existing = this.metadata.stored(id);
      if (!existing) {
        const size = this.chainIdsOf(id, config).reduce((total, chainId) => total + this.layers.get(chainId).size, 0);
        const record: StoredImage = { id, repoTags: [], repoDigests: [], config, size, loadedAt: new Date().toISOString(), manifestDigest: manifest.digest };
        await this.metadata.saveImage(record);
      } else if (existing.manifestDigest === null || !this.content.has(existing.manifestDigest)) {
        // An image stored before layer blobs were kept becomes pushable once loaded again.
        await this.metadata.saveImage({ ...existing, manifestDigest: manifest.digest });
      }
      for (const reference of references) {
        const previous = this.metadata.lookupReference(reference);
        if (previous !== undefined && previous !== id) {
          onLoaded(`The image ${familiarize(reference)} already exists, renaming the old one with ID ${previous} to empty string`);
        }
      }
      await this.metadata.setReferences(references.map((reference) => ({ reference, id })));
    });
    this.logger.info({ image: id, references }, 'image loaded');
    if (references.length === 0) onLoaded(`Loaded image ID: ${id}`);
    for (const reference of references) onLoaded(`Loaded image: ${familiarize(reference)}`);
  }

  // Imports a root filesystem tar as a one-layer image. The archive is
  // spooled to a file first, so its bytes can be kept as the layer blob.
  async importRootfs(archive: Readable, options: { reference: string | null; changes: string[]; message: string }): Promise<string> {
    // Check the name and the changes before the unpack, which can take long.
    const reference = options.reference ? checkTagReference(options.reference) : null;
    const runtimeConfig = applyChanges({}, options.changes);

    const work = await fsp.mkdtemp(path.join(this.temporaryDirectory, 'import-'));
    const pinnedBlobs: string[] = [];
    try {
      const archiveFile = path.join(work, 'archive');
      const spooled = await spoolToFile(archive, archiveFile);
      const { layer } = await this.layers.create(readFile(archiveFile), null, null);
      try {
        const blob = await layerBlobFor({ file: archiveFile, ...spooled }, layer.diffId, path.join(work, 'plain-layer'));
        this.content.pin(blob.digest);
        pinnedBlobs.push(blob.digest);
        await this.content.adoptFile(blob.file, blob);

        const config = importedImageConfig(layer.diffId, runtimeConfig, options.message);
        const id = await this.storeNewImage(config, [blob], layer.size, reference);
        this.logger.info({ image: id, reference, layer: layer.chainId }, 'image imported');
        return id;
      } finally {
        this.layers.release(layer.chainId);
      }
    } finally {
      for (const digest of pinnedBlobs) this.content.unpin(digest);
      await fsp.rm(work, { recursive: true, force: true });
    }
  }

  // Stores the config and a manifest of an image built here (import or
  // commit) whose layers and layer blobs are stored and pinned, then tags it.
  // Returns the image ID.
  private async storeNewImage(config: ImageConfig, blobs: LayerBlob[], size: number, reference: string | null): Promise<string> {
    return this.lock.run(METADATA_LOCK, async () => {
      const configBlob = await this.content.ingest(Buffer.from(JSON.stringify(config)));
      const manifest = buildManifest(configBlob, blobs);
      await this.content.ingest(manifest.content, { digest: manifest.digest });
      const existing = this.metadata.stored(configBlob.digest);
      if (!existing) {
        await this.metadata.saveImage({ id: configBlob.digest, repoTags: [], repoDigests: [], config, size, loadedAt: new Date().toISOString(), manifestDigest: manifest.digest });
      } else if (existing.manifestDigest === null || !this.content.has(existing.manifestDigest)) {
        await this.metadata.saveImage({ ...existing, manifestDigest: manifest.digest });
      }
      if (reference) await this.metadata.setReferences([{ reference, id: configBlob.digest }]);
      return configBlob.digest;
    });
  }

  // Pulls an image from a registry and returns its ID; progress goes out as Docker's JSON messages.
  async pull(reference: string, options: PullOptions, onProgress: (message: ProgressMessage) => void): Promise<string> {
    const store = {
      temporaryDirectory: this.temporaryDirectory,
      layers: this.layers,
      content: this.content,
      logger: this.logger,
      commit: (image: PulledImage) => this.commitPulledImage(image),
    };
    return pullImage(store, reference, options, onProgress);
  }

  // Pushes a repository's tag (or every tag when tag and name have none) to its registry.
  async push(name: string, tag: string | null, options: PushOptions, onProgress: (message: object) => void): Promise<void> {
    const store = {
      content: this.content,
      logger: this.logger,
      taggedImages: (repository: string, wanted: string | null) => this.taggedImages(repository, wanted),
      addReference: (reference: string, imageId: string) =>
        this.lock.run(METADATA_LOCK, async () => {
          if (this.metadata.has(imageId)) await this.metadata.setReferences([{ reference, id: imageId }]);
        }),
    };
    await pushImage(store, name, tag, options, onProgress);
  }

  // Returns a docker-archive tar of the named images; the tag a name gives becomes a RepoTag.
  async save(names: string[]): Promise<Readable> {
    const store = {
      content: this.content,
      temporaryDirectory: this.temporaryDirectory,
      logger: this.logger,
      resolve: (name: string) => {
        const image = this.resolve(name);
        const tag = savedTag(name);
        const repoTags = tag !== null && this.metadata.lookupReference(tag) === image.id ? [tag] : [];
        return { id: image.id, config: image.config, manifestDigest: this.metadata.stored(image.id)?.manifestDigest ?? null, repoTags };
      },
    };
    return saveImages(store, names);
  }

  private taggedImages(repository: string, tag: string | null): TaggedImage[] {
    const result: TaggedImage[] = [];
    for (const id of this.metadata.ids()) {
      const references = this.metadata.referencesOf(id);
      for (const reference of references) {
        if (isDigestReference(reference) || !reference.startsWith(`${repository}:`)) continue;
        if (tag !== null && reference !== `${repository}:${tag}`) continue;
        result.push({ reference, imageId: id, manifestDigest: this.metadata.stored(id)?.manifestDigest ?? null, repoDigests: references.filter(isDigestReference) });
      }
    }
    return result.sort((left, right) => left.reference.localeCompare(right.reference));
  }

  // Stores a pulled image's config and manifest blobs and its record, then
  // points its references at it. The caller keeps every layer pinned. Returns
  // the image the first reference named before.
  private async commitPulledImage(image: PulledImage): Promise<string | undefined> {
    return this.lock.run(METADATA_LOCK, async () => {
      const previous = this.metadata.lookupReference(image.references[0]);
      await this.content.ingest(image.configBlob, { digest: image.id, size: image.configBlob.length });
      await this.content.ingest(image.manifest.content, { digest: image.manifest.digest });
      const existing = this.metadata.stored(image.id);
      if (existing && existing.manifestDigest === null) {
        // A loaded or imported image keeps no manifest; the pulled one lets it be pushed.
        await this.metadata.saveImage({ ...existing, manifestDigest: image.manifest.digest });
      } else if (!existing) {
        const size = this.chainIdsOf(image.id, image.config).reduce((total, chainId) => total + this.layers.get(chainId).size, 0);
        await this.metadata.saveImage({
          id: image.id,
          repoTags: [],
          repoDigests: [],
          config: image.config,
          size,
          loadedAt: new Date().toISOString(),
          manifestDigest: image.manifest.digest,
        });
      }
      await this.metadata.setReferences(image.references.map((reference) => ({ reference, id: image.id })));
      return previous;
    });
  }

  // Returns the overlay lower directories of an image, topmost first.
  lowerLayers(imageId: string): LowerLayers {
    if (!this.metadata.has(imageId)) throw new NotFoundError(`No such image: ${imageId}`);
    return this.layers.lowerLayers(this.chainIdsOf(imageId));
  }

  // Returns the committed layers of an image, bottom first.
  imageLayers(imageId: string): LayerInfo[] {
    return this.chainIdsOf(imageId).map((chainId) => this.layers.get(chainId));
  }

  private chainIdsOf(id: string, config?: ImageConfig): string[] {
    const imageConfig = config ?? this.metadata.stored(id)?.config;
    if (!imageConfig) throw new NotFoundError(`No such image: ${id}`);
    return chainIds(imageConfig.rootfs.diff_ids);
  }
}

// Parses a tag target as `docker tag` does and returns its normalized form.
function checkTagReference(target: string): string {
  const parsed = parseReference(target);
  if (parsed.digest !== null) throw new InvalidArgumentError('refusing to create a tag with a digest reference');
  if (familiarName(parsed) === 'sha256') throw new InvalidArgumentError('refusing to create an ambiguous tag using digest algorithm as name');
  return formatReference(withDefaultTag(parsed));
}

function readFile(file: string): AsyncIterable<Buffer> {
  return fs.createReadStream(file, { highWaterMark: READ_CHUNK_BYTES });
}
