// Builds test images directly in a plain test registry with the registry API
// (monolithic blob uploads and manifest PUTs), independent of Berth's own
// push code: extra layers as tar, zstd or gzip, OCI manifests and indexes.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { TestRegistry } from './registry';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

export function sha256(content: Buffer | string): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}

function call(registry: TestRegistry, method: string, url: string, body: Buffer | null, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const request = http.request(new URL(url, registry.url), { method, headers: body ? { 'Content-Length': String(body.length), ...headers } : headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
    });
    request.on('error', reject);
    request.end(body ?? undefined);
  });
}

// Uploads a blob in one POST + PUT and returns its descriptor.
export async function uploadBlob(registry: TestRegistry, repository: string, content: Buffer, mediaType: string): Promise<Descriptor> {
  const digest = sha256(content);
  const started = await call(registry, 'POST', `/v2/${repository}/blobs/uploads/`, null);
  if (started.status !== 202) throw new Error(`start upload to ${repository}: HTTP ${started.status}: ${started.body}`);
  const location = new URL(String(started.headers.location), registry.url);
  location.searchParams.set('digest', digest);
  const finished = await call(registry, 'PUT', location.toString(), content, { 'Content-Type': 'application/octet-stream' });
  if (finished.status !== 201) throw new Error(`upload blob ${digest} to ${repository}: HTTP ${finished.status}: ${finished.body}`);
  return { mediaType, digest, size: content.length };
}

export async function putManifest(registry: TestRegistry, repository: string, reference: string, mediaType: string, manifest: object): Promise<Descriptor> {
  const content = Buffer.from(JSON.stringify(manifest));
  const response = await call(registry, 'PUT', `/v2/${repository}/manifests/${reference}`, content, { 'Content-Type': mediaType });
  if (response.status !== 201) throw new Error(`put manifest ${repository}:${reference}: HTTP ${response.status}: ${response.body}`);
  return { mediaType, digest: sha256(content), size: content.length };
}

export async function getManifest(registry: TestRegistry, repository: string, reference: string): Promise<Buffer> {
  const accept = [DOCKER_MANIFEST, DOCKER_LIST, OCI_MANIFEST, OCI_INDEX].join(', ');
  const response = await call(registry, 'GET', `/v2/${repository}/manifests/${reference}`, null, { Accept: accept });
  if (response.status !== 200) throw new Error(`get manifest ${repository}:${reference}: HTTP ${response.status}`);
  return response.body;
}

export async function getBlob(registry: TestRegistry, repository: string, digest: string): Promise<Buffer> {
  const response = await call(registry, 'GET', `/v2/${repository}/blobs/${digest}`, null);
  if (response.status !== 200) throw new Error(`get blob ${digest}: HTTP ${response.status}`);
  return response.body;
}

// Returns an uncompressed tar of the given files (name → content), made with GNU tar.
export function makeLayerTar(files: Record<string, string>): Buffer {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-layer-'));
  try {
    for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(directory, name), content);
    return execFileSync('tar', ['--sort=name', '--owner=0', '--group=0', '--mtime=@0', '-C', directory, '-cf', '-', ...Object.keys(files)]);
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

export function zstdCompress(content: Buffer): Buffer {
  return execFileSync('zstd', ['-q', '-c'], { input: content });
}

export function gzipCompress(content: Buffer): Buffer {
  return zlib.gzipSync(content);
}

export interface BaseImage {
  // The repository the base image was read from, where its layers can be mounted from.
  repository: string;
  manifest: { config: Descriptor; layers: Descriptor[] };
  config: { architecture: string; os: string; rootfs: { type: 'layers'; diff_ids: string[] }; config?: Record<string, unknown>; [key: string]: unknown };
}

// Reads the busybox image that skopeo pushed, to build derived images on its layer.
export async function readBaseImage(registry: TestRegistry, repository: string, tag: string): Promise<BaseImage> {
  const manifest = JSON.parse((await getManifest(registry, repository, tag)).toString());
  const config = JSON.parse((await getBlob(registry, repository, manifest.config.digest)).toString());
  return { repository, manifest, config };
}

// Pushes an OCI image made of the base image's layers plus extra layers, with config changes; returns the manifest descriptor.
export async function pushDerivedImage(
  registry: TestRegistry,
  repository: string,
  tag: string | null,
  base: BaseImage,
  extraLayers: Array<{ uncompressed: Buffer; blob: Buffer; mediaType: string }>,
  configChanges: Record<string, unknown> = {},
): Promise<{ manifest: Descriptor; configDigest: string }> {
  const layers: Descriptor[] = [];
  for (const layer of base.manifest.layers) {
    // Cross-repository mount: the registry returns 201 when the blob exists in the source repository.
    const mounted = await call(registry, 'POST', `/v2/${repository}/blobs/uploads/?mount=${layer.digest}&from=${base.repository}`, null);
    if (mounted.status !== 201) throw new Error(`mount ${layer.digest} into ${repository}: HTTP ${mounted.status}`);
    layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer.digest, size: layer.size });
  }
  const diffIds = [...base.config.rootfs.diff_ids];
  for (const extra of extraLayers) {
    layers.push(await uploadBlob(registry, repository, extra.blob, extra.mediaType));
    diffIds.push(sha256(extra.uncompressed));
  }
  const config = { ...base.config, ...configChanges, rootfs: { type: 'layers', diff_ids: diffIds } };
  const configDescriptor = await uploadBlob(registry, repository, Buffer.from(JSON.stringify(config)), OCI_CONFIG);
  const manifest = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: configDescriptor, layers };
  const descriptor = await putManifest(registry, repository, tag ?? sha256(JSON.stringify(manifest)), OCI_MANIFEST, manifest);
  return { manifest: descriptor, configDigest: configDescriptor.digest };
}
