// The build context on the daemon's side: extract the tar the client sent,
// read the Dockerfile, then delete what .dockerignore excludes, because API
// clients other than the docker CLI may send the whole directory.
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { InvalidArgumentError, NotFoundError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { resolveInRoot } from '../../common/scoped-path';
import { compilePatterns, isExcluded, parseDockerignore, type IgnorePattern } from './dockerignore';
import { extractTar, safeEntryName } from './extract';

export { compilePatterns, isExcluded, parseDockerignore } from './dockerignore';

// Reads .dockerignore from an extracted context. A context without one gives no patterns.
export async function readIgnorePatterns(directory: string): Promise<string[]> {
  const text = await fsp.readFile(path.join(directory, '.dockerignore'), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw new Error(`read .dockerignore of the build context: ${error.message}`, { cause: error });
  });
  return parseDockerignore(text);
}

// Deletes the excluded files and directories below relative, walking only
// into excluded directories that an exception may bring something back from.
async function removeExcluded(directory: string, relative: string, patterns: IgnorePattern[], logger: Logger): Promise<number> {
  let removed = 0;
  const entries = await fsp.readdir(path.join(directory, relative), { withFileTypes: true });

  for (const entry of entries) {
    const entryPath = relative === '' ? entry.name : `${relative}/${entry.name}`;
    const excluded = isExcluded(entryPath, patterns);

    if (entry.isDirectory()) {
      const walk = !excluded || patterns.some((pattern) => pattern.exclusion);
      if (walk) removed += await removeExcluded(directory, entryPath, patterns, logger);
      if (excluded && (await fsp.readdir(path.join(directory, entryPath))).length === 0) {
        await fsp.rmdir(path.join(directory, entryPath));
        removed++;
      }
      continue;
    }
    if (excluded) {
      await fsp.rm(path.join(directory, entryPath), { force: true });
      removed++;
    }
  }
  return removed;
}

// Extracts the context tar (plain, gzip, bzip2 or xz) into directory, reads
// the Dockerfile at dockerfilePath inside it, and deletes the files that
// .dockerignore excludes, the Dockerfile and .dockerignore included.
export async function prepareContext(archive: Readable, directory: string, dockerfilePath: string, logger: Logger): Promise<{ dockerfileText: string; dockerfileName: string }> {
  const counts = await extractTar(archive, directory, logger, { prefix: '', owner: null, archiveName: 'build context' });
  logger.debug({ directory, entries: counts.entries, skipped: counts.skipped }, 'extracted the build context');

  const requested = dockerfilePath === '' ? 'Dockerfile' : dockerfilePath;
  const relative = safeEntryName(requested.replace(/^\/+/, ''));
  if (relative === null || relative === '') throw new InvalidArgumentError(`Cannot locate specified Dockerfile: ${requested}`);

  // The Dockerfile may be a symlink inside the context, which resolves with the context as "/".
  let dockerfileName = relative;
  let text: string | null = null;
  for (const candidate of relative === 'Dockerfile' ? ['Dockerfile', 'dockerfile'] : [relative]) {
    const hostPath = await resolveInRoot(directory, candidate);
    text = await fsp.readFile(hostPath, 'utf8').catch(() => null);
    if (text !== null) {
      dockerfileName = candidate;
      break;
    }
  }
  if (text === null) throw new NotFoundError(`Cannot locate specified Dockerfile: ${requested}`);

  const patterns = compilePatterns(await readIgnorePatterns(directory));
  if (patterns.length > 0) {
    const removed = await removeExcluded(directory, '', patterns, logger);
    logger.debug({ directory, removed }, 'removed files excluded by .dockerignore from the build context');
  }
  return { dockerfileText: text, dockerfileName };
}
