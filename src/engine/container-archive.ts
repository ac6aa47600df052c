// `docker cp` on the daemon side: HEAD, GET and PUT /containers/{id}/archive.
// Paths are resolved as the container sees them (ContainerPathResolver), in
// the mounted root of a running container or in an overlay mounted for the
// request when it is stopped; bind mounts and volumes are reached through
// their host sources.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { InvalidArgumentError, NotFoundError, errorMessage, hasErrorCode } from '../common/errors';
import type { Logger } from '../common/logger';
import type { ContainerRecord } from '../container/types';
import { directoryTar } from '../image/directory-tar';
import type { ContainerFilesystem } from './container-filesystem';
import { ContainerPathResolver, type ContainerLocation } from './container-paths';
import type { ContainerService } from './container-service';
import { extractIntoContainer } from './archive-extract';
import type { ContainerPathStat, PutArchiveOptions } from './engine';

// Go's os.FileMode type bits, which docker cp reads from the stat header.
const GO_MODE_DIR = 2 ** 31;
const GO_MODE_SYMLINK = 2 ** 27;
const GO_MODE_DEVICE = 2 ** 26;
const GO_MODE_NAMED_PIPE = 2 ** 25;
const GO_MODE_SOCKET = 2 ** 24;
const GO_MODE_SETUID = 2 ** 23;
const GO_MODE_SETGID = 2 ** 22;
const GO_MODE_CHAR_DEVICE = 2 ** 21;
const GO_MODE_STICKY = 2 ** 20;

export function goFileMode(stats: fs.Stats): number {
  let mode = stats.mode & 0o777;
  if (stats.mode & 0o4000) mode += GO_MODE_SETUID;
  if (stats.mode & 0o2000) mode += GO_MODE_SETGID;
  if (stats.mode & 0o1000) mode += GO_MODE_STICKY;
  if (stats.isDirectory()) mode += GO_MODE_DIR;
  else if (stats.isSymbolicLink()) mode += GO_MODE_SYMLINK;
  else if (stats.isFIFO()) mode += GO_MODE_NAMED_PIPE;
  else if (stats.isSocket()) mode += GO_MODE_SOCKET;
  else if (stats.isCharacterDevice()) mode += GO_MODE_DEVICE + GO_MODE_CHAR_DEVICE;
  else if (stats.isBlockDevice()) mode += GO_MODE_DEVICE;
  return mode;
}

// Splits a path as docker's archive package does: "/a/b/." keeps "." as its last element, so that
// a trailing "/." names a directory's content and "/a/b" the directory itself.
export function lastPathElement(containerPath: string): string {
  if (containerPath === '.' || containerPath.endsWith('/.')) return '.';
  const base = path.posix.basename(path.posix.normalize(`/${containerPath}`));
  return base === '' ? '/' : base;
}

// True for a path whose last symlink docker follows: one ending in "/" or "/.".
function followsFinalLink(containerPath: string): boolean {
  return containerPath.endsWith('/') || containerPath.endsWith('/.');
}

export class ContainerArchive {
  constructor(
    private readonly containers: ContainerService,
    private readonly filesystem: ContainerFilesystem,
    private readonly logger: Logger,
  ) {}

  async stat(idOrName: string, containerPath: string): Promise<ContainerPathStat> {
    const record = this.containers.find(idOrName);
    const merged = await this.filesystem.mountMerged(record, false);
    try {
      const resolver = resolverFor(record, merged.root);
      const location = await resolver.resolve(absolute(containerPath), followsFinalLink(containerPath));
      return await describe(resolver, location, containerPath, idOrName);
    } finally {
      await merged.release();
    }
  }

  async get(idOrName: string, containerPath: string): Promise<{ stat: ContainerPathStat; archive: Readable }> {
    const record = this.containers.find(idOrName);
    const merged = await this.filesystem.mountMerged(record, false);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      merged.release().catch((error: unknown) => this.logger.error({ container: record.id, path: merged.root, err: error }, 'remove the mount of a container copy failed'));
    };

    let archive: Readable;
    let stat: ContainerPathStat;
    try {
      const resolver = resolverFor(record, merged.root);
      const location = await resolver.resolve(absolute(containerPath), followsFinalLink(containerPath));
      stat = await describe(resolver, location, containerPath, idOrName);
      archive = await this.pathTar(resolver, location, lastPathElement(containerPath));
    } catch (error) {
      release();
      throw error;
    }
    archive.on('close', release);
    archive.on('end', release);
    archive.on('error', release);
    return { stat, archive };
  }

  async put(idOrName: string, containerPath: string, archive: Readable, options: PutArchiveOptions): Promise<void> {
    const record = this.containers.find(idOrName);
    // The lock keeps the container from starting while its writable layer is mounted elsewhere.
    await this.containers.locks.run(record.id, async () => {
      const merged = await this.filesystem.mountMerged(record, true);
      try {
        const resolver = resolverFor(record, merged.root);
        const location = await resolver.resolve(absolute(containerPath), true);
        const stats = await fsp.stat(location.hostPath).catch((error: unknown) => {
          if (hasErrorCode(error, 'ENOENT')) throw new NotFoundError(`Could not find the file ${containerPath} in container ${idOrName}`);
          throw error;
        });
        if (!stats.isDirectory()) throw new InvalidArgumentError('extraction point is not a directory');
        const owner = options.copyUIDGID ? await containerUserIds(resolver, record.effectiveUser) : null;
        await extractIntoContainer(archive, resolver, location.containerPath, { noOverwriteDirNonDir: options.noOverwriteDirNonDir, owner });
      } finally {
        await merged.release().catch((error: unknown) => this.logger.error({ container: record.id, path: merged.root, err: error }, 'remove the mount of a container copy failed'));
      }
    });
  }

  // Returns a tar whose entries are named under base: the directory tree, or the single file, link or device.
  private async pathTar(resolver: ContainerPathResolver, location: ContainerLocation, base: string): Promise<Readable> {
    const stats = await fsp.lstat(location.hostPath);
    const header = { name: base, uid: stats.uid, gid: stats.gid, mode: stats.mode & 0o7777, mtime: stats.mtime };
    const pack = tar.pack();
    const output = pack as unknown as Readable;

    (async () => {
      if (stats.isDirectory()) {
        await entry(pack, { ...header, name: `${base}/`, type: 'directory' });
        // File mounts below the directory (/etc/hostname, /etc/hosts, /etc/resolv.conf, file binds) replace the
        // placeholder files under them, so the copy has the content the container reads there.
        // NOTE: directory mounts and volumes below a copied directory are not entered, so their mount points are copied empty.
        const mountedFileAt = (name: string) => resolver.mountSourceAt(path.posix.join(location.containerPath, name));
        await rebaseInto(pack, directoryTar(location.hostPath, 'filesystem', this.logger), base, mountedFileAt);
      } else if (stats.isSymbolicLink()) {
        await entry(pack, { ...header, type: 'symlink', linkname: await fsp.readlink(location.hostPath) });
      } else if (stats.isFile()) {
        const sink = pack.entry({ ...header, type: 'file', size: stats.size });
        const handle = await fsp.open(location.hostPath, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
        await pipeline(handle.createReadStream(), sink as unknown as NodeJS.WritableStream);
      } else if (stats.isFIFO()) {
        await entry(pack, { ...header, type: 'fifo' });
      } else if (stats.isCharacterDevice() || stats.isBlockDevice()) {
        const type = stats.isCharacterDevice() ? 'character-device' : 'block-device';
        await entry(pack, { ...header, type, devmajor: (stats.rdev >> 8) & 0xfff, devminor: (stats.rdev & 0xff) | ((stats.rdev >> 12) & 0xfff00) });
      }
      pack.finalize();
    })().catch((error: unknown) => {
      this.logger.error({ path: location.containerPath, err: error }, 'write the tar of a container path failed');
      pack.destroy(error as Error);
    });
    return output;
  }
}

function absolute(containerPath: string): string {
  return containerPath.startsWith('/') ? containerPath : `/${containerPath}`;
}

function resolverFor(record: ContainerRecord, root: string): ContainerPathResolver {
  const mounts = record.mounts
    .filter((mount) => (mount.type === 'bind' || mount.type === 'volume') && mount.source !== '')
    .map((mount) => ({ destination: mount.destination, source: mount.source }));
  // The runtime bind-mounts these files from the container's directory into every container.
  const etcFiles = [
    { destination: '/etc/hostname', source: record.hostnamePath },
    { destination: '/etc/hosts', source: record.hostsPath },
    { destination: '/etc/resolv.conf', source: record.resolvConfPath },
  ].filter((mount) => mount.source !== '' && fs.existsSync(mount.source));
  return new ContainerPathResolver(root, [...etcFiles, ...mounts]);
}

async function describe(resolver: ContainerPathResolver, location: ContainerLocation, requested: string, idOrName: string): Promise<ContainerPathStat> {
  let stats: fs.Stats;
  try {
    stats = await fsp.lstat(location.hostPath);
  } catch (error) {
    if (hasErrorCode(error, 'ENOENT') || hasErrorCode(error, 'ENOTDIR')) throw new NotFoundError(`Could not find the file ${requested} in container ${idOrName}`);
    throw new Error(`stat ${requested} in container ${idOrName}: ${errorMessage(error)}`, { cause: error });
  }
  let linkTarget = '';
  if (stats.isSymbolicLink()) linkTarget = (await resolver.resolve(location.containerPath, true)).containerPath;
  return { name: lastPathElement(requested), size: stats.size, mode: goFileMode(stats), mtime: stats.mtime.toISOString(), linkTarget };
}

function entry(pack: tar.Pack, header: Parameters<tar.Pack['entry']>[0]): Promise<void> {
  return new Promise((resolve, reject) => pack.entry(header, (error) => (error ? reject(error) : resolve())));
}

// Copies every entry of a tar into pack with base/ put in front of its name (and of hard link targets).
// A regular file for which mountedFileAt returns a host path is copied from that path instead.
async function rebaseInto(pack: tar.Pack, source: Readable, base: string, mountedFileAt: (name: string) => string | null = () => null): Promise<void> {
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const renamed = { ...header, name: `${base}/${header.name}` };
      if (header.type === 'link' && header.linkname) renamed.linkname = `${base}/${header.linkname}`;

      const mountSource = header.type === 'file' ? mountedFileAt(header.name) : null;
      if (mountSource !== null) {
        stream.resume();
        copyMountedFile(pack, renamed, mountSource).then(() => next(), reject);
        return;
      }

      const sink = pack.entry(renamed, (error) => (error ? reject(error) : next()));
      stream.on('data', (chunk: unknown) => {
        sink.write(chunk as Buffer);
      });
      stream.on('end', () => {
        sink.end(undefined as unknown as Buffer);
      });
    });
    extract.on('finish', () => resolve());
    extract.on('error', reject);
  });
  source.on('error', (error) => extract.destroy(error));
  source.pipe(extract as unknown as NodeJS.WritableStream);
  await done;
}

// Writes the host file under a mount point in place of the placeholder file in the container's root.
async function copyMountedFile(pack: tar.Pack, header: tar.Header, hostPath: string): Promise<void> {
  const handle = await fsp.open(hostPath, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new Error(`copy mounted file ${hostPath} to ${header.name}: not a regular file`);
    const sink = pack.entry({ ...header, size: stats.size, mode: stats.mode & 0o7777, uid: stats.uid, gid: stats.gid, mtime: stats.mtime });
    await pipeline(handle.createReadStream({ autoClose: false }), sink as unknown as NodeJS.WritableStream);
  } finally {
    await handle.close();
  }
}

// Returns the uid and gid of the container's user, which docker cp -a gives the copied files; null for root or no user.
async function containerUserIds(resolver: ContainerPathResolver, user: string): Promise<{ uid: number; gid: number } | null> {
  if (user === '') return null;
  const [userPart, groupPart] = user.split(':');
  const passwd = await fsp.readFile((await resolver.resolve('/etc/passwd', true)).hostPath, 'utf8').catch(() => '');
  const entries = passwd.split('\n').map((line) => line.split(':'));
  const match = entries.find((fields) => fields[0] === userPart || fields[2] === userPart);
  let uid = NaN;
  if (/^\d+$/.test(userPart)) uid = Number(userPart);
  else if (match) uid = Number(match[2]);
  if (!Number.isFinite(uid)) throw new InvalidArgumentError(`copy into container: user ${userPart} not found in the container's /etc/passwd`);

  let gid = match ? Number(match[3]) : uid;
  if (groupPart !== undefined && groupPart !== '') {
    if (/^\d+$/.test(groupPart)) {
      gid = Number(groupPart);
    } else {
      const groups = await fsp.readFile((await resolver.resolve('/etc/group', true)).hostPath, 'utf8').catch(() => '');
      const group = groups.split('\n').map((line) => line.split(':')).find((fields) => fields[0] === groupPart);
      if (!group) throw new InvalidArgumentError(`copy into container: group ${groupPart} not found in the container's /etc/group`);
      gid = Number(group[2]);
    }
  }
  return { uid, gid };
}
