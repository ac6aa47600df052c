// Extracts a build context tar into an empty directory. Entry names are
// cleaned and checked before anything is written, and a name that is absolute
// or climbs out with ".." is skipped with a log line. Every entry's parent is
// resolved inside the directory, so a symlink in the context (kept as a
// symlink) never leads a later entry to the host's files.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import type { Logger } from '../../common/logger';
import { resolveInRoot } from '../../common/scoped-path';
import { decompressStream } from './decompress';

export interface ExtractedEntryCounts {
  entries: number;
  skipped: number;
}

// Returns the entry's path relative to the root, or null when it must be skipped.
export function safeEntryName(name: string): string | null {
  if (name.startsWith('/')) return null;
  const normalized = path.posix.normalize(name).replace(/\/+$/, '');
  if (normalized === '' || normalized === '.') return '';
  if (normalized === '..' || normalized.startsWith('../')) return null;
  return normalized;
}

export interface ExtractOptions {
  // Directory inside root that receives the entries, "" for root itself. Symlinks met on the way resolve with root as "/".
  prefix: string;
  // 'keep' applies the tar's owners (ADD of an archive), null leaves the extracting user (root) as owner.
  owner: { uid: number; gid: number } | 'keep' | null;
  // Name of the archive in log lines and error messages.
  archiveName: string;
}

// Extracts a (possibly compressed) tar into root (or a directory below it, see options.prefix).
export async function extractTar(archive: Readable, root: string, logger: Logger, options: ExtractOptions): Promise<ExtractedEntryCounts> {
  const { data } = await decompressStream(archive);
  const extract = tar.extract();
  const counts: ExtractedEntryCounts = { entries: 0, skipped: 0 };
  // Directory times are set last, because creating entries inside changes them.
  const directoryTimes: { hostPath: string; mtime: Date }[] = [];

  extract.on('entry', (header, stream, next) => {
    writeEntry(header, stream as unknown as Readable, root, logger, options, counts, directoryTimes)
      .then(() => next())
      .catch((error: unknown) => {
        stream.resume();
        next(error as Error);
      });
  });
  try {
    await pipeline(data, extract as unknown as NodeJS.WritableStream);
  } catch (error) {
    throw new Error(`extract ${options.archiveName}: ${(error as Error).message}`, { cause: error });
  }

  for (const { hostPath, mtime } of directoryTimes.reverse()) {
    await fsp.utimes(hostPath, mtime, mtime);
  }
  return counts;
}

async function removeExisting(hostPath: string, keepDirectory: boolean): Promise<boolean> {
  const existing = await fsp.lstat(hostPath).catch(() => null);
  if (existing === null) return false;
  if (keepDirectory && existing.isDirectory()) return true;
  await fsp.rm(hostPath, { recursive: true, force: true });
  return false;
}

async function writeEntry(
  header: tar.Header,
  content: Readable,
  root: string,
  logger: Logger,
  options: ExtractOptions,
  counts: ExtractedEntryCounts,
  directoryTimes: { hostPath: string; mtime: Date }[],
): Promise<void> {
  const relative = safeEntryName(header.name);
  if (relative === null) {
    logger.warn({ entry: header.name, archive: options.archiveName }, 'skipped a tar entry whose name is absolute or climbs out with ".."');
    counts.skipped++;
    content.resume();
    return;
  }
  if (relative === '') {
    content.resume();
    return;
  }

  const imagePath = path.posix.join('/', options.prefix, relative);
  const parent = await resolveInRoot(root, path.posix.dirname(imagePath));
  await fsp.mkdir(parent, { recursive: true });
  const hostPath = path.join(parent, path.posix.basename(imagePath));
  const owner = ownerOf(header, options);
  const mode = (header.mode ?? 0o644) & 0o7777;
  const mtime = header.mtime ?? new Date();
  counts.entries++;

  switch (header.type) {
    case 'directory': {
      content.resume();
      if (!(await removeExisting(hostPath, true))) await fsp.mkdir(hostPath, { mode });
      if (owner) await fsp.lchown(hostPath, owner.uid, owner.gid);
      await fsp.chmod(hostPath, mode);
      directoryTimes.push({ hostPath, mtime });
      return;
    }
    case 'file':
    case 'contiguous-file': {
      await removeExisting(hostPath, false);
      // O_EXCL with O_NOFOLLOW: a symlink created under this name meanwhile makes the open fail.
      const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;
      const handle = await fsp.open(hostPath, flags, mode);
      await pipeline(content, handle.createWriteStream());
      // chown clears set-user-ID bits, so the mode is set after it.
      if (owner) await fsp.lchown(hostPath, owner.uid, owner.gid);
      await fsp.chmod(hostPath, mode);
      await fsp.utimes(hostPath, mtime, mtime);
      return;
    }
    case 'symlink': {
      content.resume();
      await removeExisting(hostPath, false);
      await fsp.symlink(header.linkname ?? '', hostPath);
      if (owner) await fsp.lchown(hostPath, owner.uid, owner.gid);
      await fsp.lutimes(hostPath, mtime, mtime);
      return;
    }
    case 'link': {
      content.resume();
      const target = safeEntryName(header.linkname ?? '');
      if (target === null || target === '') {
        logger.warn({ entry: header.name, linkname: header.linkname, archive: options.archiveName }, 'skipped a hard link whose target is outside the archive');
        counts.skipped++;
        return;
      }
      await removeExisting(hostPath, false);
      await fsp.link(await resolveInRoot(root, path.posix.join('/', options.prefix, target)), hostPath);
      return;
    }
    default:
      // Devices and FIFOs have no place in a build context, and tar-stream consumes PAX and GNU headers itself.
      content.resume();
      logger.debug({ entry: header.name, type: header.type, archive: options.archiveName }, 'skipped a tar entry of a type the builder does not copy');
      counts.entries--;
      return;
  }
}

function ownerOf(header: tar.Header, options: ExtractOptions): { uid: number; gid: number } | null {
  if (options.owner === 'keep') return { uid: header.uid ?? 0, gid: header.gid ?? 0 };
  return options.owner;
}
