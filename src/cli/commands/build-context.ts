// Packs a build context directory into a tar the way the docker CLI does.
// .dockerignore is applied while walking, and an excluded directory is
// entered only when an exception may bring something back from it. The
// Dockerfile and .dockerignore are always sent, owners are set to root, and
// names come in walk order. A Dockerfile from outside the context or from
// stdin is sent under a generated name that is also added to .dockerignore,
// so COPY cannot copy it.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { compilePatterns, isExcluded, keepBuildFiles, mayContainExceptions, parseDockerignore, type IgnorePattern } from '../../builder/context/dockerignore';
import { CliError } from '../command';

type EntryHeader = Parameters<tar.Pack['entry']>[0];

export interface PackedContext {
  archive: Readable;
  // The dockerfile parameter for POST /build: a path inside the context.
  dockerfile: string;
}

// A Dockerfile that is not inside the context: its text and the name it travels under.
export interface ExtraDockerfile {
  name: string;
  content: Buffer;
}

export function generatedDockerfileName(): string {
  return `.dockerfile.${randomBytes(10).toString('hex')}`;
}

async function readIgnoreFile(contextDirectory: string): Promise<string[]> {
  try {
    return parseDockerignore(await fsp.readFile(path.join(contextDirectory, '.dockerignore'), 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new CliError(`read ${path.join(contextDirectory, '.dockerignore')}: ${(error as Error).message}`);
  }
}

interface WalkState {
  pack: tar.Pack;
  patterns: IgnorePattern[];
  hasExceptions: boolean;
  // Hard links are sent as links to the first name of each inode, as the docker CLI's archive package sends them.
  links: Map<string, string>;
}

function addEntry(pack: tar.Pack, header: EntryHeader, content: Buffer = Buffer.alloc(0)): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header, content, (error) => (error ? reject(error) : resolve()));
  });
}

async function walk(state: WalkState, root: string, relative: string): Promise<void> {
  const names = (await fsp.readdir(path.join(root, relative))).sort();
  for (const name of names) {
    const entryPath = relative === '' ? name : `${relative}/${name}`;
    const hostPath = path.join(root, entryPath);
    const stat = await fsp.lstat(hostPath);
    const excluded = isExcluded(entryPath, state.patterns);

    if (excluded) {
      if (stat.isDirectory() && state.hasExceptions && mayContainExceptions(entryPath, state.patterns)) await walk(state, root, entryPath);
      continue;
    }

    const header: EntryHeader = { name: entryPath, mode: stat.mode & 0o7777, mtime: stat.mtime, uid: 0, gid: 0, uname: '', gname: '' };
    if (stat.isDirectory()) {
      await addEntry(state.pack, { ...header, name: `${entryPath}/`, type: 'directory' });
      await walk(state, root, entryPath);
    } else if (stat.isSymbolicLink()) {
      await addEntry(state.pack, { ...header, type: 'symlink', linkname: await fsp.readlink(hostPath) });
    } else if (stat.isFile()) {
      const key = `${stat.dev}:${stat.ino}`;
      const first = stat.nlink > 1 ? state.links.get(key) : undefined;
      if (first !== undefined) {
        await addEntry(state.pack, { ...header, type: 'link', linkname: first });
        continue;
      }
      if (stat.nlink > 1) state.links.set(key, entryPath);
      const sink = state.pack.entry({ ...header, type: 'file', size: stat.size });
      await pipeline(fs.createReadStream(hostPath), sink);
    }
    // Sockets, FIFOs and devices are left out, as the docker CLI leaves them out of a context.
  }
}

// Packs contextDirectory. dockerfile is the Dockerfile's path relative to the
// context when it is inside it, or null when extra carries it.
export async function packContext(contextDirectory: string, dockerfile: string | null, extra: ExtraDockerfile | null): Promise<PackedContext> {
  const stat = await fsp.stat(contextDirectory).catch(() => null);
  if (stat === null) throw new CliError(`unable to prepare context: path "${contextDirectory}" not found`);
  if (!stat.isDirectory()) throw new CliError(`unable to prepare context: context must be a directory: ${contextDirectory}`);

  const written = await readIgnoreFile(contextDirectory);
  const patterns = compilePatterns(keepBuildFiles(written, dockerfile));
  const pack = tar.pack();
  const state: WalkState = { pack, patterns, hasExceptions: patterns.some((pattern) => pattern.exclusion), links: new Map() };

  const fill = async () => {
    await walk(state, contextDirectory, '');
    if (extra !== null) {
      const now = new Date();
      await addEntry(pack, { name: extra.name, mode: 0o600, mtime: now, uid: 0, gid: 0, type: 'file' }, extra.content);
      const ignoreText = written.length > 0 ? await fsp.readFile(path.join(contextDirectory, '.dockerignore')) : Buffer.alloc(0);
      // A .dockerignore packed by the walk comes first, and this later entry of the same name replaces it on extraction.
      await addEntry(pack, { name: '.dockerignore', mode: 0o644, mtime: now, uid: 0, gid: 0, type: 'file' }, Buffer.concat([ignoreText, Buffer.from(`\n${extra.name}\n`)]));
    }
    pack.finalize();
  };
  fill().catch((error: unknown) => pack.destroy(error as Error));
  return { archive: pack as unknown as Readable, dockerfile: extra?.name ?? dockerfile ?? 'Dockerfile' };
}

// A context of only a Dockerfile, for `berth build - < Dockerfile`.
export function packDockerfileOnly(content: Buffer): PackedContext {
  const pack = tar.pack();
  pack.entry({ name: 'Dockerfile', mode: 0o600, mtime: new Date(), uid: 0, gid: 0, type: 'file' }, content);
  pack.finalize();
  return { archive: pack as unknown as Readable, dockerfile: 'Dockerfile' };
}

// Returns the Dockerfile's path relative to the context, or null when it is outside it.
export function dockerfileInContext(contextDirectory: string, dockerfilePath: string): string | null {
  const relative = path.relative(path.resolve(contextDirectory), path.resolve(dockerfilePath));
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return null;
  return relative.split(path.sep).join('/');
}
