// Image records and the references that name them:
//
//   <root>/images/<id hex>.json   one ImageRecord per image (plus the OCI manifest digest, if any)
//   <root>/repositories.json      { "references": { "<normalized reference>": "<image ID>" } }
//
// Both are written with writeJsonAtomic. repositories.json is the only
// source of tags: repoTags and repoDigests in the records returned to
// callers are computed from it, so the two files never disagree.
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../common/logger';
import { readJsonIfExists, writeJsonAtomic } from '../common/atomic-file';
import type { ImageRecord } from './types';
import { digestHex } from './digest';
import { isDigestReference } from './reference';

export interface StoredImage extends ImageRecord {
  // Digest of the OCI manifest blob the image was loaded from, kept in the content store.
  manifestDigest: string | null;
  // The empty image that `FROM scratch` builds start from: never listed, and never recorded as a parent.
  scratch?: boolean;
}

interface RepositoriesFile {
  references: Record<string, string>;
}

export class MetadataStore {
  private readonly images = new Map<string, StoredImage>();
  // Normalized reference to image ID.
  private readonly references = new Map<string, string>();
  private readonly imagesDirectory: string;
  private readonly repositoriesFile: string;

  constructor(root: string, private readonly logger: Logger) {
    this.imagesDirectory = path.join(root, 'images');
    this.repositoriesFile = path.join(root, 'repositories.json');
  }

  // Reads every record, removing temporary files of interrupted writes and
  // references to images that do not exist.
  async init(): Promise<void> {
    await fsp.mkdir(this.imagesDirectory, { recursive: true, mode: 0o700 });
    for (const name of await fsp.readdir(this.imagesDirectory)) {
      const file = path.join(this.imagesDirectory, name);
      const match = /^([a-f0-9]{64})\.json$/.exec(name);
      if (!match) {
        this.logger.info({ file }, 'removing a leftover file from an interrupted image record write');
        await fsp.rm(file, { force: true });
        continue;
      }
      const image = await readJsonIfExists<StoredImage>(file);
      if (!image || image.id !== `sha256:${match[1]}`) {
        this.logger.error({ file }, 'removing an image record whose ID does not match its file name');
        await fsp.rm(file, { force: true });
        continue;
      }
      this.images.set(image.id, { ...image, manifestDigest: image.manifestDigest ?? null });
    }

    for (const name of await fsp.readdir(path.dirname(this.repositoriesFile))) {
      if (name.startsWith('.repositories.json.') && name.endsWith('.tmp')) {
        this.logger.info({ file: name }, 'removing a leftover file from an interrupted repositories.json write');
        await fsp.rm(path.join(path.dirname(this.repositoriesFile), name), { force: true });
      }
    }
    const repositories = await readJsonIfExists<RepositoriesFile>(this.repositoriesFile);
    let dropped = false;
    for (const [reference, id] of Object.entries(repositories?.references ?? {})) {
      if (!this.images.has(id)) {
        this.logger.warn({ reference, image: id }, 'dropping a reference to an image that does not exist');
        dropped = true;
        continue;
      }
      this.references.set(reference, id);
    }
    if (dropped) await this.saveReferences();
  }

  has(id: string): boolean {
    return this.images.has(id);
  }

  stored(id: string): StoredImage | undefined {
    return this.images.get(id);
  }

  ids(): string[] {
    return [...this.images.keys()];
  }

  // Returns a copy of the record with its current tags and digests.
  record(id: string): ImageRecord | undefined {
    const image = this.images.get(id);
    if (!image) return undefined;
    const references = this.referencesOf(id);
    const { manifestDigest: _manifestDigest, scratch: _scratch, ...record } = image;
    return {
      ...record,
      repoTags: references.filter((reference) => !isDigestReference(reference)),
      repoDigests: references.filter(isDigestReference),
    };
  }

  // Returns the IDs of the images whose parent is id.
  children(id: string): string[] {
    const result: string[] = [];
    for (const image of this.images.values()) if (image.parent === id) result.push(image.id);
    return result;
  }

  lookupReference(reference: string): string | undefined {
    return this.references.get(reference);
  }

  // Returns the sorted normalized references that name the image.
  referencesOf(id: string): string[] {
    const result: string[] = [];
    for (const [reference, target] of this.references) if (target === id) result.push(reference);
    return result.sort();
  }

  async saveImage(image: StoredImage): Promise<void> {
    await writeJsonAtomic(this.imageFile(image.id), { ...image, repoTags: [], repoDigests: [] });
    this.images.set(image.id, image);
  }

  async deleteImage(id: string): Promise<void> {
    this.images.delete(id);
    await fsp.rm(this.imageFile(id), { force: true });
  }

  // Points references at an image (or removes them, for id null) and saves repositories.json once.
  async setReferences(changes: ReadonlyArray<{ reference: string; id: string | null }>): Promise<void> {
    for (const { reference, id } of changes) {
      if (id === null) this.references.delete(reference);
      else this.references.set(reference, id);
    }
    await this.saveReferences();
  }

  private async saveReferences(): Promise<void> {
    const references: Record<string, string> = {};
    for (const reference of [...this.references.keys()].sort()) references[reference] = this.references.get(reference)!;
    await writeJsonAtomic(this.repositoriesFile, { references } satisfies RepositoriesFile);
  }

  private imageFile(id: string): string {
    return path.join(this.imagesDirectory, `${digestHex(id, 'image ID')}.json`);
  }
}
