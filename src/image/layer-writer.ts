// Writes tar entries into a layer directory in the form overlayfs reads:
// files, directories, symlinks, hard links, devices and FIFOs with their
// owner, mode, times and extended attributes; ".wh.<name>" becomes a
// whiteout (character device 0/0) and ".wh..wh..opq" marks its directory
// opaque with trusted.overlay.opaque=y.
//
// Entries that would write outside the layer directory are skipped and
// reported, never written: names that climb above the root with "..",
// hard links whose target is outside the root or behind a symlink, and
// unsupported entry types. Absolute names are taken relative to the root,
// and a symlink in a parent path is followed inside the root (RootResolver).
// Skipping instead of rejecting the whole layer keeps the rest of the layer
// usable. The diff ID still covers the whole tar, so the layer's identity
// does not change.
//
// Every call is synchronous: these are short system calls on the hot path of
// an unpack, and the promise round trip of fs/promises per call would cost
// more than the calls themselves.
import fs from 'node:fs';
import type { Header } from 'tar-stream';
import type { Logger } from '../common/logger';
import { hasErrorCode } from '../common/errors';
import { nativeSys, S_IFCHR } from '../sys/native';
import { RootResolver, UnsafeEntryError, cleanEntryPath } from './root-resolver';
import { entryXattrs } from './pax-xattrs';

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
// Other ".wh..wh." names are AUFS bookkeeping (".wh..wh.plnk" and the like) that overlayfs has no use for.
const AUFS_METADATA_PREFIX = '.wh..wh.';
const OVERLAY_XATTR_PREFIX = 'trusted.overlay.';

// Files up to this size are buffered and written by one native call (see writeSmallFile).
const SMALL_FILE_BYTES = 1024 * 1024;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;
const CREATE_FILE_FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;

export interface SkippedEntry {
  name: string;
  reason: string;
}

// A regular file whose data the caller streams in with writeData(). Small
// files collect their chunks and are created in finishFile(); larger ones
// are created at once and written chunk by chunk (fd is set).
export interface OpenFile {
  fd: number | null;
  chunks: Buffer[];
  relative: string;
  header: Header;
}

interface EntryMetadata {
  uid: number;
  gid: number;
  mode: number;
  atime: number;
  mtime: number;
}

export class LayerWriter {
  readonly skipped: SkippedEntry[] = [];
  // Regular file bytes written, the size Docker reports for a layer.
  contentSize = 0;
  private readonly resolver: RootResolver;
  // Directory times are set last, because creating entries inside a directory changes its mtime.
  private readonly directoryTimes = new Map<string, { atime: number; mtime: number }>();

  constructor(root: string, private readonly logger: Logger) {
    this.resolver = new RootResolver(root);
  }

  // Writes every kind of entry except the data of a regular file: for a
  // regular file it returns the open file, and the caller then streams the
  // data through writeData() and ends with finishFile(). Returns null when
  // the entry needs no data or was skipped.
  begin(header: Header): OpenFile | null {
    try {
      return this.writeEntry(header);
    } catch (error) {
      if (!(error instanceof UnsafeEntryError)) throw new Error(`unpack entry "${header.name}": ${(error as Error).message}`, { cause: error });
      this.skip(header.name, error.message);
      return null;
    }
  }

  private writeEntry(header: Header): OpenFile | null {
    const parts = cleanEntryPath(header.name);
    if (parts === null) throw new UnsafeEntryError('the path climbs above the layer root with ".."');
    if (parts.some((part) => part.startsWith(AUFS_METADATA_PREFIX) && part !== OPAQUE_MARKER)) {
      throw new UnsafeEntryError('AUFS metadata is not used by overlayfs');
    }

    if (parts.length === 0) {
      if (header.type !== 'directory') throw new UnsafeEntryError('only a directory can name the layer root');
      this.applyDirectoryMetadata('', header);
      return null;
    }

    const name = parts[parts.length - 1];
    const parentParts = parts.slice(0, -1);
    if (name === OPAQUE_MARKER) {
      const directory = this.resolver.resolveDirectory(parentParts);
      nativeSys().lsetxattr(this.resolver.absolute(directory), 'trusted.overlay.opaque', Buffer.from('y'));
      return null;
    }
    if (name.startsWith(WHITEOUT_PREFIX)) {
      this.writeWhiteout(parentParts, name.slice(WHITEOUT_PREFIX.length), header);
      return null;
    }

    const parent = this.resolver.resolveDirectory(parentParts);
    const relative = parent === '' ? name : `${parent}/${name}`;
    switch (header.type) {
      case 'file':
      case 'contiguous-file':
        if (header.size <= SMALL_FILE_BYTES) return { fd: null, chunks: [], relative, header };
        return { fd: this.createFile(relative), chunks: [], relative, header };
      case 'directory':
        this.createDirectory(relative);
        this.resolver.rememberDirectory(parts, relative);
        this.applyDirectoryMetadata(relative, header);
        return null;
      case 'symlink':
        this.createSymlink(header.linkname ?? '', relative, header);
        return null;
      case 'link':
        this.createHardLink(header.linkname ?? '', relative);
        return null;
      case 'character-device':
      case 'block-device':
      case 'fifo':
        this.createNode(relative, header);
        return null;
      default:
        throw new UnsafeEntryError(`unsupported entry type ${header.type ?? 'unknown'}`);
    }
  }

  writeData(file: OpenFile, chunk: Buffer): void {
    this.contentSize += chunk.length;
    if (file.fd === null) {
      file.chunks.push(chunk);
      return;
    }
    let offset = 0;
    while (offset < chunk.length) offset += fs.writeSync(file.fd, chunk, offset, chunk.length - offset);
  }

  // Applies owner, mode, attributes and times, then closes the file. The owner
  // comes first because chown clears set-user-ID bits and file capabilities.
  finishFile(file: OpenFile): void {
    const metadata = entryMetadata(file.header);
    if (file.fd === null) {
      this.writeSmallFile(file, metadata);
      return;
    }
    const fd = file.fd;
    try {
      fs.fchownSync(fd, metadata.uid, metadata.gid);
      fs.fchmodSync(fd, metadata.mode);
      this.applyXattrs(file.relative, file.header);
      fs.futimesSync(fd, metadata.atime, metadata.mtime);
    } catch (error) {
      throw new Error(`unpack entry "${file.header.name}": ${(error as Error).message}`, { cause: error });
    } finally {
      fs.closeSync(fd);
    }
  }

  // Creates, writes and finishes a small file in one native call: most
  // image files are small, and six fs calls per file cost more in Node.js
  // than the system calls themselves.
  private writeSmallFile(file: OpenFile, metadata: EntryMetadata): void {
    const absolute = this.resolver.absolute(file.relative);
    const write = () => nativeSys().writeFile(absolute, file.chunks, metadata.uid, metadata.gid, metadata.mode, metadata.atime, metadata.mtime);
    try {
      this.withReplace(absolute, write);
      // Attributes last: the owner change inside writeFile would clear a file capability.
      this.applyXattrs(file.relative, file.header);
    } catch (error) {
      throw new Error(`unpack entry "${file.header.name}": ${(error as Error).message}`, { cause: error });
    }
    file.chunks = [];
  }

  // Closes a file whose data did not arrive (the tar stream failed).
  abandonFile(file: OpenFile): void {
    if (file.fd !== null) fs.closeSync(file.fd);
    file.chunks = [];
  }

  // Sets the deferred directory times; call once after the last entry.
  finish(): void {
    for (const [relative, times] of this.directoryTimes) {
      try {
        fs.lutimesSync(this.resolver.absolute(relative), times.atime, times.mtime);
      } catch (error) {
        // A later entry may have replaced the directory; its own entry set the times it needs.
        if (!hasErrorCode(error, 'ENOENT')) throw error;
      }
    }
  }

  private createFile(relative: string): number {
    const absolute = this.resolver.absolute(relative);
    try {
      return fs.openSync(absolute, CREATE_FILE_FLAGS, 0o600);
    } catch (error) {
      if (!hasErrorCode(error, 'EEXIST')) throw error;
    }
    this.removeExisting(absolute);
    return fs.openSync(absolute, CREATE_FILE_FLAGS, 0o600);
  }

  private createDirectory(relative: string): void {
    const absolute = this.resolver.absolute(relative);
    try {
      fs.mkdirSync(absolute, 0o700);
      return;
    } catch (error) {
      if (!hasErrorCode(error, 'EEXIST')) throw error;
    }
    // An existing directory is kept with its content, as tar does; anything else is replaced.
    if (fs.lstatSync(absolute).isDirectory()) return;
    this.removeExisting(absolute);
    fs.mkdirSync(absolute, 0o700);
  }

  private applyDirectoryMetadata(relative: string, header: Header): void {
    const absolute = this.resolver.absolute(relative);
    const metadata = entryMetadata(header);
    fs.lchownSync(absolute, metadata.uid, metadata.gid);
    fs.chmodSync(absolute, metadata.mode);
    this.applyXattrs(relative, header);
    this.directoryTimes.delete(relative);
    this.directoryTimes.set(relative, { atime: metadata.atime, mtime: metadata.mtime });
  }

  private createSymlink(target: string, relative: string, header: Header): void {
    if (target === '') throw new UnsafeEntryError('symbolic link without a target');
    const absolute = this.resolver.absolute(relative);
    this.withReplace(absolute, () => fs.symlinkSync(target, absolute));
    const metadata = entryMetadata(header);
    fs.lchownSync(absolute, metadata.uid, metadata.gid);
    this.applyXattrs(relative, header);
    fs.lutimesSync(absolute, metadata.atime, metadata.mtime);
  }

  private createHardLink(target: string, relative: string): void {
    const targetParts = cleanEntryPath(target);
    if (targetParts === null || targetParts.length === 0) throw new UnsafeEntryError(`hard link target "${target}" is outside the layer root`);
    let existing: { relative: string; stat: fs.Stats };
    try {
      existing = this.resolver.resolveExistingStrict(targetParts);
    } catch (error) {
      if (error instanceof UnsafeEntryError) throw new UnsafeEntryError(`hard link target "${target}" is unusable: ${error.message}`);
      throw error;
    }
    if (existing.stat.isDirectory()) throw new UnsafeEntryError(`hard link target "${target}" is a directory`);
    if (existing.relative === relative) return;

    const absolute = this.resolver.absolute(relative);
    this.withReplace(absolute, () => fs.linkSync(this.resolver.absolute(existing.relative), absolute));
  }

  private createNode(relative: string, header: Header): void {
    const absolute = this.resolver.absolute(relative);
    const metadata = entryMetadata(header);
    let typeBits = S_IFCHR;
    if (header.type === 'fifo') typeBits = S_IFIFO;
    if (header.type === 'block-device') typeBits = S_IFBLK;
    this.withReplace(absolute, () => nativeSys().mknod(absolute, typeBits | metadata.mode, header.devmajor ?? 0, header.devminor ?? 0));
    fs.lchownSync(absolute, metadata.uid, metadata.gid);
    // mknod applies the umask, so the mode is set again.
    fs.chmodSync(absolute, metadata.mode);
    this.applyXattrs(relative, header);
    fs.lutimesSync(absolute, metadata.atime, metadata.mtime);
  }

  private writeWhiteout(parentParts: string[], hiddenName: string, header: Header): void {
    if (hiddenName === '' || hiddenName === '.' || hiddenName === '..') {
      throw new UnsafeEntryError(`whiteout for "${hiddenName}" names no file`);
    }
    const parent = this.resolver.resolveDirectory(parentParts);
    const absolute = this.resolver.absolute(parent === '' ? hiddenName : `${parent}/${hiddenName}`);
    this.withReplace(absolute, () => nativeSys().mknod(absolute, S_IFCHR, 0, 0));
    const metadata = entryMetadata(header);
    fs.lchownSync(absolute, metadata.uid, metadata.gid);
  }

  // Runs create; when the path exists already, removes it and runs create again.
  private withReplace(absolute: string, create: () => void): void {
    try {
      create();
      return;
    } catch (error) {
      if (!hasErrorCode(error, 'EEXIST')) throw error;
    }
    this.removeExisting(absolute);
    create();
  }

  private removeExisting(absolute: string): void {
    fs.rmSync(absolute, { recursive: true, force: true });
    this.resolver.invalidate();
  }

  private applyXattrs(relative: string, header: Header): void {
    const xattrs = entryXattrs(header);
    if (xattrs.size === 0) return;
    const absolute = this.resolver.absolute(relative);
    for (const [name, value] of xattrs) {
      // Overlay attributes decide what the merged tree shows (opaque
      // directories, redirects); only whiteout entries may set them.
      if (name.startsWith(OVERLAY_XATTR_PREFIX)) {
        this.skip(header.name, `extended attribute ${name} is reserved for overlayfs`);
        continue;
      }
      try {
        nativeSys().lsetxattr(absolute, name, value);
      } catch (error) {
        // Docker also ignores attributes that the filesystem does not support or allow.
        if (!hasErrorCode(error, 'ENOTSUP') && !hasErrorCode(error, 'EOPNOTSUPP') && !hasErrorCode(error, 'EPERM')) throw error;
        this.logger.warn({ entry: header.name, xattr: name, err: error }, 'unpack layer: extended attribute not set');
      }
    }
  }

  private skip(name: string, reason: string): void {
    this.skipped.push({ name, reason });
    this.logger.warn({ entry: name, reason }, 'unpack layer: entry skipped');
  }
}

// Reads owner and times from the header, preferring PAX records, which carry
// IDs above 2097151 and sub-second times.
function entryMetadata(header: Header): EntryMetadata {
  const pax = (header.pax ?? {}) as Record<string, string | undefined>;
  const mtime = pax.mtime !== undefined ? Number.parseFloat(pax.mtime) : header.mtime.getTime() / 1000;
  const atime = pax.atime !== undefined ? Number.parseFloat(pax.atime) : mtime;
  return {
    uid: pax.uid !== undefined ? Number.parseInt(pax.uid, 10) : header.uid,
    gid: pax.gid !== undefined ? Number.parseInt(pax.gid, 10) : header.gid,
    mode: header.mode & 0o7777,
    atime: Number.isFinite(atime) ? atime : mtime,
    mtime: Number.isFinite(mtime) ? mtime : 0,
  };
}
