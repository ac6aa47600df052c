// `RUN --mount=...` resolved to host directories for host.runStep:
// - type=cache: a directory under the host's state directory per id (the
//   target by default), kept across builds. sharing=shared lets steps use it
//   at once, locked makes them take turns, and private gives a busy cache's
//   second user a fresh directory.
// - type=bind: part of the build context, or with from= a stage or image
//   root, read-only unless rw is set. With rw the step gets a throw-away copy.
// - type=tmpfs: an empty directory that is removed after the step.
// - type=secret and type=ssh are rejected.
import { createHash } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, NotImplementedError } from '../../common/errors';
import { run } from '../../common/subprocess';
import { parseMountSpec } from '../dockerfile';
import type { StepMount } from '../host';
import { resolveInRoot } from '../../common/scoped-path';
import { digestTree } from './tree-digest';

export interface MountSources {
  contextDirectory: string;
  stateDirectory: string;
  // A per-build directory for copies and empty directories, removed when the build ends.
  temporaryDirectory: string;
  // Mounts a stage's result or an image named by from= and returns its root and image ID.
  mountFrom(reference: string): Promise<{ root: string; imageId: string }>;
}

export interface ResolvedMounts {
  mounts: StepMount[];
  // Inputs the mounts add to the step's cache key.
  keyInputs: unknown[];
  release(): void;
}

// Cache directories in use in this process, for the locked and private sharing modes.
const cacheUsers = new Map<string, number>();
const cacheLocks = new Map<string, Promise<void>>();

function isTrue(value: string | undefined): boolean {
  return value === 'true' || value === '1';
}

function mountTarget(options: Map<string, string>): string {
  const target = options.get('target') ?? options.get('dst') ?? options.get('destination') ?? '';
  if (!target.startsWith('/')) throw new InvalidArgumentError(`invalid mount target ${JSON.stringify(target)}: use an absolute path such as /root/.cache`);
  return path.posix.normalize(target);
}

async function acquireLock(directory: string): Promise<() => void> {
  const previous = cacheLocks.get(directory) ?? Promise.resolve();
  let unlock: () => void = () => undefined;
  const current = new Promise<void>((resolve) => {
    unlock = resolve;
  });
  const chained = previous.then(() => current);
  cacheLocks.set(directory, chained);
  await previous;

  return () => {
    unlock();
    if (cacheLocks.get(directory) === chained) cacheLocks.delete(directory);
  };
}

// Reports whether a RUN step of this process has the shared cache mount directory mounted now.
export function cacheMountInUse(directory: string): boolean {
  return (cacheUsers.get(directory) ?? 0) > 0;
}

export function cacheMountsDirectory(stateDirectory: string): string {
  return path.join(stateDirectory, 'cache-mounts');
}

async function cacheMount(options: Map<string, string>, target: string, sources: MountSources, releases: Array<() => void>): Promise<{ mount: StepMount; key: unknown }> {
  if (options.has('from') || options.has('source')) {
    throw new NotImplementedError('RUN --mount=type=cache with from= or source= is not supported by Berth: seed the cache in a RUN step instead');
  }

  const id = options.get('id') ?? target;
  const sharing = options.get('sharing') ?? 'shared';
  if (!['shared', 'private', 'locked'].includes(sharing)) {
    throw new InvalidArgumentError(`invalid sharing mode ${JSON.stringify(sharing)} for cache mount ${id}: use shared, private or locked`);
  }

  let directory = path.join(cacheMountsDirectory(sources.stateDirectory), createHash('sha256').update(id).digest('hex').slice(0, 32));
  const users = cacheUsers.get(directory) ?? 0;
  if (sharing === 'private' && users > 0) {
    directory = await fsp.mkdtemp(path.join(sources.temporaryDirectory, 'cache-private-'));
  }

  const created = await fsp.mkdir(directory, { recursive: true, mode: 0o755 });
  if (created !== undefined) {
    const mode = options.get('mode');
    if (mode !== undefined) await fsp.chmod(directory, parseInt(mode, 8));
    await fsp.chown(directory, Number(options.get('uid') ?? 0), Number(options.get('gid') ?? 0));
    await fsp.writeFile(`${directory}.id`, id);
  }

  const used = directory;
  cacheUsers.set(used, (cacheUsers.get(used) ?? 0) + 1);
  releases.push(() => {
    const remaining = (cacheUsers.get(used) ?? 1) - 1;
    if (remaining <= 0) cacheUsers.delete(used);
    else cacheUsers.set(used, remaining);
  });
  if (sharing === 'locked') releases.push(await acquireLock(directory));

  const readOnly = isTrue(options.get('readonly') ?? options.get('ro'));
  return { mount: { source: directory, target, readOnly }, key: { type: 'cache', id, target, sharing, readOnly } };
}

async function bindMount(options: Map<string, string>, target: string, sources: MountSources): Promise<{ mount: StepMount; key: unknown }> {
  const from = options.get('from');
  let root = sources.contextDirectory;
  let fromImage: string | null = null;
  if (from !== undefined) {
    const mounted = await sources.mountFrom(from);
    root = mounted.root;
    fromImage = mounted.imageId;
  }

  const sourcePath = options.get('source') ?? options.get('src') ?? '/';
  const source = await resolveInRoot(root, sourcePath);
  await fsp.lstat(source).catch(() => {
    throw new InvalidArgumentError(`RUN --mount=type=bind: source ${sourcePath} not found in ${from === undefined ? 'the build context' : from}: check the source= path`);
  });

  // A bind from the context changes with the context's files, so its content is part of the key.
  const content = fromImage ?? (await digestTree(source));
  const writable = isTrue(options.get('rw') ?? options.get('readwrite'));
  const key = { type: 'bind', target, from: from ?? null, source: sourcePath, content, writable };
  if (!writable) return { mount: { source, target, readOnly: true }, key };

  // Writes to an rw bind are discarded after the step, so the step gets its own copy.
  const copy = await fsp.mkdtemp(path.join(sources.temporaryDirectory, 'bind-rw-'));
  await run('cp', ['-a', '--', `${source}/.`, copy]);
  return { mount: { source: copy, target, readOnly: false }, key };
}

export async function resolveRunMounts(specifications: readonly string[], sources: MountSources): Promise<ResolvedMounts> {
  const mounts: StepMount[] = [];
  const keyInputs: unknown[] = [];
  const releases: Array<() => void> = [];
  const release = (): void => {
    for (const releaseOne of releases.splice(0).reverse()) releaseOne();
  };

  try {
    for (const specification of specifications) {
      const options = parseMountSpec(specification);
      const type = options.get('type');

      if (type === 'secret' || type === 'ssh') {
        throw new NotImplementedError(`RUN --mount=type=${type} is not supported by Berth's builder, which forwards no secrets or SSH agents`);
      }

      const target = mountTarget(options);
      let resolved: { mount: StepMount; key: unknown };
      if (type === 'cache') {
        resolved = await cacheMount(options, target, sources, releases);
      } else if (type === 'tmpfs') {
        // NOTE: an empty directory on the store's file system, not a memory-backed tmpfs.
        const directory = await fsp.mkdtemp(path.join(sources.temporaryDirectory, 'tmpfs-'));
        resolved = { mount: { source: directory, target, readOnly: false }, key: { type: 'tmpfs', target } };
      } else {
        resolved = await bindMount(options, target, sources);
      }

      mounts.push(resolved.mount);
      keyInputs.push(resolved.key);
    }
  } catch (error) {
    release();
    throw error;
  }

  return { mounts, keyInputs, release };
}
