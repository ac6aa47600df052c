// Checks loaded image configs and builds the config of an imported root filesystem.
import { InvalidArgumentError } from '../common/errors';
import type { ImageConfig, ImageHistoryEntry, ImageRuntimeConfig } from './types';
import { digestHex } from './digest';

// Parses and checks an image config blob: the fields every later step relies on must be there.
export function parseImageConfig(content: Buffer, imageId: string): ImageConfig {
  let config: ImageConfig;
  try {
    config = JSON.parse(content.toString('utf8')) as ImageConfig;
  } catch (error) {
    throw new InvalidArgumentError(`image config ${imageId}: invalid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new InvalidArgumentError(`image config ${imageId}: expected a JSON object`);
  }
  const rootfs = config.rootfs as { type?: unknown; diff_ids?: unknown } | undefined;
  if (!rootfs || rootfs.type !== 'layers' || !Array.isArray(rootfs.diff_ids)) {
    throw new InvalidArgumentError(`image config ${imageId}: expected rootfs with type "layers" and a diff_ids array`);
  }
  for (const diffId of rootfs.diff_ids) {
    if (typeof diffId !== 'string') throw new InvalidArgumentError(`image config ${imageId}: diff_ids must contain strings`);
    digestHex(diffId, `diff ID in image config ${imageId}`);
  }
  if (typeof config.os !== 'string' || typeof config.architecture !== 'string') {
    throw new InvalidArgumentError(`image config ${imageId}: expected "os" and "architecture" strings`);
  }
  return config;
}

// Returns the OCI name of the host architecture ("amd64", "arm64"), which Node.js spells differently.
export function hostArchitecture(): string {
  const names: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return names[process.arch] ?? process.arch;
}

// Builds the config of a one-layer image made by `docker import`, with the
// message as the comment of the image and of its one history entry, as Docker writes it.
export function importedImageConfig(diffId: string, runtimeConfig: ImageRuntimeConfig, message: string): ImageConfig {
  const created = new Date().toISOString();
  const config: ImageConfig = {
    architecture: hostArchitecture(),
    os: 'linux',
    created,
    config: runtimeConfig,
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [message ? { created, comment: message } : { created }],
  };
  if (message) config.comment = message;
  return config;
}

export interface CommitSettings {
  runtimeConfig: ImageRuntimeConfig;
  comment: string;
  author: string;
  containerId: string;
  // The container's command, for the history entry's created_by.
  createdBy: string;
}

// Builds the config of a committed container: the parent's config with the
// new layer's diff ID, the runtime config and one more history entry.
export function committedImageConfig(parent: ImageConfig, diffId: string, settings: CommitSettings): ImageConfig {
  const created = new Date().toISOString();
  const entry: ImageHistoryEntry = { created, created_by: settings.createdBy };
  if (settings.author) entry.author = settings.author;
  if (settings.comment) entry.comment = settings.comment;

  const config: ImageConfig = {
    ...structuredClone(parent),
    created,
    container: settings.containerId,
    config: settings.runtimeConfig,
    rootfs: { type: 'layers', diff_ids: [...parent.rootfs.diff_ids, diffId] },
    history: [...(parent.history ?? []), entry],
  };
  delete config.container_config;
  if (settings.author) config.author = settings.author;
  else delete config.author;
  if (settings.comment) config.comment = settings.comment;
  else delete config.comment;
  return config;
}

// Builds the config of a build step that changes only the runtime config
// (ENV, LABEL, CMD, ...): the parent's layers, one more history entry marked empty_layer.
export function derivedImageConfig(parent: ImageConfig, runtimeConfig: ImageRuntimeConfig, createdBy: string): ImageConfig {
  const created = new Date().toISOString();
  const config: ImageConfig = {
    ...structuredClone(parent),
    created,
    config: runtimeConfig,
    history: [...(parent.history ?? []), { created, created_by: createdBy, empty_layer: true }],
  };
  delete config.container;
  delete config.container_config;
  return config;
}

// The config of the empty image `FROM scratch` starts from. The fixed creation time keeps its ID stable.
export function scratchImageConfig(): ImageConfig {
  return {
    architecture: hostArchitecture(),
    os: 'linux',
    created: '1970-01-01T00:00:00Z',
    config: {},
    rootfs: { type: 'layers', diff_ids: [] },
    history: [],
  };
}
