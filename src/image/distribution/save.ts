// Writes images as a docker-archive tar (`docker save`): manifest.json,
// repositories, the config blobs and one uncompressed tar per layer, each
// named by its digest under blobs/sha256/. The layer tars come from the
// compressed blobs a pull kept, decompressed and checked against the config's
// diff IDs. Everything is prepared before the stream starts, so a failure is
// an error status and not a truncated archive.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import type { Logger } from '../../common/logger';
import { InvalidArgumentError, NotImplementedError } from '../../common/errors';
import type { ContentStore } from '../content-store';
import type { ImageConfig } from '../types';
import { decompress } from '../decompress';
import { familiarize, formatReference, parseReference, withDefaultTag } from '../reference';
import { parseManifest } from './manifest';

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

interface ArchiveEntry {
  name: string;
  content: Buffer | { file: string; size: number };
}

// Returns the archive as a stream; the temporary layer files are removed when it ends or fails.
export async function saveImages(store: SaveStore, names: string[]): Promise<Readable> {
  if (names.length === 0) throw new InvalidArgumentError('save images: no image names given');
  const work = await fsp.mkdtemp(path.join(store.temporaryDirectory, 'save-'));
  try {
    const entries = await prepareEntries(store, names, work);
    return writeArchive(entries, work, store.logger);
  } catch (error) {
    await fsp.rm(work, { recursive: true, force: true });
    throw error;
  }
}

async function prepareEntries(store: SaveStore, names: string[], work: string): Promise<ArchiveEntry[]> {
  const byId = new Map<string, SavableImage>();
  for (const name of names) {
    const image = store.resolve(name);
    const known = byId.get(image.id);
    if (known) known.repoTags = [...new Set([...known.repoTags, ...image.repoTags])];
    else byId.set(image.id, { ...image, repoTags: [...image.repoTags] });
  }

  const entries: ArchiveEntry[] = [];
  const written = new Set<string>();
  const manifest: Array<{ Config: string; RepoTags: string[] | null; Layers: string[] }> = [];
  const repositories: Record<string, Record<string, string>> = {};
  for (const image of byId.values()) {
    const layerFiles = await layerTars(store, image, work);
    const configName = `blobs/sha256/${image.id.slice(7)}`;
    if (!written.has(configName)) {
      entries.push({ name: configName, content: await store.content.read(image.id) });
      written.add(configName);
    }
    const layerNames: string[] = [];
    for (const [index, diffId] of image.config.rootfs.diff_ids.entries()) {
      const name = `blobs/sha256/${diffId.slice(7)}`;
      layerNames.push(name);
      if (written.has(name)) continue;
      entries.push({ name, content: layerFiles[index] });
      written.add(name);
    }
    const familiarTags = image.repoTags.map(familiarize);
    manifest.push({ Config: configName, RepoTags: familiarTags.length > 0 ? familiarTags : null, Layers: layerNames });
    const topLayer = image.config.rootfs.diff_ids.at(-1)?.slice(7) ?? '';
    for (const tag of familiarTags) {
      const separator = tag.lastIndexOf(':');
      repositories[tag.slice(0, separator)] = { ...repositories[tag.slice(0, separator)], [tag.slice(separator + 1)]: topLayer };
    }
  }
  entries.push({ name: 'manifest.json', content: Buffer.from(JSON.stringify(manifest)) });
  if (Object.keys(repositories).length > 0) entries.push({ name: 'repositories', content: Buffer.from(JSON.stringify(repositories)) });
  return entries;
}

// Decompresses the kept layer blobs of a pulled image into files and checks each against its diff ID.
async function layerTars(store: SaveStore, image: SavableImage, work: string): Promise<Array<{ file: string; size: number }>> {
  const diffIds = image.config.rootfs.diff_ids;
  if (image.manifestDigest === null || !store.content.has(image.manifestDigest)) {
    // Images stored before berthd kept layer blobs for every image have no manifest.
    // A tar rebuilt from the unpacked files rarely hashes to the original diff ID, so none is rebuilt.
    throw new NotImplementedError(`save image ${image.id}: the image has no stored layer blobs, because it was stored by an older berthd; load, import or pull it again`);
  }
  const manifest = parseManifest(await store.content.read(image.manifestDigest), '', image.manifestDigest);
  if (manifest.kind !== 'manifest' || manifest.layers.length !== diffIds.length) {
    throw new InvalidArgumentError(`save image ${image.id}: stored manifest ${image.manifestDigest} does not match the image config`);
  }

  const files: Array<{ file: string; size: number }> = [];
  for (const [index, layer] of manifest.layers.entries()) {
    if (!store.content.has(layer.digest)) {
      throw new NotImplementedError(`save image ${image.id}: layer blob ${layer.digest} is not in the content store; pull the image again and retry`);
    }
    const file = path.join(work, `${index}-${layer.digest.slice(7)}.tar`);
    const { data } = await decompress(fs.createReadStream(store.content.blobPath(layer.digest)));
    const hash = createHash('sha256');
    let size = 0;
    const counter = new PassThrough();
    counter.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      size += chunk.length;
    });
    await pipeline(data, counter, fs.createWriteStream(file, { mode: 0o600 }));
    const diffId = `sha256:${hash.digest('hex')}`;
    if (diffId !== diffIds[index]) {
      throw new InvalidArgumentError(`save image ${image.id}: layer blob ${layer.digest} decompresses to ${diffId}, but the config lists ${diffIds[index]}`);
    }
    files.push({ file, size });
  }
  return files;
}

function writeArchive(entries: ArchiveEntry[], work: string, logger: Logger): Readable {
  const pack = tar.pack();
  const cleanup = () => {
    fsp.rm(work, { recursive: true, force: true }).catch((error: unknown) => logger.error({ path: work, err: error }, 'remove the work directory of an image save failed'));
  };
  (async () => {
    const mtime = new Date(0);
    for (const entry of entries) {
      if (Buffer.isBuffer(entry.content)) {
        const content = entry.content;
        await new Promise<void>((resolve, reject) => pack.entry({ name: entry.name, size: content.length, mode: 0o444, mtime }, content, (error) => (error ? reject(error) : resolve())));
        continue;
      }
      const { file, size } = entry.content;
      await new Promise<void>((resolve, reject) => {
        const sink = pack.entry({ name: entry.name, size, mode: 0o444, mtime }, (error) => (error ? reject(error) : resolve()));
        fs.createReadStream(file).on('error', reject).pipe(sink);
      });
    }
    pack.finalize();
  })().catch((error: unknown) => {
    logger.error({ err: error }, 'write image archive failed');
    pack.destroy(error as Error);
  });
  pack.on('close', cleanup);
  pack.on('end', cleanup);
  // tar-stream's Pack is a streamx Readable, which node's pipeline() accepts.
  return pack as unknown as Readable;
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
