// Local halves of `berth cp`: a tar of a host path named under its base name,
// and extraction of a container's tar into a host directory. Entries are
// renamed by the rules of docker's archive package. Copying "dir/." copies the
// content, and a missing destination takes the source's place under a new name.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { CliError } from '../command';

// A path's last element as docker splits it: a trailing "/." keeps "." so that the content is meant.
export function lastElement(filePath: string): string {
  if (filePath === '.' || filePath.endsWith('/.')) return '.';
  const base = path.posix.basename(filePath.replace(/\/+$/, ''));
  return base === '' ? '/' : base;
}

// True when the path requires a directory: it ends in "/" or "/.".
export function assertsDirectory(filePath: string): boolean {
  return filePath.endsWith('/') || filePath.endsWith('/.');
}

// Renames entries whose first element is oldBase to newBase, as docker's RebaseArchiveEntries does.
export function rebaseEntries(oldBase: string, newBase: string): (name: string) => string {
  return (name) => {
    const trimmed = name.replace(/^\.\//, oldBase === '.' ? './' : '');
    if (trimmed === oldBase || trimmed === `${oldBase}/`) return trimmed.replace(oldBase, newBase);
    if (trimmed.startsWith(`${oldBase}/`)) return `${newBase}${trimmed.slice(oldBase.length)}`;
    return name;
  };
}

// Returns a tar of a host path with entries named base, base/child and so on. Owners are kept with
// keepOwners, else every entry is root's, as the copy's destination user.
export function hostPathTar(source: string, base: string, keepOwners: boolean): Readable {
  const pack = tar.pack();
  const owner = (stats: fs.Stats) => (keepOwners ? { uid: stats.uid, gid: stats.gid } : { uid: 0, gid: 0 });
  const links = new Map<string, string>();

  const add = async (hostPath: string, name: string): Promise<void> => {
    const stats = await fsp.lstat(hostPath);
    const header = { name, mode: stats.mode & 0o7777, mtime: stats.mtime, ...owner(stats) };
    if (stats.isDirectory()) {
      await entry(pack, { ...header, name: `${name}/`, type: 'directory' });
      const children = (await fsp.readdir(hostPath)).sort();
      for (const child of children) await add(path.join(hostPath, child), `${name}/${child}`);
    } else if (stats.isSymbolicLink()) {
      await entry(pack, { ...header, type: 'symlink', linkname: await fsp.readlink(hostPath) });
    } else if (stats.isFile()) {
      const key = `${stats.dev}:${stats.ino}`;
      if (stats.nlink > 1 && links.has(key)) {
        await entry(pack, { ...header, type: 'link', linkname: links.get(key)! });
        return;
      }
      links.set(key, name);
      const sink = pack.entry({ ...header, type: 'file', size: stats.size });
      await pipeline(fs.createReadStream(hostPath), sink as unknown as NodeJS.WritableStream);
    } else if (stats.isFIFO()) {
      await entry(pack, { ...header, type: 'fifo' });
    }
    // Sockets and devices are left out: a copy from the host has no use for them.
  };

  add(source, base).then(() => pack.finalize(), (error: unknown) => pack.destroy(error as Error));
  return pack as unknown as Readable;
}

function entry(pack: tar.Pack, header: Parameters<tar.Pack['entry']>[0]): Promise<void> {
  return new Promise((resolve, reject) => pack.entry(header, (error) => (error ? reject(error) : resolve())));
}

// Counts the bytes that pass, for the "Successfully copied" message.
export function byteCounter(): Transform & { bytes: number } {
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      (counter as Transform & { bytes: number }).bytes += chunk.length;
      callback(null, chunk);
    },
  }) as Transform & { bytes: number };
  counter.bytes = 0;
  return counter;
}

// Extracts a tar into a host directory, renaming entries with rename. Entries may not climb out
// with "..", and a symlink already in the destination is never followed when a file is written.
export async function extractToHost(archive: Readable, directory: string, rename: (name: string) => string): Promise<void> {
  const extract = tar.extract();
  const root = await fsp.realpath(directory);
  const directoryTimes: { target: string; mtime: Date }[] = [];

  extract.on('entry', (header, stream, next) => {
    writeHostEntry(root, header, stream as unknown as Readable, rename, directoryTimes).then(() => next(), (error: unknown) => {
      stream.resume();
      next(error as Error);
    });
  });
  await pipeline(archive, extract as unknown as NodeJS.WritableStream);
  for (const { target, mtime } of directoryTimes.reverse()) await fsp.utimes(target, mtime, mtime).catch(() => undefined);
}

async function writeHostEntry(root: string, header: tar.Header, content: Readable, rename: (name: string) => string, directoryTimes: { target: string; mtime: Date }[]): Promise<void> {
  const name = rename(header.name);
  const relative = path.posix.normalize(name).replace(/^(\.\/)+|^\/+/, '').replace(/\/$/, '');
  if (relative.split('/').includes('..')) throw new CliError(`invalid archive entry ${name}: it climbs out of the destination`);
  if (relative === '' || relative === '.') {
    content.resume();
    return;
  }
  const target = path.join(root, relative);
  const parent = await fsp.realpath(path.dirname(target));
  if (parent !== root && !parent.startsWith(`${root}/`)) throw new CliError(`invalid archive entry ${name}: its directory leads outside ${root}`);

  const mode = (header.mode ?? 0o644) & 0o7777;
  const mtime = header.mtime ?? new Date();
  const existing = await fsp.lstat(target).catch(() => null);

  if (header.type === 'directory') {
    content.resume();
    if (existing && !existing.isDirectory()) await fsp.rm(target, { force: true });
    if (!existing || !existing.isDirectory()) await fsp.mkdir(target);
    await setOwnerAndMode(target, header, mode);
    directoryTimes.push({ target, mtime });
    return;
  }
  if (existing) await fsp.rm(target, { recursive: true, force: true });

  if (header.type === 'symlink') {
    content.resume();
    await fsp.symlink(header.linkname ?? '', target);
    await fsp.lchown(target, header.uid ?? 0, header.gid ?? 0).catch(() => undefined);
    return;
  }
  if (header.type === 'link') {
    content.resume();
    const linked = path.posix.normalize(rename(header.linkname ?? '')).replace(/^(\.\/)+|^\/+/, '');
    if (linked.split('/').includes('..')) throw new CliError(`invalid archive entry ${name}: its link target climbs out of the destination`);
    await fsp.link(path.join(root, linked), target);
    return;
  }
  if (header.type === 'file' || header.type === 'contiguous-file') {
    const handle = await fsp.open(target, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, mode);
    await pipeline(content, handle.createWriteStream());
    await setOwnerAndMode(target, header, mode);
    await fsp.utimes(target, mtime, mtime);
    return;
  }
  // Devices and FIFOs from a container are not recreated on the host.
  content.resume();
}

async function setOwnerAndMode(target: string, header: tar.Header, mode: number): Promise<void> {
  // Only root may give files to other users. Others keep their own ownership, as tar does.
  if (process.getuid?.() === 0) await fsp.lchown(target, header.uid ?? 0, header.gid ?? 0);
  await fsp.chmod(target, mode);
}
