// Actor IDs and attributes of image events, as dockerd builds them. Pull and
// push name the reference ("busybox:latest", name "busybox"), and the other
// actions name the image ID. Attributes carry the image's labels when the image exists.
import type { ImageRecord } from '../image/types';

const REFERENCE_ACTIONS = new Set(['pull', 'push']);

// Splits "registry:5000/repo:tag" or "repo@sha256:..." into the repository and the tag or digest suffix.
function splitReference(reference: string): { repository: string; suffix: string } {
  const at = reference.indexOf('@');
  if (at !== -1) return { repository: reference.slice(0, at), suffix: reference.slice(at) };
  const colon = reference.lastIndexOf(':');
  if (colon > reference.lastIndexOf('/')) return { repository: reference.slice(0, colon), suffix: reference.slice(colon) };
  return { repository: reference, suffix: ':latest' };
}

// Shortens a normalized reference the way Docker prints it: "docker.io/library/busybox:1" is "busybox:1".
export function familiarReference(reference: string): string {
  if (reference.startsWith('docker.io/library/')) return reference.slice('docker.io/library/'.length);
  if (reference.startsWith('docker.io/')) return reference.slice('docker.io/'.length);
  return reference;
}

export function imageEventIdentity(action: string, reference: string, resolve: (reference: string) => ImageRecord): { actorId: string; attributes: Record<string, string> } {
  let image: ImageRecord | null = null;
  try {
    image = resolve(reference);
  } catch {
    // A pushed or saved reference that no longer resolves still gets its event, without labels.
  }
  const labels = image?.config.config?.Labels ?? {};

  if (REFERENCE_ACTIONS.has(action)) {
    const { repository, suffix } = splitReference(familiarReference(reference));
    return { actorId: `${repository}${suffix}`, attributes: { ...labels, name: repository } };
  }
  const id = image?.id ?? reference;
  return { actorId: id, attributes: { ...labels, name: id } };
}
