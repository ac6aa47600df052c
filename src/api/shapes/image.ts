// ImageSummary (GET /images/json) and ImageInspect (GET /images/{name}/json),
// with names in the familiar form ("busybox:latest") and the fields each
// API version expects.
import { familiarize } from '../../image/reference';
import type { ImageConfig, ImageRecord, ImageRuntimeConfig } from '../../image/types';
import { versionBelow } from '../version';
import { ZERO_TIME } from './status';

// Returns the familiar form of a stored reference, or the reference unchanged when it does not parse.
export function familiarReference(reference: string): string {
  try {
    return familiarize(reference);
  } catch {
    return reference;
  }
}

// The Unix time of the image's "created" field, falling back to when the store received it.
export function imageCreatedSeconds(image: ImageRecord): number {
  const created = Date.parse(image.config.created ?? '');
  const fallback = Date.parse(image.loadedAt);
  const value = Number.isNaN(created) ? fallback : created;
  return Number.isNaN(value) ? 0 : Math.floor(value / 1000);
}

export function imageSummaryShape(image: ImageRecord, apiVersion: string, containers: number): Record<string, unknown> {
  let repoTags = image.repoTags.map(familiarReference);
  let repoDigests = image.repoDigests.map(familiarReference);
  // Before API 1.43 untagged images were listed with placeholder names.
  if (versionBelow(apiVersion, '1.43') && repoTags.length === 0 && repoDigests.length === 0) {
    repoTags = ['<none>:<none>'];
    repoDigests = ['<none>@<none>'];
  }
  const shape: Record<string, unknown> = {
    Containers: versionBelow(apiVersion, '1.51') ? -1 : containers,
    Created: imageCreatedSeconds(image),
    Id: image.id,
    Labels: image.config.config?.Labels ?? null,
    ParentId: image.parent ?? '',
    RepoDigests: repoDigests,
    RepoTags: repoTags,
    SharedSize: -1,
    Size: image.size,
  };
  if (versionBelow(apiVersion, '1.44')) shape.VirtualSize = image.size;
  return shape;
}

// The keys a container config has, with empty values: the shape of ContainerConfig for old clients.
const EMPTY_CONTAINER_CONFIG = {
  Hostname: '',
  Domainname: '',
  User: '',
  AttachStdin: false,
  AttachStdout: false,
  AttachStderr: false,
  Tty: false,
  OpenStdin: false,
  StdinOnce: false,
  Env: null,
  Cmd: null,
  Image: '',
  Volumes: null,
  WorkingDir: '',
  Entrypoint: null,
  OnBuild: null,
  Labels: null,
};

// Returns the image's Config as dockerd reports it. API 1.50 and 1.51 always include Cmd, Entrypoint,
// Env, Labels, OnBuild, User, Volumes and WorkingDir. Older versions include every container-config key.
function imageConfigShape(runtime: ImageRuntimeConfig | undefined, apiVersion: string): Record<string, unknown> {
  const alwaysPresent = { Cmd: null, Entrypoint: null, Env: null, Labels: null, OnBuild: null, User: '', Volumes: null, WorkingDir: '' };
  const base = versionBelow(apiVersion, '1.50') ? EMPTY_CONTAINER_CONFIG : alwaysPresent;
  const shape: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(runtime ?? {})) {
    if (value !== undefined) shape[key] = value;
  }
  return shape;
}

function stringField(config: ImageConfig, key: string): string {
  const value = config[key];
  return typeof value === 'string' ? value : '';
}

export function imageInspectShape(image: ImageRecord, apiVersion: string): Record<string, unknown> {
  const config = image.config;
  const shape: Record<string, unknown> = {
    Id: image.id,
    RepoTags: image.repoTags.map(familiarReference),
    RepoDigests: image.repoDigests.map(familiarReference),
    Parent: image.parent ?? stringField(config, 'parent'),
    Comment: stringField(config, 'comment'),
  };
  if (config.created) shape.Created = config.created;
  else if (versionBelow(apiVersion, '1.44')) shape.Created = ZERO_TIME;

  // Docker-built images carry the build container's ID and config. API 1.45 dropped both fields.
  if (versionBelow(apiVersion, '1.45')) {
    shape.Container = stringField(config, 'container');
    const containerConfig = config.container_config;
    shape.ContainerConfig = typeof containerConfig === 'object' && containerConfig !== null ? containerConfig : { ...EMPTY_CONTAINER_CONFIG };
  }
  Object.assign(shape, {
    DockerVersion: stringField(config, 'docker_version'),
    Author: config.author ?? '',
    Config: imageConfigShape(config.config, apiVersion),
    Architecture: config.architecture,
  });
  if (config.variant) shape.Variant = config.variant;
  Object.assign(shape, { Os: config.os, Size: image.size });
  if (versionBelow(apiVersion, '1.44')) shape.VirtualSize = image.size;
  Object.assign(shape, {
    // NOTE: the image store does not report its layer directories, so Data stays empty.
    GraphDriver: { Data: {}, Name: 'overlay' },
    RootFS: { Type: 'layers', Layers: config.rootfs.diff_ids },
    // NOTE: the image store does not record when a tag was last set.
    Metadata: { LastTagTime: ZERO_TIME },
  });
  return shape;
}
