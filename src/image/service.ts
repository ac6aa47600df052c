// The image store facade that the engine calls: resolve, tag, remove, prune,
// load, import, commit and the lower layers of a container's overlay mount.
// Storage is split into the content store (configs, manifests, layer blobs),
// the layer store (unpacked layers) and the metadata store (image records and
// references). This class orders their writes so that an image is visible
// only once all its layers are committed, and a kill at any point leaves
// nothing that init() cannot clean.
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Logger } from '../common/logger';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../common/errors';
import { shortId } from '../common/ids';
import { KeyedLock } from '../common/keyed-lock';
import type { ImageConfig, ImageRecord, ImageRuntimeConfig, LowerLayers } from './types';
import { ContentStore } from './content-store';
import { LayerStore, type LayerInfo } from './layer-store';
import { MetadataStore } from './metadata-store';
import { applyChanges } from './changes';
import { chainIds } from './digest';
import type { CommitSettings } from './image-config';
import { ImageBuilder, type BuildStore } from './image-builder';
import { loadArchive } from './image-loader';
import { familiarReferences, planRemoval } from './image-remove';
import { isPrunable, type PruneFilters } from './image-prune';
import { familiarName, formatReference, isDigestReference, normalizeReference, parseReference, withDefaultTag } from './reference';
import { pullImage, type ProgressMessage, type PulledImage, type PullOptions } from './distribution/pull';
import { pushImage, type PushOptions, type TaggedImage } from './distribution/push';
import { saveImages, savedTag } from './distribution/save';

const METADATA_LOCK = 'metadata';

export class ImageService {
  private readonly logger: Logger;
  private readonly temporaryDirectory: string;
  private readonly content: ContentStore;
  private readonly layers: LayerStore;
  private readonly metadata: MetadataStore;
  private readonly builder: ImageBuilder;
  // The stores and lock that loads and builds write through.
  private readonly buildStore: BuildStore;
  // Serializes every change of image records and references.
  private readonly lock = new KeyedLock();

  constructor(private readonly root: string, logger: Logger) {
    this.logger = logger.child({ subsystem: 'image' });
    this.temporaryDirectory = path.join(root, 'tmp');
    this.content = new ContentStore(root, this.temporaryDirectory);
    this.layers = new LayerStore(root, this.temporaryDirectory, this.logger);
    this.metadata = new MetadataStore(root, this.logger);
    this.buildStore = {
      content: this.content,
      layers: this.layers,
      metadata: this.metadata,
      logger: this.logger,
      temporaryDirectory: this.temporaryDirectory,
      withMetadataLock: (work) => this.lock.run(METADATA_LOCK, work),
      chainIdsOf: (id) => this.chainIdsOf(id),
    };
    this.builder = new ImageBuilder(this.buildStore);
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

  // Returns every image but the internal scratch image. Callers hide intermediate images themselves (see isIntermediate).
  list(): ImageRecord[] {
    return this.metadata
      .ids()
      .filter((id) => !this.metadata.stored(id)?.scratch)
      .map((id) => this.metadata.record(id)!);
  }

  // Returns the IDs of the images made from this one (their Parent).
  children(imageId: string): string[] {
    return this.metadata.children(imageId);
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
  ): Promise<{ untagged: string[]; deleted: string[]; deletedImages: string[] }> {
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

      // Docker never deletes an image that others were made from: removal by ID fails even with force,
      // and removal by name only untags it.
      const hasChildren = this.metadata.children(imageId).length > 0;
      if (plan.deleteImage && hasChildren && plan.untag.length === 0) {
        throw new ConflictError(`conflict: unable to delete ${shortId(imageId)} (cannot be forced) - image has dependent child images`);
      }

      await this.metadata.setReferences(plan.untag.map((untagged) => ({ reference: untagged, id: null })));
      const result = { untagged: familiarReferences(plan.untag), deleted: [] as string[], deletedImages: [] as string[] };
      if (plan.untag.length > 0) this.logger.info({ image: imageId, references: plan.untag }, 'image untagged');
      if (!plan.deleteImage || hasChildren) return result;

      const parent = this.metadata.stored(imageId)?.parent;
      await this.metadata.deleteImage(imageId);
      result.deletedImages.push(imageId);
      this.logger.info({ image: imageId }, 'image deleted');
      if (!options.noPrune) result.deletedImages.push(...(await this.deleteUnusedParents(parent, usedBy)));
      result.deleted.push(...result.deletedImages, ...(await this.collectGarbage()));
      return result;
    });
  }

  // Deletes the chain of untagged parents that a deleted image leaves without children, as
  // `docker rmi` does unless --no-prune. Stops at a tagged parent, one with another child, or one a
  // container uses. The caller holds the metadata lock. Returns the deleted IDs, nearest first.
  private async deleteUnusedParents(parentId: string | undefined, usedBy: (imageId: string) => string | null): Promise<string[]> {
    const deleted: string[] = [];
    let current = parentId;
    while (current !== undefined) {
      const parent = this.metadata.stored(current);
      if (!parent || parent.scratch) break;
      if (this.metadata.referencesOf(current).length > 0) break;
      if (this.metadata.children(current).length > 0) break;
      if (usedBy(current) !== null) break;
      await this.metadata.deleteImage(current);
      deleted.push(current);
      this.logger.info({ image: current }, 'deleted an untagged parent image');
      current = parent.parent;
    }
    return deleted;
  }

  // Removes the images the filters select that no container uses, with their
  // references, then the layers and blobs nothing else uses. An image that
  // others were made from stays while they exist. When the last child goes,
  // its untagged parents go with it, as with `docker rmi`. spaceReclaimed is
  // the content size of the removed layers.
  async prune(filters: PruneFilters, usedBy: (imageId: string) => string | null): Promise<{ untagged: string[]; deleted: string[]; spaceReclaimed: number }> {
    return this.lock.run(METADATA_LOCK, async () => {
      const layerSizes = new Map(this.layers.list().map((layer) => [layer.chainId, layer.size]));
      const result = { untagged: [] as string[], deleted: [] as string[], spaceReclaimed: 0 };
      // Removing a child can make its parent removable, so passes repeat until one removes nothing.
      let removedInPass = true;
      while (removedInPass) {
        removedInPass = false;
        for (const id of this.metadata.ids()) {
          const stored = this.metadata.stored(id);
          if (!stored || stored.scratch || this.metadata.children(id).length > 0) continue;
          const record = this.metadata.record(id)!;
          if (!isPrunable(record, filters, usedBy(id) !== null)) continue;
          const references = this.metadata.referencesOf(id);
          await this.metadata.setReferences(references.map((reference) => ({ reference, id: null })));
          await this.metadata.deleteImage(id);
          result.untagged.push(...references);
          result.deleted.push(id);
          this.logger.info({ image: id, references }, 'image pruned');
          const parents = await this.deleteUnusedParents(stored.parent, usedBy);
          result.deleted.push(...parents);
          removedInPass = true;
        }
      }
      if (result.deleted.length === 0) return result;
      const removedLayers = await this.collectGarbage();
      result.deleted.push(...removedLayers);
      result.spaceReclaimed = removedLayers.reduce((total, chainId) => total + (layerSizes.get(chainId) ?? 0), 0);
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

  // Loads every image of a docker-archive or OCI layout tar (`docker load`).
  async load(archive: Readable, onLoaded: (message: string) => void): Promise<void> {
    await loadArchive(this.buildStore, archive, onLoaded);
  }

  // Imports a root filesystem tar as a one-layer image and returns its ID.
  async importRootfs(archive: Readable, options: { reference: string | null; changes: string[]; message: string }): Promise<string> {
    // Check the name and the changes before the unpack, which can take long.
    const reference = options.reference ? checkTagReference(options.reference) : null;
    const runtimeConfig = applyChanges({}, options.changes);
    return this.builder.importRootfs(archive, { reference, runtimeConfig, message: options.message });
  }

  // Builds an image from a container's overlayfs upper directory on top of
  // the container's image (`docker commit`) and returns its ID. The caller
  // keeps the upper directory still (paused or stopped) while this runs.
  // Paths in skipPaths (absolute) are left out of the new layer.
  async commitContainer(request: { imageId: string; upperDir: string; skipPaths: ReadonlySet<string>; reference: string | null; settings: CommitSettings }): Promise<string> {
    const reference = request.reference ? checkTagReference(request.reference) : null;
    return this.builder.commitContainer({ ...request, reference });
  }

  // Stores an image with the parent's layers and a new runtime config (a build step such as ENV), and returns its ID.
  async deriveImage(request: { parentId: string; runtimeConfig: ImageRuntimeConfig; createdBy: string }): Promise<string> {
    return this.builder.deriveImage(request);
  }

  // Returns the ID of the empty image that `FROM scratch` starts from, storing it when absent.
  async scratchImage(): Promise<string> {
    return this.builder.scratchImage();
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

  // Returns a `docker save` tar (docker-archive and OCI layout) of the named images. The tag a name gives becomes a RepoTag.
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

  // Pins an image's layers so that garbage collection keeps them while a mount
  // uses them, even if the image is removed meanwhile. Returns the release function.
  holdLayers(imageId: string): () => void {
    const chainIds = this.chainIdsOf(imageId);
    for (const chainId of chainIds) this.layers.acquire(chainId);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const chainId of chainIds) this.layers.release(chainId);
    };
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
