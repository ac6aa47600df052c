// Writes a directory tree as a tar stream: regular files, directories,
// symlinks (never followed), hard links within the tree, devices and FIFOs,
// with owner, mode and mtime. Two forms:
//
// - 'filesystem' (`docker export`): the tree as it is, usually a merged overlay.
// - 'overlay-upper' (`docker commit`): an overlayfs upper directory turned
//   into an OCI layer: a whiteout (character device 0/0) becomes an empty
//   ".wh.<name>" file and an opaque directory gets a ".wh..wh..opq" entry.
//
// The tree may belong to a running container, so every regular file is
// opened without following a final symlink and then checked, through
// /proc/self/fd, to be inside the root before its content is read.
//
// Extended attributes of files and directories go into a PAX header as
// "SCHILY.xattr.<name>" records with raw bytes, as GNU tar writes them.
// tar-stream encodes PAX values as UTF-8 text, which would corrupt binary
// values such as file capabilities, so this module writes that header itself.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import tar from 'tar-stream';
import type { Readable } from 'node:stream';
import type { Logger } from '../common/logger';
import { hasErrorCode } from '../common/errors';
import { nativeSys } from '../sys/native';

export type TarForm = 'filesystem' | 'overlay-upper';

const OPAQUE_XATTR = 'trusted.overlay.opaque';
const OPAQUE_MARKER = '.wh..wh..opq';
const WHITEOUT_PREFIX = '.wh.';
const READ_CHUNK_BYTES = 256 * 1024;
// overlayfs bookkeeping, meaningless outside the mount that wrote it.
const OVERLAY_XATTR_PREFIX = 'trusted.overlay.';
const USTAR_NAME_BYTES = 100;
const BLOCK_BYTES = 512;

type EntryHeader = Parameters<tar.Pack['entry']>[0];
type EntrySink = ReturnType<tar.Pack['entry']>;

interface Context {
  root: string;
  form: TarForm;
  pack: tar.Pack;
  logger: Logger;
  // "dev:ino" of files with more than one link to the first archive name written for it.
  links: Map<string, string>;
  // Absolute paths ("/etc/hosts") left out with everything under them.
  skip: ReadonlySet<string>;
}

// Returns a tar stream of root, without the absolute paths in skip. The
// stream fails (is destroyed) when the walk fails.
export function directoryTar(root: string, form: TarForm, logger: Logger, skip: ReadonlySet<string> = new Set()): Readable {
  const pack = tar.pack();
  const context: Context = { root: path.resolve(root), form, pack, logger, links: new Map(), skip };
  (async () => {
    await writeDirectory(context, '');
    pack.finalize();
  })().catch((error: unknown) => {
    logger.error({ root, err: error }, 'write directory tar failed');
    pack.destroy(error as Error);
  });
  // tar-stream's Pack is a streamx Readable, which node's pipeline() accepts.
  return pack as unknown as Readable;
}

async function writeDirectory(context: Context, relative: string): Promise<void> {
  const absolute = path.join(context.root, relative);
  const names = (await fsp.readdir(absolute)).sort((left, right) => Buffer.compare(Buffer.from(left), Buffer.from(right)));
  if (context.form === 'overlay-upper' && relative !== '' && isOpaque(absolute)) {
    await addEntry(context.pack, { name: `${relative}/${OPAQUE_MARKER}`, type: 'file', size: 0, mode: 0o644, mtime: new Date(0) });
  }
  for (const name of names) {
    const entryPath = relative === '' ? name : `${relative}/${name}`;
    if (context.skip.has(`/${entryPath}`)) continue;
    let stats: fs.Stats;
    try {
      stats = await fsp.lstat(path.join(context.root, entryPath));
    } catch (error) {
      // A running container may remove a file during the walk.
      if (hasErrorCode(error, 'ENOENT')) continue;
      throw error;
    }
    await writeEntry(context, entryPath, stats);
  }
}

async function writeEntry(context: Context, entryPath: string, stats: fs.Stats): Promise<void> {
  const absolute = path.join(context.root, entryPath);
  const common = { uid: stats.uid, gid: stats.gid, mode: stats.mode & 0o7777, mtime: stats.mtime };

  if (stats.isCharacterDevice() && stats.rdev === 0 && context.form === 'overlay-upper') {
    const whiteout = path.posix.join(path.posix.dirname(entryPath), `${WHITEOUT_PREFIX}${path.posix.basename(entryPath)}`);
    await addEntry(context.pack, { name: whiteout, type: 'file', size: 0, mode: 0o644, mtime: stats.mtime });
    return;
  }
  if (stats.isDirectory()) {
    const name = withXattrs(context, absolute, `${entryPath}/`, stats);
    await addEntry(context.pack, { ...common, name, type: 'directory' });
    await writeDirectory(context, entryPath);
    return;
  }
  if (stats.isSymbolicLink()) {
    await addEntry(context.pack, { ...common, name: entryPath, type: 'symlink', linkname: await fsp.readlink(absolute) });
    return;
  }
  if (stats.isCharacterDevice() || stats.isBlockDevice()) {
    const type = stats.isCharacterDevice() ? 'character-device' : 'block-device';
    await addEntry(context.pack, { ...common, name: entryPath, type, devmajor: major(stats.rdev), devminor: minor(stats.rdev) });
    return;
  }
  if (stats.isFIFO()) {
    await addEntry(context.pack, { ...common, name: entryPath, type: 'fifo' });
    return;
  }
  if (!stats.isFile()) {
    context.logger.warn({ path: absolute }, 'write directory tar: skipping a socket, which tar cannot store');
    return;
  }

  if (stats.nlink > 1) {
    const key = `${stats.dev}:${stats.ino}`;
    const first = context.links.get(key);
    if (first !== undefined) {
      await addEntry(context.pack, { ...common, name: entryPath, type: 'link', linkname: first });
      return;
    }
    context.links.set(key, entryPath);
  }
  await writeFileEntry(context, entryPath, stats, common);
}

// Writes a regular file's header for the size lstat gave and exactly that many bytes: a file that
// shrinks while it is read is padded with zeros and one that grows is cut, so the archive stays valid.
async function writeFileEntry(context: Context, entryPath: string, stats: fs.Stats, common: Omit<EntryHeader, 'name'>): Promise<void> {
  const absolute = path.join(context.root, entryPath);
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(absolute, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (error) {
    if (hasErrorCode(error, 'ENOENT') || hasErrorCode(error, 'ELOOP')) {
      context.logger.warn({ path: absolute }, 'write directory tar: a file changed into a symlink or vanished during the walk; skipping it');
      return;
    }
    throw error;
  }
  try {
    const opened = await fsp.readlink(`/proc/self/fd/${handle.fd}`);
    if (opened !== context.root && !opened.startsWith(`${context.root}/`)) {
      context.logger.warn({ path: absolute, opened }, 'write directory tar: a parent directory was replaced by a symlink out of the root; skipping the file');
      return;
    }
    const size = stats.size;
    const name = withXattrs(context, absolute, entryPath, stats);
    await new Promise<void>((resolve, reject) => {
      const sink = context.pack.entry({ ...common, name, type: 'file', size }, (error) => (error ? reject(error) : resolve()));
      copyExactly(handle, size, sink).catch((error: unknown) => {
        sink.destroy(error as Error);
        reject(error);
      });
    });
  } finally {
    await handle.close();
  }
}


async function copyExactly(handle: fsp.FileHandle, size: number, sink: EntrySink): Promise<void> {
  let offset = 0;
  while (offset < size) {
    const length = Math.min(READ_CHUNK_BYTES, size - offset);
    const chunk = Buffer.alloc(length);
    // A short read means the file shrank; the rest of the chunk stays zero.
    await handle.read(chunk, 0, length, offset);
    offset += length;
    if (!sink.write(chunk)) await new Promise<void>((resolve) => sink.once('drain', () => resolve()));
  }
  sink.end(undefined);
}

// Writes an entry without content. A regular file (a whiteout marker) gets an
// empty buffer, because without one tar-stream waits for its content stream.
function addEntry(pack: tar.Pack, header: EntryHeader): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error | null) => (error ? reject(error) : resolve());
    if (header.type === 'file') pack.entry(header, Buffer.alloc(0), done);
    else pack.entry(header, done);
  });
}

// Writes a PAX header with the entry's path and extended attributes when it
// has any, and returns the name for the entry's own header. That is the path
// itself, or a short placeholder when the path would need PAX too, because
// tar-stream would then add a second PAX header that replaces this one.
// Readers take the real path from the PAX header.
function withXattrs(context: Context, absolute: string, name: string, stats: fs.Stats): string {
  const records: Buffer[] = [];
  for (const attribute of nativeSys().llistxattr(absolute)) {
    if (attribute.startsWith(OVERLAY_XATTR_PREFIX)) continue;
    const value = nativeSys().lgetxattr(absolute, attribute);
    if (value !== null) records.push(paxRecord(`SCHILY.xattr.${attribute}`, value));
  }
  if (records.length === 0) return name;

  // tar-stream's pack takes no body for a 'pax-header' entry, so the blocks go
  // onto the stream directly. No entry is open here, because every entry is
  // awaited before the next one starts.
  const content = Buffer.concat([paxRecord('path', Buffer.from(name)), ...records]);
  const padding = Buffer.alloc((BLOCK_BYTES - (content.length % BLOCK_BYTES)) % BLOCK_BYTES);
  context.pack.push(Buffer.concat([paxHeaderBlock(content.length, stats.mtime), content, padding]));
  const fitsUstar = Buffer.byteLength(name) === name.length && name.length <= USTAR_NAME_BYTES;
  return fitsUstar ? name : stats.isDirectory() ? 'PaxPath/' : 'PaxPath';
}

// Encodes the ustar header block of a PAX extended header (typeflag 'x') for content of size bytes.
function paxHeaderBlock(size: number, mtime: Date): Buffer {
  const block = Buffer.alloc(BLOCK_BYTES);
  const octal = (value: number, width: number) => `${value.toString(8).padStart(width - 1, '0')}\0`;
  block.write('PaxHeader', 0, 'ascii');
  block.write(octal(0o644, 8), 100, 'ascii');
  block.write(octal(0, 8), 108, 'ascii');
  block.write(octal(0, 8), 116, 'ascii');
  block.write(octal(size, 12), 124, 'ascii');
  block.write(octal(Math.max(0, Math.floor(mtime.getTime() / 1000)), 12), 136, 'ascii');
  block.write('x', 156, 'ascii');
  block.write('ustar\x0000', 257, 'ascii');

  // The checksum is the byte sum of the block with its own field read as eight spaces.
  block.fill(' ', 148, 156);
  let checksum = 0;
  for (const byte of block) checksum += byte;
  block.write(`${checksum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return block;
}

// Encodes "<length> <key>=<value>\n", where length counts the whole record in bytes, its own digits included.
function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let length = body.length + String(body.length).length;
  while (String(length).length + body.length !== length) length = String(length).length + body.length;
  return Buffer.concat([Buffer.from(String(length)), body]);
}

function isOpaque(directory: string): boolean {
  const value = nativeSys().lgetxattr(directory, OPAQUE_XATTR);
  return value !== null && value.toString() === 'y';
}

// Linux's dev_t encoding (glibc's gnu_dev_major and gnu_dev_minor).
function major(rdev: number): number {
  return ((rdev >> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
}

function minor(rdev: number): number {
  return (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
}
