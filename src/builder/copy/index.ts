// COPY and ADD, planned then applied. planCopy finds and lists the sources
// (downloading URLs, writing heredoc files) and computes the digest the
// executor puts in the step's cache key. apply writes them into the step's
// root with Docker's rules. Errors name the instruction and the source.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError } from '../../common/errors';
import { subsystemLogger, type Logger } from '../../common/logger';
import { compilePatterns, isExcluded } from '../context/dockerignore';
import { decompressStream, looksLikeTar } from '../context/decompress';
import { extractTar } from '../context/extract';
import { downloadFile } from './download';
import { parseChmod, resolveChown, resolveUser, type Owner } from './owner';
import { matchSources, hasWildcards } from './sources';
import { digestFields, listTree, type TreeEntry } from './tree';
import { ensureDirectoryInRoot, isDirectoryInRoot, writeTree } from './writer';

export type CopySourceSpec = { kind: 'path'; path: string } | { kind: 'inline'; name: string; content: string; mode?: number } | { kind: 'url'; url: string };

export interface CopyOptions {
  instruction: 'COPY' | 'ADD';
  // "user[:group]" as written, names resolved in the target root.
  chown: string | null;
  // Octal as written.
  chmod: string | null;
  link: boolean;
  // ADD --checksum, "sha256:<hex>".
  checksum: string | null;
  // COPY --exclude patterns, matched against paths relative to each source.
  excludes: string[];
  // Relative destinations are relative to it.
  workingDir: string;
  // Whether the sources' owners are kept when there is no --chown (true by default). Docker keeps them for
  // COPY --from, and the extracted context is owned by root, so its files still arrive as 0:0. False forces 0:0.
  keepOwners?: boolean;
  logger?: Logger;
}

export interface CopyPlan {
  // Digest over the sources' relative paths, types, modes, sizes, contents and link targets (never times), plus the options.
  digest: string;
  // Copies into the root of the step's container with Docker's rules.
  apply(targetRoot: string, destination: string): Promise<void>;
  cleanup(): Promise<void>;
}

// One thing to write: a listed tree (a directory, a file or a symlink), or a local archive ADD extracts.
type Operation =
  | { kind: 'tree'; source: string; hostPath: string; name: string; entries: TreeEntry[] }
  | { kind: 'archive'; source: string; hostPath: string; contentDigest: string };

// Whether ADD extracts a local file: a tar, plain or gzip, bzip2 or xz compressed, recognized by content.
async function isArchive(hostPath: string): Promise<boolean> {
  const { data } = await decompressStream(fs.createReadStream(hostPath));
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of data) {
      chunks.push(chunk as Buffer);
      length += (chunk as Buffer).length;
      if (length >= 512) break;
    }
  } catch {
    // A file that fails to decompress is not an archive, so ADD copies it as it is.
    return false;
  } finally {
    data.destroy();
  }
  return looksLikeTar(Buffer.concat(chunks));
}

function isDirectoryDestination(destination: string): boolean {
  return destination.endsWith('/') || destination === '.' || destination.endsWith('/.');
}

async function planPathSource(sourceRoot: string, source: string, options: CopyOptions): Promise<Operation[]> {
  const excludes = compilePatterns(options.excludes);
  const matches = await matchSources(sourceRoot, source);
  if (matches.length === 0) {
    if (hasWildcards(source)) throw new Error(`${options.instruction} failed: no source files were specified by ${JSON.stringify(source)}`);
    throw new Error(`${options.instruction} failed: file not found in build context or excluded by .dockerignore: stat ${source}: file does not exist`);
  }

  const operations: Operation[] = [];
  for (const match of matches) {
    // A pattern's matches are filtered by --exclude too, as paths relative to the source root.
    if (excludes.length > 0 && hasWildcards(source) && isExcluded(match.relative, excludes)) continue;
    const entries = await listTree(match.hostPath, excludes);
    if (entries.length === 0) continue;
    const name = path.posix.basename(match.relative);

    if (options.instruction === 'ADD' && entries[0].type === 'file' && (await isArchive(match.hostPath))) {
      operations.push({ kind: 'archive', source: match.relative, hostPath: match.hostPath, contentDigest: entries[0].contentDigest ?? '' });
      continue;
    }
    operations.push({ kind: 'tree', source: match.relative, hostPath: match.hostPath, name, entries });
  }
  return operations;
}

// The part of an operation that goes into the plan's digest.
function operationDigestFields(operation: Operation, keepOwners: boolean): unknown[] {
  if (operation.kind === 'archive') return ['archive', operation.source, operation.contentDigest];
  return ['tree', operation.source, operation.name, operation.entries.map((entry) => digestFields(entry, keepOwners))];
}

// Plans a COPY or ADD from sourceRoot (the extracted context, or a mounted stage or image root for --from).
export async function planCopy(sourceRoot: string, sources: CopySourceSpec[], options: CopyOptions, temporaryDirectory: string): Promise<CopyPlan> {
  const logger = options.logger ?? subsystemLogger('build');
  const chmod = options.chmod === null ? null : parseChmod(options.chmod);
  const temporaryPaths: string[] = [];
  const cleanup = async () => {
    for (const temporaryPath of temporaryPaths.splice(0)) await fsp.rm(temporaryPath, { recursive: true, force: true });
  };

  if (options.checksum !== null && sources.some((source) => source.kind !== 'url')) {
    throw new InvalidArgumentError(`${options.instruction} failed: --checksum is only supported for http and https sources`);
  }

  const operations: Operation[] = [];
  try {
    for (const source of sources) {
      if (source.kind === 'path') {
        operations.push(...(await planPathSource(sourceRoot, source.path, options)));
      } else if (source.kind === 'inline') {
        const directory = await fsp.mkdtemp(path.join(temporaryDirectory, 'heredoc-'));
        temporaryPaths.push(directory);
        const hostPath = path.join(directory, 'file');
        await fsp.writeFile(hostPath, source.content, { mode: source.mode ?? 0o644 });
        await fsp.chmod(hostPath, source.mode ?? 0o644);
        operations.push({ kind: 'tree', source: `<<${source.name}`, hostPath, name: source.name, entries: await listTree(hostPath, []) });
      } else {
        if (options.instruction !== 'ADD') throw new Error(`COPY failed: source can't be a URL for COPY: ${source.url}`);
        const downloaded = await downloadFile(source.url, temporaryDirectory, options.checksum);
        temporaryPaths.push(path.dirname(downloaded.hostPath));
        operations.push({ kind: 'tree', source: source.url, hostPath: downloaded.hostPath, name: downloaded.name, entries: await listTree(downloaded.hostPath, []) });
      }
    }
  } catch (error) {
    await cleanup();
    throw error;
  }

  const keepOwners = options.keepOwners !== false && options.chown === null;
  const digestInput = {
    options: { ...options, logger: undefined },
    operations: operations.map((operation) => operationDigestFields(operation, keepOwners)),
  };
  const digest = `sha256:${createHash('sha256').update(JSON.stringify(digestInput)).digest('hex')}`;

  return {
    digest,
    cleanup,
    async apply(targetRoot, destination) {
      const imagePath = destination.startsWith('/') ? destination : path.posix.join('/', options.workingDir, destination);
      let owner: Owner | null = keepOwners ? null : { uid: 0, gid: 0 };
      if (options.chown !== null) owner = await resolveChown(targetRoot, options.chown);
      const directoryOwner = owner ?? { uid: 0, gid: 0 };
      const intoDirectory = isDirectoryDestination(destination) || operations.length > 1 || (await isDirectoryInRoot(targetRoot, imagePath));

      for (const operation of operations) {
        if (operation.kind === 'archive') {
          await ensureDirectoryInRoot(targetRoot, imagePath, directoryOwner);
          const archiveOwner = owner !== null && options.chown !== null ? owner : 'keep';
          await extractTar(fs.createReadStream(operation.hostPath), targetRoot, logger, { prefix: imagePath, owner: archiveOwner, archiveName: operation.source });
          continue;
        }

        let target = imagePath;
        if (operation.entries[0].type !== 'directory' && intoDirectory) {
          if (operation.name === '') throw new Error(`${options.instruction} failed: cannot determine a file name for ${operation.source}: give a destination file name`);
          await ensureDirectoryInRoot(targetRoot, imagePath, directoryOwner);
          target = path.posix.join(imagePath, operation.name);
        }
        await writeTree(targetRoot, operation.hostPath, operation.entries, target, { owner, chmod });
      }
    },
  };
}

// WORKDIR: creates the directory and missing parents in root when absent,
// owned by user ("uid[:gid]" or names resolved in root), as BuildKit does.
// Returns whether it created anything.
export async function ensureDirectory(root: string, directory: string, user: string): Promise<boolean> {
  const owner = await resolveUser(root, user);
  const { created } = await ensureDirectoryInRoot(root, path.posix.join('/', directory), owner);
  return created;
}
