// The interface the builder needs from the engine, and nothing more. The
// builder (src/builder) decides what each Dockerfile step means. The engine
// (src/engine/build-host.ts) owns images, containers and mounts and implements
// this interface, so the builder never reaches into the stores.
import type { ImageConfig, ImageRuntimeConfig } from '../image/types';

// An image in the store: the base of a stage or the result of a step.
export interface BuildImage {
  id: string;
  config: ImageConfig;
}

export type PullPolicy = 'missing' | 'always' | 'never';

export interface ResolveImageOptions {
  pull: PullPolicy;
  // "os/arch[/variant]" or null for the daemon's platform.
  platform: string | null;
  // The X-Registry-Config header of POST /build as sent (base64 JSON of auth configs per registry), or null.
  registryConfig: string | null;
  // Receives Docker's JSON progress messages of a pull, to forward to the client.
  onProgress: (message: object) => void;
}

// A mount of a RUN step (`RUN --mount=...`), already resolved to host paths.
export interface StepMount {
  // Absolute host path to bind, such as a cache directory or a mounted stage root.
  source: string;
  // Absolute path in the container.
  target: string;
  readOnly: boolean;
}

export interface RunStepRequest {
  parent: string;
  // The stage's runtime config after this step (Cmd, Entrypoint, Env, User, WorkingDir, ...), which
  // becomes the new image's config. The process runs with its Env, User and WorkingDir.
  runtimeConfig: ImageRuntimeConfig;
  // The argv to run, the SHELL already applied for the shell form.
  command: string[];
  // Extra environment only for this process: build args in effect, which Docker does not keep in the image.
  extraEnv: string[];
  mounts: StepMount[];
  network: 'default' | 'none' | 'host';
  // History entry text, such as "RUN /bin/sh -c make # buildkit".
  createdBy: string;
  // ID of the build, for log lines and container names.
  buildId: string;
  // Called with the step container's ID once it exists, for the classic " ---> Running in <id>" line.
  onContainerCreated?: (containerId: string) => void;
}

export type StepOutput = (stream: 'stdout' | 'stderr', chunk: Buffer) => void;

export interface WriteStepRequest {
  parent: string;
  runtimeConfig: ImageRuntimeConfig;
  createdBy: string;
  buildId: string;
}

export interface ConfigStepRequest {
  parent: string;
  runtimeConfig: ImageRuntimeConfig;
  createdBy: string;
}

export interface MountedImage {
  // Absolute path of the image's merged root filesystem, read-only.
  root: string;
  release(): Promise<void>;
}

export interface BuildHost {
  // Finds an image in the store, pulling it as the pull policy requires. Throws NotFoundError when it is absent and not pulled.
  resolveImage(reference: string, options: ResolveImageOptions): Promise<BuildImage>;

  // The empty image FROM scratch starts from: no layers, an empty runtime config, the daemon's platform.
  scratchImage(): Promise<BuildImage>;

  // Runs a command in a temporary container made from parent, streams its
  // output, and on exit code 0 commits the changes as a new image (Parent
  // set to parent). The container is removed in every case.
  runStep(request: RunStepRequest, onOutput: StepOutput, signal: AbortSignal): Promise<{ exitCode: number; image: BuildImage | null }>;

  // Creates a temporary container from parent without starting it, mounts its
  // root filesystem, calls write with the absolute path of the mounted root,
  // and commits the changes as a new image. The container is removed in every case.
  writeStep(request: WriteStepRequest, write: (root: string) => Promise<void>): Promise<BuildImage>;

  // A new image with parent's layers and the given runtime config, plus a history entry marked empty_layer.
  configStep(request: ConfigStepRequest): Promise<BuildImage>;

  // Mounts an image's root filesystem read-only, for COPY --from and RUN --mount=type=bind,from=.
  mountImage(imageId: string): Promise<MountedImage>;

  // Returns whether an image is still in the store, because cache entries naming a removed image are ignored.
  hasImage(imageId: string): boolean;

  tagImage(imageId: string, reference: string): Promise<void>;

  // A directory kept across builds and daemon restarts (cache index, cache mounts).
  readonly stateDirectory: string;

  // A directory on the store's file system for a build's temporary files.
  readonly temporaryDirectory: string;
}
