// The state of one build shared by its stages: the request, the parsed
// Dockerfile, the context directory and the stages' results. Each stage is
// built once, on first use. The session also tracks the images mounted for
// COPY --from and RUN --mount from=, and releases them when the build ends.
import type { Logger } from '../../common/logger';
import type { Dockerfile } from '../dockerfile';
import type { BuildHost, BuildImage, MountedImage } from '../host';
import type { BuildRequest } from '../types';
import type { BuildArguments } from './arguments';
import type { CacheIndex } from './cache-index';
import type { ProgressSequencer } from './progress';
import { runStage } from './stage';
import { findStage, type StagePlan } from './stage-plan';

export interface SessionOptions {
  host: BuildHost;
  request: BuildRequest;
  logger: Logger;
  buildId: string;
  dockerfile: Dockerfile;
  fileName: string;
  contextDirectory: string;
  temporaryDirectory: string;
  progress: ProgressSequencer;
  args: BuildArguments;
  cache: CacheIndex;
  plan: StagePlan;
  // Aborted when the client goes away or another stage fails.
  signal: AbortSignal;
}

export class BuildSession {
  readonly host: BuildHost;
  readonly request: BuildRequest;
  readonly logger: Logger;
  readonly buildId: string;
  readonly dockerfile: Dockerfile;
  readonly fileName: string;
  readonly contextDirectory: string;
  readonly temporaryDirectory: string;
  readonly progress: ProgressSequencer;
  readonly args: BuildArguments;
  readonly cache: CacheIndex;
  readonly plan: StagePlan;
  readonly signal: AbortSignal;

  private readonly stageResults = new Map<number, Promise<BuildImage>>();
  private readonly mounted = new Map<string, Promise<MountedImage>>();

  constructor(options: SessionOptions) {
    this.host = options.host;
    this.request = options.request;
    this.logger = options.logger;
    this.buildId = options.buildId;
    this.dockerfile = options.dockerfile;
    this.fileName = options.fileName;
    this.contextDirectory = options.contextDirectory;
    this.temporaryDirectory = options.temporaryDirectory;
    this.progress = options.progress;
    this.args = options.args;
    this.cache = options.cache;
    this.plan = options.plan;
    this.signal = options.signal;
  }

  get escape(): string {
    return this.dockerfile.directives.escape;
  }

  // The result of a stage, building it on first use.
  stageResult(index: number): Promise<BuildImage> {
    let result = this.stageResults.get(index);
    if (!result) {
      result = runStage(this, this.dockerfile.stages[index]);
      // The awaiting caller reports the failure. This handler keeps an unawaited stage from crashing the daemon.
      result.catch(() => undefined);
      this.stageResults.set(index, result);
    }
    return result;
  }

  // Waits until every stage started so far has finished or failed, so that cleanup never races a running step.
  async settled(): Promise<void> {
    let count = -1;
    while (count !== this.stageResults.size) {
      count = this.stageResults.size;
      await Promise.allSettled([...this.stageResults.values()]);
    }
  }

  async mountImage(imageId: string): Promise<string> {
    let mount = this.mounted.get(imageId);
    if (!mount) {
      mount = this.host.mountImage(imageId);
      this.mounted.set(imageId, mount);
    }
    return (await mount).root;
  }

  // Mounts what a COPY --from or RUN --mount from= names: an earlier stage by name or index, else an image.
  async mountFrom(reference: string, currentStage: number): Promise<{ root: string; imageId: string }> {
    const stage = findStage(this.dockerfile, reference, currentStage);
    let imageId: string;
    if (stage) {
      imageId = (await this.stageResult(stage.index)).id;
    } else {
      const image = await this.host.resolveImage(reference, {
        pull: this.request.pull === 'always' ? 'always' : 'missing',
        platform: this.request.platform,
        registryConfig: this.request.registryConfig,
        onProgress: (message) => this.progress.message(currentStage, message as Record<string, unknown>),
      });
      imageId = image.id;
    }
    return { root: await this.mountImage(imageId), imageId };
  }

  // Releases every image mounted for this build and logs a failed release with the image ID.
  async releaseMounts(): Promise<void> {
    for (const [imageId, mount] of this.mounted) {
      try {
        await (await mount).release();
      } catch (error) {
        this.logger.warn({ err: error, image: imageId }, 'release image mounted for the build failed');
      }
    }
    this.mounted.clear();
  }
}
