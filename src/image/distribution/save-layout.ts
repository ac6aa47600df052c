// The index files of a `docker save` archive in the layout that Docker 25 and
// later write. The archive is a docker-archive (manifest.json, repositories)
// and an OCI image layout (oci-layout, index.json, one OCI manifest per image)
// at once. Both name the same blobs/sha256/ files, so each layer is stored once.
import { createHash } from 'node:crypto';
import { familiarize, parseReference } from '../reference';
import { MEDIA_TYPES } from './manifest';

const OCI_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';
// containerd's annotation for the full image name. Docker 25 writes it too.
const IMAGE_NAME_ANNOTATION = 'io.containerd.image.name';
const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

// One image as written into the archive: its config and uncompressed layer tars.
export interface SavedImage {
  id: string;
  configSize: number;
  // Normalized tag references, such as docker.io/library/busybox:latest.
  repoTags: string[];
  // Uncompressed layer tars: digest (the diff ID) and size, bottom layer first.
  layers: Array<{ digest: string; size: number }>;
}

export interface LayoutFile {
  name: string;
  content: Buffer;
}

export function blobName(digest: string): string {
  return `blobs/sha256/${digest.slice('sha256:'.length)}`;
}

// Returns the OCI manifest blobs, index.json, manifest.json, oci-layout and repositories.
export function layoutFiles(images: readonly SavedImage[]): LayoutFile[] {
  const files: LayoutFile[] = [];
  const indexEntries: object[] = [];
  const dockerManifest: object[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  const writtenManifests = new Set<string>();

  for (const image of images) {
    const manifest = ociManifest(image);
    if (!writtenManifests.has(manifest.digest)) {
      files.push({ name: blobName(manifest.digest), content: manifest.content });
      writtenManifests.add(manifest.digest);
    }
    const descriptor = { mediaType: MEDIA_TYPES.ociManifest, digest: manifest.digest, size: manifest.content.length };

    // An image saved by ID has no name, so its index entry has no annotations.
    if (image.repoTags.length === 0) indexEntries.push(descriptor);
    for (const tag of image.repoTags) {
      indexEntries.push({ ...descriptor, annotations: { [IMAGE_NAME_ANNOTATION]: tag, [REF_NAME_ANNOTATION]: parseReference(tag).tag ?? 'latest' } });
    }

    const familiarTags = image.repoTags.map(familiarize);
    dockerManifest.push({ Config: blobName(image.id), RepoTags: familiarTags.length > 0 ? familiarTags : null, Layers: image.layers.map((layer) => blobName(layer.digest)) });

    // The repositories file maps each tag to the top layer, which older loaders expect.
    const topLayer = image.layers.at(-1)?.digest.slice('sha256:'.length) ?? '';
    for (const tag of familiarTags) {
      const separator = tag.lastIndexOf(':');
      const repository = tag.slice(0, separator);
      repositories[repository] = { ...repositories[repository], [tag.slice(separator + 1)]: topLayer };
    }
  }

  const index = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: indexEntries };
  files.push({ name: 'index.json', content: Buffer.from(JSON.stringify(index)) });
  files.push({ name: 'manifest.json', content: Buffer.from(JSON.stringify(dockerManifest)) });
  files.push({ name: 'oci-layout', content: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })) });
  if (Object.keys(repositories).length > 0) files.push({ name: 'repositories', content: Buffer.from(JSON.stringify(repositories)) });
  return files;
}

// Builds the OCI manifest of an image whose layers are stored uncompressed.
function ociManifest(image: SavedImage): { digest: string; content: Buffer } {
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: { mediaType: MEDIA_TYPES.ociConfig, digest: image.id, size: image.configSize },
    layers: image.layers.map((layer) => ({ mediaType: OCI_LAYER_TAR, digest: layer.digest, size: layer.size })),
  };
  const content = Buffer.from(JSON.stringify(manifest));
  return { digest: `sha256:${createHash('sha256').update(content).digest('hex')}`, content };
}
