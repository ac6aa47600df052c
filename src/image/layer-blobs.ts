// Layer blobs that loaded, imported and committed images keep for push and
// save, and the manifest that names them. A blob is the layer tar in the form
// the image came with (plain, gzip or zstd). xz and bzip2 have no media type
// in either manifest format, so such layers are stored as plain tars instead.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError } from '../common/errors';
import { decompress, detectCompression, type Compression } from './decompress';
import { sha256Digest } from './digest';
import { MEDIA_TYPES } from './distribution/manifest';

const MAGIC_BYTES = 6;

export const LAYER_MEDIA_TYPES = {
  dockerTar: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociTar: 'application/vnd.oci.image.layer.v1.tar',
  ociGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
};

// A layer blob ready for the content store: a file whose digest and size were computed from its content.
export interface LayerBlob {
  file: string;
  digest: string;
  size: number;
  compression: 'none' | 'gzip' | 'zstd';
}

export interface BuiltManifest {
  digest: string;
  content: Buffer;
}

// Returns the compression of a file from its first bytes.
export async function fileCompression(file: string): Promise<Compression> {
  const handle = await fsp.open(file, 'r');
  try {
    const head = Buffer.alloc(MAGIC_BYTES);
    const { bytesRead } = await handle.read(head, 0, MAGIC_BYTES, 0);
    return detectCompression(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

// Writes a stream to a new file and returns the sha256 digest and size of what was written.
export async function spoolToFile(source: AsyncIterable<Buffer>, file: string): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const counter = new PassThrough();
  counter.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    size += chunk.length;
  });
  await pipeline(source, counter, fs.createWriteStream(file, { flags: 'wx', mode: 0o600 }));
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

// Returns the blob to keep for a layer file whose digest is known. An xz or
// bzip2 file is decompressed to plainFile, which must then hash to diffId.
export async function layerBlobFor(file: { file: string; digest: string; size: number }, diffId: string, plainFile: string): Promise<LayerBlob> {
  const compression = await fileCompression(file.file);
  if (compression === 'none' || compression === 'gzip' || compression === 'zstd') return { ...file, compression };

  const { data } = await decompress(fs.createReadStream(file.file));
  const plain = await spoolToFile(data, plainFile);
  if (plain.digest !== diffId) {
    throw new InvalidArgumentError(`store layer blob ${file.digest}: the ${compression} content decompresses to ${plain.digest}, but the config lists ${diffId}`);
  }
  return { file: plainFile, ...plain, compression: 'none' };
}

// Builds a Docker schema 2 manifest for the config and layers, or an OCI
// manifest when a layer is zstd, which schema 2 has no media type for.
export function buildManifest(config: { digest: string; size: number }, layers: readonly LayerBlob[]): BuiltManifest {
  const oci = layers.some((layer) => layer.compression === 'zstd');
  const layerType = (compression: LayerBlob['compression']) => {
    if (oci) {
      if (compression === 'zstd') return LAYER_MEDIA_TYPES.ociZstd;
      return compression === 'gzip' ? LAYER_MEDIA_TYPES.ociGzip : LAYER_MEDIA_TYPES.ociTar;
    }
    return compression === 'gzip' ? LAYER_MEDIA_TYPES.dockerGzip : LAYER_MEDIA_TYPES.dockerTar;
  };
  const manifest = {
    schemaVersion: 2,
    mediaType: oci ? MEDIA_TYPES.ociManifest : MEDIA_TYPES.dockerManifest,
    config: { mediaType: oci ? MEDIA_TYPES.ociConfig : MEDIA_TYPES.dockerConfig, size: config.size, digest: config.digest },
    layers: layers.map((layer) => ({ mediaType: layerType(layer.compression), size: layer.size, digest: layer.digest })),
  };
  const content = Buffer.from(JSON.stringify(manifest, null, 3));
  return { digest: sha256Digest(content), content };
}
