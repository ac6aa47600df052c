// Image metadata the engine keeps, independent of the Docker API's shapes.

// The runtime part of an OCI image config ("config" in the image config JSON).
export interface ImageRuntimeConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  Healthcheck?: unknown;
  OnBuild?: string[] | null;
  Shell?: string[];
  ArgsEscaped?: boolean;
}

export interface ImageHistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

// An OCI image configuration (application/vnd.oci.image.config.v1+json), also
// what Docker stores as the image config.
export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  config?: ImageRuntimeConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: ImageHistoryEntry[];
  // Docker-written configs carry these too; they are kept as loaded.
  [key: string]: unknown;
}

export interface ImageRecord {
  // sha256 digest of the config blob, "sha256:<hex>".
  id: string;
  // Normalized references, "docker.io/library/busybox:latest".
  repoTags: string[];
  // Normalized "docker.io/library/busybox@sha256:<hex>", one per repository.
  repoDigests: string[];
  config: ImageConfig;
  // Uncompressed size of all layers in bytes.
  size: number;
  // When the image entered this store (ISO 8601).
  loadedAt: string;
  // ID of the image this one was made from by `commit` or a build step, as Docker records it. Absent for loaded and pulled images.
  parent?: string;
}

// What to pass to an overlay mount for an image's layers.
export interface LowerLayers {
  // Directory the mount runs in, so that lowerdir can use short relative link names.
  cwd: string;
  // Relative lower directories, topmost first, ready for "lowerdir=".
  lowerDirs: string[];
  // Absolute paths of the same directories, topmost first.
  absoluteLowerDirs: string[];
}
