// The files a COPY or ADD source brings, listed at plan time with what the
// cache key needs: relative path, type, mode, size, owner, content digest
// and link target, never timestamps.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isExcluded, type IgnorePattern } from '../context/dockerignore';

export interface TreeEntry {
  // Slash-separated path below the source, or "" for the source itself.
  relative: string;
  type: 'file' | 'directory' | 'symlink' | 'hardlink';
  mode: number;
  size: number;
  uid: number;
  gid: number;
  mtime: Date;
  // sha256 of a file's content.
  contentDigest: string | null;
  // A symlink's target, or for a hard link the relative path of the first name of the same file.
  linkTarget: string | null;
}

export async function hashFile(hostPath: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(fs.createReadStream(hostPath), hash);
  return `sha256:${hash.digest('hex')}`;
}

async function entryFor(hostPath: string, relative: string, stat: fs.Stats): Promise<TreeEntry | null> {
  const base = { relative, mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid, mtime: stat.mtime };
  if (stat.isDirectory()) return { ...base, type: 'directory', size: 0, contentDigest: null, linkTarget: null };
  if (stat.isSymbolicLink()) return { ...base, type: 'symlink', size: 0, contentDigest: null, linkTarget: await fsp.readlink(hostPath) };
  if (stat.isFile()) return { ...base, type: 'file', size: stat.size, contentDigest: await hashFile(hostPath), linkTarget: null };
  // Sockets, FIFOs and devices are not copied, as BuildKit's file sender skips them.
  return null;
}

// Lists hostPath (already resolved inside its root, so not a symlink unless
// dangling) and, for a directory, everything below it in walk order:
// parents before children, names sorted. Symlinks inside are listed as
// symlinks, dangling ones too. excludes match paths relative to hostPath.
export async function listTree(hostPath: string, excludes: IgnorePattern[]): Promise<TreeEntry[]> {
  const stat = await fsp.lstat(hostPath);
  const top = await entryFor(hostPath, '', stat);
  if (top === null) return [];
  const entries: TreeEntry[] = [top];
  if (top.type === 'directory') await walk(hostPath, '', excludes, entries, new Map());
  return entries;
}

// firstNames maps "device:inode" of files with several links to the first relative path listed, so
// later names become hard links to it, as BuildKit's copy keeps them.
async function walk(root: string, relative: string, excludes: IgnorePattern[], entries: TreeEntry[], firstNames: Map<string, string>): Promise<void> {
  const names = (await fsp.readdir(path.join(root, relative))).sort();
  for (const name of names) {
    const childRelative = relative === '' ? name : `${relative}/${name}`;
    const excluded = excludes.length > 0 && isExcluded(childRelative, excludes);
    const hostPath = path.join(root, childRelative);
    const stat = await fsp.lstat(hostPath);

    if (excluded && !stat.isDirectory()) continue;

    const inode = `${stat.dev}:${stat.ino}`;
    const firstName = stat.isFile() && stat.nlink > 1 ? firstNames.get(inode) : undefined;
    if (firstName !== undefined) {
      entries.push({ relative: childRelative, type: 'hardlink', mode: stat.mode & 0o7777, size: 0, uid: stat.uid, gid: stat.gid, mtime: stat.mtime, contentDigest: null, linkTarget: firstName });
      continue;
    }
    if (stat.isFile() && stat.nlink > 1) firstNames.set(inode, childRelative);

    const entry = excluded ? null : await entryFor(hostPath, childRelative, stat);
    if (entry) entries.push(entry);
    // An excluded directory is entered only when an exception may bring something back from it.
    if (stat.isDirectory() && (!excluded || excludes.some((pattern) => pattern.exclusion))) {
      await walk(root, childRelative, excludes, entries, firstNames);
    }
  }
}

// The part of an entry that goes into the cache key.
export function digestFields(entry: TreeEntry, keepOwner: boolean): unknown[] {
  const owner = keepOwner ? [entry.uid, entry.gid] : [];
  return [entry.relative, entry.type, entry.mode, entry.size, entry.contentDigest, entry.linkTarget, ...owner];
}
