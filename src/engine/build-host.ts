// The engine side of `docker build`: implements the builder's BuildHost on
// the image store and the container service. RUN steps run in temporary
// containers labelled with the build ID, and COPY and WORKDIR steps write into
// an overlay mounted under the build's temporary directory. Every step
// container is removed when its step ends, and the daemon's start removes
// what a killed daemon left (build-recovery.ts).
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { DaemonConfig } from '../common/config';
import { InvalidArgumentError, NotFoundError, errorMessage } from '../common/errors';
import type { Logger } from '../common/logger';
import type { ContainerRuntime } from '../container/runtime';
import { unmountOverlay } from '../container/runtime/rootfs';
import type { ContainerSpec, MountSpec } from '../container/types';
import type { ImageService } from '../image/service';
import type {
  BuildHost,
  BuildImage,
  ConfigStepRequest,
  MountedImage,
  ResolveImageOptions,
  RunStepRequest,
  StepOutput,
  WriteStepRequest,
} from '../builder/host';
import { RUNTIME_PATHS } from './container-filesystem';
import type { ContainerService } from './container-service';
import type { AttachOptions, OutputChunk, StdioSession } from './engine';
import { mountImageReadOnly, mountWritable } from './build-mounts';
import { registryAuthFor } from './build-registry-auth';
import { basePullError } from './build-base-pull';
import { defaultContainerSpec } from '../container/spec-defaults';

// Label of every step container, so that the daemon's start can remove those a killed daemon left.
export const BUILD_ID_LABEL = 'berth.build-id';

// How long a step waits, after its process exited, for the rest of its output to arrive.
const OUTPUT_DRAIN_MS = 2_000;

export interface BuildHostDependencies {
  config: DaemonConfig;
  images: ImageService;
  containers: ContainerService;
  runtime: ContainerRuntime;
  // The engine's attach, pull and tag, which also emit Docker's events.
  attach(containerId: string, options: AttachOptions): Promise<StdioSession>;
  pull(reference: string, options: { registryAuth: string | null; platform: string | null }, onProgress: (message: object) => void): Promise<void>;
  tag(imageId: string, reference: string): Promise<void>;
  logger: Logger;
}

// Returns the directory kept across builds and restarts (cache index, cache mounts).
export function buildStateDirectory(config: DaemonConfig): string {
  return path.join(config.dataRoot, 'build');
}

// Returns the directory of the builds' temporary files, which the daemon empties when it starts.
export function buildTemporaryDirectory(config: DaemonConfig): string {
  return path.join(buildStateDirectory(config), 'tmp');
}

export class EngineBuildHost implements BuildHost {
  readonly stateDirectory: string;
  readonly temporaryDirectory: string;
  private readonly logger: Logger;

  constructor(private readonly dependencies: BuildHostDependencies) {
    this.stateDirectory = buildStateDirectory(dependencies.config);
    this.temporaryDirectory = buildTemporaryDirectory(dependencies.config);
    this.logger = dependencies.logger;
  }

  async init(): Promise<void> {
    await fsp.mkdir(this.temporaryDirectory, { recursive: true, mode: 0o700 });
  }

  async resolveImage(reference: string, options: ResolveImageOptions): Promise<BuildImage> {
    const pull = async () => {
      const registryAuth = registryAuthFor(options.registryConfig, reference);
      await this.dependencies.pull(reference, { registryAuth, platform: options.platform }, options.onProgress);
    };

    if (options.pull === 'always') {
      await pull();
      return this.buildImage(reference);
    }
    try {
      // NOTE: a local image is used whatever its platform, because only a pull honours options.platform.
      return this.buildImage(reference);
    } catch (error) {
      if (!(error instanceof NotFoundError) || options.pull === 'never') throw error;
    }
    try {
      await pull();
    } catch (error) {
      throw basePullError(reference, error);
    }
    return this.buildImage(reference);
  }

  async scratchImage(): Promise<BuildImage> {
    return this.buildImage(await this.dependencies.images.scratchImage());
  }

  async runStep(request: RunStepRequest, onOutput: StepOutput, signal: AbortSignal): Promise<{ exitCode: number; image: BuildImage | null }> {
    if (signal.aborted) throw new Error(`build ${request.buildId}: canceled before "${request.createdBy}"`);
    const { containers } = this.dependencies;
    const { id } = await containers.create(stepContainerSpec(request));
    this.logger.debug({ build: request.buildId, container: id, command: request.command }, 'build step container created');

    try {
      request.onContainerCreated?.(id);
      const exitCode = await this.runContainer(id, request, onOutput, signal);
      if (signal.aborted) throw new Error(`build ${request.buildId}: canceled while running "${request.createdBy}"`);
      if (exitCode !== 0) return { exitCode, image: null };

      const skipPaths = new Set([...RUNTIME_PATHS, ...request.mounts.map((mount) => path.posix.normalize(mount.target))]);
      const imageId = await this.dependencies.images.commitContainer({
        imageId: request.parent,
        upperDir: this.dependencies.runtime.pathsFor(id).upperDir,
        skipPaths,
        reference: null,
        settings: { runtimeConfig: request.runtimeConfig, comment: '', author: '', containerId: id, createdBy: request.createdBy },
      });
      return { exitCode, image: this.buildImage(imageId) };
    } finally {
      await this.removeStepContainer(request.buildId, id);
    }
  }

  // Starts the container, streams its output and returns its exit code. A
  // command that cannot start counts as an exit with Docker's code (127 when not found).
  private async runContainer(id: string, request: RunStepRequest, onOutput: StepOutput, signal: AbortSignal): Promise<number> {
    const { containers } = this.dependencies;
    const session = await this.dependencies.attach(id, { stdin: false, stdout: true, stderr: true, logs: false, stream: true });
    const outputEnded = new Promise<void>((resolve) => {
      session.output.on('data', (chunk: OutputChunk) => onOutput(chunk.stream, chunk.data));
      session.output.once('end', resolve);
      session.output.once('close', resolve);
      session.output.once('error', (error: Error) => {
        this.logger.warn({ build: request.buildId, container: id, err: error }, 'read build step output failed');
        resolve();
      });
    });
    const kill = () => {
      this.logger.debug({ build: request.buildId, container: id }, 'build canceled, so its step container is killed');
      containers.kill(id, 'SIGKILL').catch((error: unknown) => this.logger.warn({ build: request.buildId, container: id, err: error }, 'kill a canceled build step failed'));
    };
    signal.addEventListener('abort', kill, { once: true });

    try {
      try {
        await containers.start(id);
        this.logger.debug({ build: request.buildId, container: id }, 'build step container started');
      } catch (error) {
        if (!(error instanceof InvalidArgumentError)) throw error;
        onOutput('stderr', Buffer.from(`${errorMessage(error)}\n`));
        return containers.find(id).state.exitCode;
      }
      const result = await containers.wait(id, 'not-running');
      await Promise.race([outputEnded, new Promise((resolve) => setTimeout(resolve, OUTPUT_DRAIN_MS).unref())]);
      return result.statusCode;
    } finally {
      signal.removeEventListener('abort', kill);
      session.close();
    }
  }

  private async removeStepContainer(buildId: string, id: string): Promise<void> {
    try {
      await this.dependencies.containers.remove(id, { force: true, volumes: true });
      this.logger.debug({ build: buildId, container: id }, 'build step container removed');
    } catch (error) {
      this.logger.error({ build: buildId, container: id, err: error }, 'remove build step container failed, so the next daemon start removes it');
    }
  }

  async writeStep(request: WriteStepRequest, write: (root: string) => Promise<void>): Promise<BuildImage> {
    const { images } = this.dependencies;
    const work = await fsp.mkdtemp(path.join(this.temporaryDirectory, 'write-'));
    const upperDir = path.join(work, 'upper');
    const workDir = path.join(work, 'work');
    const root = path.join(work, 'root');
    const empty = path.join(work, 'empty');
    let releaseLayers: () => void = () => undefined;

    try {
      await Promise.all([upperDir, workDir, root, empty].map((directory) => fsp.mkdir(directory, { mode: 0o755 })));
      releaseLayers = images.holdLayers(request.parent);
      try {
        mountWritable(images.lowerLayers(request.parent), upperDir, workDir, root, empty);
      } catch (error) {
        throw new Error(`build ${request.buildId}: mount the root of image ${request.parent} for "${request.createdBy}": ${errorMessage(error)}`, { cause: error });
      }
      this.logger.debug({ build: request.buildId, image: request.parent, path: root }, 'build step root mounted');
      try {
        await write(root);
      } finally {
        await unmountOverlay(root);
      }

      // A step that changed nothing (COPY of an empty directory, WORKDIR of an existing one) adds no empty layer.
      if ((await fsp.readdir(upperDir)).length === 0) {
        return this.configStep({ parent: request.parent, runtimeConfig: request.runtimeConfig, createdBy: request.createdBy });
      }
      const imageId = await images.commitContainer({
        imageId: request.parent,
        upperDir,
        skipPaths: new Set(),
        reference: null,
        settings: { runtimeConfig: request.runtimeConfig, comment: '', author: '', containerId: '', createdBy: request.createdBy },
      });
      return this.buildImage(imageId);
    } finally {
      releaseLayers();
      await fsp.rm(work, { recursive: true, force: true }).catch((error: unknown) => {
        this.logger.error({ build: request.buildId, path: work, err: error }, 'remove the directory of a build step failed');
      });
    }
  }

  async configStep(request: ConfigStepRequest): Promise<BuildImage> {
    const imageId = await this.dependencies.images.deriveImage({ parentId: request.parent, runtimeConfig: request.runtimeConfig, createdBy: request.createdBy });
    return this.buildImage(imageId);
  }

  mountImage(imageId: string): Promise<MountedImage> {
    return mountImageReadOnly(this.dependencies.images, imageId, this.temporaryDirectory, this.logger);
  }

  hasImage(imageId: string): boolean {
    try {
      return this.dependencies.images.resolve(imageId).id === imageId;
    } catch (error) {
      // Only a missing image is a cache miss. A failing store must fail the build, not rebuild silently.
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  }

  tagImage(imageId: string, reference: string): Promise<void> {
    return this.dependencies.tag(imageId, reference);
  }

  private buildImage(referenceOrId: string): BuildImage {
    const image = this.dependencies.images.resolve(referenceOrId);
    return { id: image.id, config: image.config };
  }
}

// Returns the create request of a RUN step's container: the command as its
// entrypoint, the stage's Env plus the build args, User and WorkingDir, no
// restart policy, and the build ID label.
function stepContainerSpec(request: RunStepRequest): ContainerSpec {
  const config = request.runtimeConfig;
  const mounts: MountSpec[] = request.mounts.map((mount) => ({
    type: 'bind',
    source: mount.source,
    target: mount.target,
    readOnly: mount.readOnly,
    createSourceIfMissing: false,
  }));
  return {
    ...defaultContainerSpec(request.parent),
    cmd: [],
    entrypoint: request.command,
    env: [...(config.Env ?? []), ...request.extraEnv],
    workingDir: config.WorkingDir ?? '',
    user: config.User ?? '',
    labels: { [BUILD_ID_LABEL]: request.buildId },
    attachStdout: true,
    attachStderr: true,
    mounts,
    networkMode: request.network === 'default' ? 'bridge' : request.network,
  };
}
