// Spools the entries of an image archive (docker-archive or OCI layout tar)
// to a temporary directory, because the file that says how to read the rest
// (manifest.json or index.json) may come last in the stream. Every regular
// file is hashed while it is written, so blobs can be verified against their
// digests without reading them twice.
//
// Files are stored under numbered names, never under their archive names,
// so no archive entry can write outside the spool directory. Symlinks and
// hard links between archive members (older `docker save` links repeated
// layers) are kept as a name map and followed on lookup.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import tar from 'tar-stream';
import type { Logger } from '../common/logger';
import { InvalidArgumentError } from '../common/errors';
import { cleanEntryPath } from './root-resolver';

export interface SpooledFile {
  // Absolute path of the spooled copy.
  file: string;
  digest: string;
  size: number;
}

// Metadata files (manifest.json, index.json, configs) are read into memory; this caps them.
const MAX_METADATA_BYTES = 16 * 1024 * 1024;
const MAX_LINK_HOPS = 16;

export class ArchiveSpool {
  private readonly files = new Map<string, SpooledFile>();
  private readonly links = new Map<string, string>();

  private constructor(readonly directory: string) {}

  // Reads the whole archive into directory, which must exist and be empty.
  static async create(archive: AsyncIterable<Buffer>, directory: string, logger: Logger): Promise<ArchiveSpool> {
    const spool = new ArchiveSpool(directory);
    const extract = tar.extract();
    let count = 0;
    extract.on('entry', (header, entryStream, next) => {
      const name = cleanName(header.name);
      if (name === null) {
        logger.warn({ entry: header.name }, 'load image archive: ignoring an entry whose path climbs above the archive root');
        entryStream.on('end', () => next());
        entryStream.resume();
        return;
      }
      if (header.type === 'symlink' || header.type === 'link') {
        spool.addLink(name, header.linkname ?? '', header.type === 'symlink');
        entryStream.on('end', () => next());
        entryStream.resume();
        return;
      }
      if (header.type !== 'file' && header.type !== 'contiguous-file') {
        entryStream.on('end', () => next());
        entryStream.resume();
        return;
      }

      const file = path.join(directory, String(count++));
      const fd = fs.openSync(file, 'wx', 0o600);
      const hash = createHash('sha256');
      let size = 0;
      let failure: Error | null = null;
      entryStream.on('data', (data: unknown) => {
        const chunk = data as Buffer;
        if (failure) return;
        try {
          hash.update(chunk);
          size += chunk.length;
          let offset = 0;
          while (offset < chunk.length) offset += fs.writeSync(fd, chunk, offset, chunk.length - offset);
        } catch (error) {
          failure = new Error(`load image archive: spool entry "${header.name}": ${(error as Error).message}`, { cause: error });
        }
      });
      entryStream.on('end', () => {
        fs.closeSync(fd);
        if (failure) {
          next(failure);
          return;
        }
        spool.files.set(name, { file, digest: `sha256:${hash.digest('hex')}`, size });
        next();
      });
    });

    const finished = new Promise<void>((resolve, reject) => {
      extract.on('finish', () => resolve());
      extract.on('error', (error: Error) => reject(new InvalidArgumentError(`load image archive: invalid tar stream: ${error.message}`, { cause: error })));
    });
    finished.catch(() => undefined);
    try {
      for await (const chunk of archive) {
        if (!extract.write(chunk)) await Promise.race([new Promise<void>((resolve) => extract.once('drain', () => resolve())), finished]);
      }
    } catch (error) {
      extract.destroy(error as Error);
      throw error;
    }
    // streamx's typings declare end's argument as required; undefined writes nothing.
    extract.end(undefined);
    await finished;
    return spool;
  }

  private addLink(name: string, target: string, symbolic: boolean): void {
    // A symlink target is relative to the link's directory; a hard link target is relative to the archive root.
    const base = symbolic && !target.startsWith('/') ? path.posix.dirname(name) : '';
    const resolved = cleanName(base === '.' || base === '' ? target : `${base}/${target}`);
    if (resolved !== null) this.links.set(name, resolved);
  }

  // Finds a member by its archive path, following links between members.
  lookup(name: string): SpooledFile | undefined {
    let current = cleanName(name);
    for (let hops = 0; current !== null && hops <= MAX_LINK_HOPS; hops++) {
      const file = this.files.get(current);
      if (file) return file;
      const next = this.links.get(current);
      if (next === undefined) return undefined;
      current = next;
    }
    return undefined;
  }

  has(name: string): boolean {
    return this.lookup(name) !== undefined;
  }

  // Returns a member's content; for metadata files only (capped at 16 MiB).
  async read(name: string): Promise<Buffer> {
    const file = this.require(name);
    if (file.size > MAX_METADATA_BYTES) {
      throw new InvalidArgumentError(`load image archive: ${name} is ${file.size} bytes, more than the ${MAX_METADATA_BYTES} allowed for metadata`);
    }
    return fsp.readFile(file.file);
  }

  require(name: string): SpooledFile {
    const file = this.lookup(name);
    if (!file) throw new InvalidArgumentError(`load image archive: ${name} is missing from the archive`);
    return file;
  }
}

function cleanName(name: string): string | null {
  const parts = cleanEntryPath(name);
  return parts === null || parts.length === 0 ? null : parts.join('/');
}
