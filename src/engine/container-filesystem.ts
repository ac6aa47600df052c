// A container's filesystem as a whole: what it changed (`docker diff`), a
// tar of the merged view (`docker export`) and a new image from its writable
// layer (`docker commit`).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { DaemonConfig } from '../common/config';
import { ConflictError, EngineError, errorMessage } from '../common/errors';
import type { Logger } from '../common/logger';
import { MS_RDONLY, nativeSys } from '../sys/native';
import type { ContainerRuntime } from '../container/runtime';
import { isMountPoint, unmountOverlay } from '../container/runtime/rootfs';
import type { ContainerRecord } from '../container/types';
import { applyChanges } from '../image/changes';
import { directoryTar } from '../image/directory-tar';
import { listChanges } from '../image/filesystem-changes';
import type { ImageService } from '../image/service';
import type { ImageRuntimeConfig } from '../image/types';
import type { ContainerService } from './container-service';
import type { CommitOptions, ContainerChange } from './engine';

// Mount points and files the runtime creates in every container. Docker keeps
// them in a separate init layer, so `docker diff` never lists them and
// `docker commit` never puts them in an image.
export const RUNTIME_PATHS: ReadonlySet<string> = new Set(['/proc', '/sys', '/dev', '/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/etc/mtab', '/.dockerenv', '/sbin/docker-init']);

export class ContainerFilesystem {
  constructor(
    private readonly config: DaemonConfig,
    private readonly images: ImageService,
    private readonly runtime: ContainerRuntime,
    private readonly containers: ContainerService,
    private readonly logger: Logger,
  ) {}

  async changes(idOrName: string): Promise<ContainerChange[]> {
    const record = this.containers.find(idOrName);
    const upperDir = this.runtime.pathsFor(record.id).upperDir;
    // The runtime creates the upper directory at the first start; a container never started has no changes.
    if (!fs.existsSync(upperDir)) return [];
    const changes = await listChanges(upperDir, this.lowerDirectories(record), RUNTIME_PATHS);
    return changes.map((change) => ({ path: change.path, kind: change.kind }));
  }

  // Returns a tar of the merged filesystem: the mounted root of a running
  // container, else a read-only overlay mounted for the export and unmounted when the stream ends.
  async export(idOrName: string): Promise<Readable> {
    const record = this.containers.find(idOrName);
    const merged = await this.mountMerged(record, false);
    const stream = directoryTar(merged.root, 'filesystem', this.logger);
    let released = false;
    const finish = () => {
      if (released) return;
      released = true;
      merged.release().catch((error: unknown) => this.logger.error({ container: record.id, path: merged.root, err: error }, 'remove the mount of a container export failed'));
    };
    stream.on('close', finish);
    stream.on('end', finish);
    stream.on('error', finish);
    return stream;
  }

  // Returns the container's merged root: the mounted root of a running container, else an overlay
  // mounted in a temporary directory until release(). A writable mount uses the container's own
  // upper and work directories, so the caller must hold the container's lock to keep it from starting meanwhile.
  async mountMerged(record: ContainerRecord, writable: boolean): Promise<{ root: string; release(): Promise<void> }> {
    const paths = this.runtime.pathsFor(record.id);
    if (await isMountPoint(paths.rootfsDir)) return { root: paths.rootfsDir, release: async () => undefined };

    // A container never started has no upper directory yet; the runtime would create the same one at its start.
    await fsp.mkdir(paths.upperDir, { recursive: true, mode: 0o755 });
    if (writable) await fsp.mkdir(paths.workDir, { recursive: true, mode: 0o700 });
    const work = await fsp.mkdtemp(path.join(this.config.runRoot, `rootfs-${record.id.slice(0, 12)}-`));
    const target = path.join(work, 'merged');
    const emptyLower = path.join(work, 'empty');
    await fsp.mkdir(target);
    await fsp.mkdir(emptyLower);
    const release = async () => {
      await unmountOverlay(target);
      await fsp.rm(work, { recursive: true, force: true });
    };
    try {
      const lower = this.images.lowerLayers(record.imageId);
      const imageLowerDirs = lower.lowerDirs.length > 0 ? lower.lowerDirs : [emptyLower];
      if (writable) {
        nativeSys().mount('overlay', target, 'overlay', 0, `lowerdir=${imageLowerDirs.join(':')},upperdir=${paths.upperDir},workdir=${paths.workDir}`, lower.cwd);
      } else {
        // The upper directory becomes the topmost lower one: an overlay without upperdir is read-only.
        // NOTE: a container started while the mount exists writes to a directory this mount reads; overlayfs leaves that case undefined.
        nativeSys().mount('overlay', target, 'overlay', MS_RDONLY, `lowerdir=${[paths.upperDir, ...imageLowerDirs].join(':')}`, lower.cwd);
      }
    } catch (error) {
      await release();
      // A missing image keeps its not-found status; a failed mount is an internal error.
      if (error instanceof EngineError) throw error;
      throw new Error(`container ${record.id}: mount the root filesystem${writable ? '' : ' read-only'}: ${errorMessage(error)}`, { cause: error });
    }
    return { root: target, release };
  }

  // Commits the container's writable layer as a new image; pauses a running container meanwhile when options.pause is set.
  async commit(idOrName: string, options: CommitOptions): Promise<string> {
    const record = this.containers.find(idOrName);
    const image = this.images.resolve(record.imageId);
    const base = containerRuntimeConfig(record, image.config.config ?? {});
    const runtimeConfig = applyChanges({ ...base, ...definedFields(options.config) }, options.changes);

    const upperDir = this.runtime.pathsFor(record.id).upperDir;
    await fsp.mkdir(upperDir, { recursive: true, mode: 0o755 });
    const pause = options.pause && record.state.status === 'running';
    if (pause) await this.containers.pause(record.id);
    try {
      return await this.images.commitContainer({
        imageId: record.imageId,
        upperDir,
        skipPaths: RUNTIME_PATHS,
        reference: options.reference,
        settings: { runtimeConfig, comment: options.comment, author: options.author, containerId: record.id, createdBy: [record.path, ...record.args].join(' ') },
      });
    } finally {
      if (pause) {
        await this.containers.unpause(record.id).catch((error: unknown) => {
          // The container may have exited while paused; it then has nothing to unpause.
          if (!(error instanceof ConflictError)) throw error;
          this.logger.warn({ container: record.id, err: error }, 'unpause after commit failed');
        });
      }
    }
  }

  private lowerDirectories(record: ContainerRecord): string[] {
    try {
      return this.images.lowerLayers(record.imageId).absoluteLowerDirs;
    } catch (error) {
      // The image was removed with force; every file of the writable layer then counts as added.
      this.logger.warn({ container: record.id, image: record.imageId, err: error }, 'image of the container not found, so diff compares with an empty image');
      return [];
    }
  }
}

// Returns the runtime config a commit starts from: the image's, with the container's own settings on top.
function containerRuntimeConfig(record: ContainerRecord, imageConfig: ImageRuntimeConfig): ImageRuntimeConfig {
  const spec = record.spec;
  const config: ImageRuntimeConfig = structuredClone(imageConfig);
  config.Env = record.effectiveEnv;
  if (spec.cmd !== null) config.Cmd = spec.cmd;
  if (spec.entrypoint !== null) config.Entrypoint = spec.entrypoint;
  if (record.effectiveWorkingDir) config.WorkingDir = record.effectiveWorkingDir;
  if (record.effectiveUser) config.User = record.effectiveUser;
  if (Object.keys(spec.labels).length > 0) config.Labels = { ...(config.Labels ?? {}), ...spec.labels };
  return config;
}

// Drops the fields a client sent as null or empty, so they keep the container's values, as dockerd merges them.
function definedFields(config: ImageRuntimeConfig | null): ImageRuntimeConfig {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config ?? {})) {
    if (value === null || value === undefined || value === '') continue;
    if (Array.isArray(value) && value.length === 0) continue;
    if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value as object).length === 0) continue;
    result[key] = value;
  }
  return result as ImageRuntimeConfig;
}
