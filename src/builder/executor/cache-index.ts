// The build cache index: step cache key -> the image that step produced. It
// lives in one JSON file under the host's state directory, written atomically,
// so it survives daemon restarts. An entry whose image has left the store is
// ignored on lookup and dropped by prune.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { readJsonIfExists, writeJsonAtomic } from '../../common/atomic-file';

export interface CacheEntry {
  image: string;
  created: string;
  lastUsed: string;
  // The step's instruction. Entries written before it was recorded lack it.
  description?: string;
  // Number of builds that produced or reused the entry. Older entries lack it.
  usageCount?: number;
}

interface IndexFile {
  version: 1;
  entries: Record<string, CacheEntry>;
}

// The parts a step's cache key covers. The stage adds the inputs its instruction depends on.
export interface StepKeyParts {
  parent: string;
  // The instruction after variable expansion, as the history records it.
  instruction: string;
  // ARG values in effect for a RUN, mounts, copy digests, --from images and the like.
  inputs?: unknown;
}

export function stepCacheKey(parts: StepKeyParts): string {
  const text = JSON.stringify([parts.parent, parts.instruction, parts.inputs ?? null]);
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

export class CacheIndex {
  private static readonly open = new Map<string, CacheIndex>();

  private entries: Record<string, CacheEntry> | null = null;
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string) {}

  // One index object per state directory, so that concurrent builds share writes.
  static forDirectory(stateDirectory: string): CacheIndex {
    const file = path.join(stateDirectory, 'build-cache-index.json');
    let index = CacheIndex.open.get(file);
    if (!index) {
      index = new CacheIndex(file);
      CacheIndex.open.set(file, index);
    }
    return index;
  }

  private async load(): Promise<Record<string, CacheEntry>> {
    if (this.entries === null) {
      const stored = await readJsonIfExists<IndexFile>(this.file);
      // Another load may have finished while this one waited.
      if (this.entries === null) this.entries = stored?.version === 1 ? stored.entries : {};
    }
    return this.entries;
  }

  // Returns the cached image of a step, or null when there is none or its image is gone.
  async lookup(key: string, hasImage: (imageId: string) => boolean): Promise<string | null> {
    const entries = await this.load();
    const entry = entries[key];
    if (!entry || !hasImage(entry.image)) return null;

    entry.lastUsed = new Date().toISOString();
    entry.usageCount = (entry.usageCount ?? 1) + 1;
    return entry.image;
  }

  async record(key: string, imageId: string, description: string): Promise<void> {
    const entries = await this.load();
    const now = new Date().toISOString();
    entries[key] = { image: imageId, created: now, lastUsed: now, description, usageCount: 1 };
    await this.save();
  }

  // Returns a copy of every entry with its key.
  async list(): Promise<Array<{ key: string; entry: CacheEntry }>> {
    const entries = await this.load();
    return Object.entries(entries).map(([key, entry]) => ({ key, entry: { ...entry } }));
  }

  // Removes entries (all, or only those whose image is gone) and returns the removed keys with their images.
  async prune(all: boolean, hasImage: (imageId: string) => boolean): Promise<Array<{ key: string; image: string }>> {
    const entries = await this.load();
    const removed: Array<{ key: string; image: string }> = [];

    for (const [key, entry] of Object.entries(entries)) {
      if (!all && hasImage(entry.image)) continue;
      removed.push({ key, image: entry.image });
      delete entries[key];
    }

    await this.save();
    return removed;
  }

  // Writes one at a time, each with the entries as they are when it starts.
  async save(): Promise<void> {
    const write = this.writing.then(() => writeJsonAtomic(this.file, { version: 1, entries: this.entries ?? {} } satisfies IndexFile));
    this.writing = write.catch(() => undefined);
    await write;
  }
}
