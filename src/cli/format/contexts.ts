// Row objects for --format templates: the fields docker's ps, images and
// volume ls templates can use, computed from the Engine API's list responses.
// Each class is a Go struct to the template engine (fields are methods), and
// its JSON form lists every field with sorted keys, as docker marshals it.
import { familiarName, familiarString, tryParseReference } from '../reference';
import { quoteGoString } from './go-format';
import { escapeJsonHtml, type JsonMarshaler } from './template-functions';
import { goTimeString, humanDuration, humanSize, humanSizeWithPrecision } from './units';

export interface ApiPort {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

export interface ApiContainerSummary {
  Id: string;
  Names?: string[] | null;
  Image?: string;
  ImageID?: string;
  Command?: string;
  Created?: number;
  Ports?: ApiPort[] | null;
  SizeRw?: number;
  SizeRootFs?: number;
  Labels?: Record<string, string> | null;
  State?: string;
  Status?: string;
  NetworkSettings?: { Networks?: Record<string, unknown> | null } | null;
  Mounts?: Array<{ Name?: string; Source?: string; Driver?: string }> | null;
}

export interface ApiImageSummary {
  Id: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Created?: number;
  Size?: number;
  SharedSize?: number;
  Containers?: number;
}

export interface ApiVolume {
  Name: string;
  Driver: string;
  Mountpoint: string;
  Scope?: string;
  Labels?: Record<string, string> | null;
  UsageData?: { Size: number; RefCount: number } | null;
}

// Shortens an ID to 12 characters after removing an "algorithm:" prefix.
export function truncateId(id: string): string {
  const colon = id.indexOf(':');
  return id.slice(colon + 1, colon + 1 + 12);
}

// Cuts text to a display width, ending with "…" when cut (docker's formatter.Ellipsis for single-width text).
export function ellipsis(text: string, maxWidth: number): string {
  const characters = [...text];
  if (maxWidth <= 0) return '';
  if (characters.length <= maxWidth) return text;
  if (maxWidth === 1) return characters[0];
  return `${characters.slice(0, maxWidth - 1).join('')}…`;
}

function sortedLabels(labels: Record<string, string> | null | undefined): string {
  if (!labels) return '';
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .sort()
    .join(',');
}

function joinHostPort(host: string, port: string | number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function comparePorts(a: ApiPort, b: ApiPort): number {
  if (a.PrivatePort !== b.PrivatePort) return a.PrivatePort - b.PrivatePort;
  const ipA = a.IP ?? '';
  const ipB = b.IP ?? '';
  if (ipA !== ipB) return ipA < ipB ? -1 : 1;
  if ((a.PublicPort ?? 0) !== (b.PublicPort ?? 0)) return (a.PublicPort ?? 0) - (b.PublicPort ?? 0);
  if (a.Type === b.Type) return 0;
  return a.Type < b.Type ? -1 : 1;
}

// Formats ports as docker ps does: consecutive exposed ports grouped into
// ranges ("8000-8002/tcp"), then published mappings ("0.0.0.0:8080->80/tcp").
export function displayablePorts(ports: ApiPort[]): string {
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];

  const formGroup = (key: string, first: number, last: number): string => {
    const slash = key.lastIndexOf('/');
    const ip = slash === -1 ? '' : key.slice(0, slash);
    const protocol = slash === -1 ? key : key.slice(slash + 1);
    let group = first === last ? String(first) : `${first}-${last}`;
    if (ip !== '') group = `${joinHostPort(ip, group)}->${group}`;
    return `${group}/${protocol}`;
  };

  for (const port of [...ports].sort(comparePorts)) {
    let key = port.Type;
    if (port.IP) {
      if (port.PublicPort !== port.PrivatePort) {
        hostMappings.push(`${joinHostPort(port.IP, port.PublicPort ?? 0)}->${port.PrivatePort}/${port.Type}`);
        continue;
      }
      key = `${port.IP}/${port.Type}`;
    }
    const group = groups.get(key);
    if (!group) {
      groups.set(key, { first: port.PrivatePort, last: port.PrivatePort });
    } else if (port.PrivatePort === group.last + 1) {
      group.last = port.PrivatePort;
    } else {
      result.push(formGroup(key, group.first, group.last));
      groups.set(key, { first: port.PrivatePort, last: port.PrivatePort });
    }
  }
  for (const [key, group] of groups) result.push(formGroup(key, group.first, group.last));
  return [...result, ...hostMappings].join(', ');
}

// Serializes the named no-argument fields of a row with sorted keys and Go's HTML escaping.
function marshalFields(row: object, fields: string[]): string {
  const record: Record<string, unknown> = {};
  for (const field of [...fields].sort()) {
    const member = (row as Record<string, unknown>)[field];
    record[field] = typeof member === 'function' ? (member as () => unknown).call(row) : member;
  }
  return escapeJsonHtml(JSON.stringify(record));
}

export const CONTAINER_HEADERS: Record<string, string> = {
  ID: 'CONTAINER ID',
  Names: 'NAMES',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS',
  Platform: 'PLATFORM',
};

export const DEFAULT_CONTAINER_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

export class ContainerRow implements JsonMarshaler {
  readonly templateTypeName = '*formatter.ContainerContext';

  constructor(
    private readonly container: ApiContainerSummary,
    private readonly truncate: boolean,
    private readonly now: number = Date.now(),
  ) {}

  ID(): string {
    return this.truncate ? truncateId(this.container.Id) : this.container.Id;
  }

  Names(): string {
    const names = (this.container.Names ?? []).map((name) => name.replace(/^\//, ''));
    // Truncated output shows one name, skipping legacy link names such as "other/alias".
    if (this.truncate) return names.find((name) => !name.includes('/')) ?? '';
    return names.join(',');
  }

  Image(): string {
    const image = this.container.Image ?? '';
    if (image === '') return '<no image>';
    if (!this.truncate) return image;
    const shortId = truncateId(this.container.ImageID ?? '');
    if (shortId !== '' && shortId === truncateId(image)) return shortId;
    const reference = tryParseReference(image);
    if (!reference) return image;
    return familiarString({ ...reference, digest: null });
  }

  Command(): string {
    const command = this.container.Command ?? '';
    return quoteGoString(this.truncate ? ellipsis(command, 20) : command);
  }

  CreatedAt(): string {
    return goTimeString(this.container.Created ?? 0);
  }

  RunningFor(): string {
    return `${humanDuration(this.now - (this.container.Created ?? 0) * 1000)} ago`;
  }

  Ports(): string {
    return displayablePorts(this.container.Ports ?? []);
  }

  State(): string {
    return this.container.State ?? '';
  }

  Status(): string {
    return this.container.Status ?? '';
  }

  Size(): string {
    const writable = humanSizeWithPrecision(this.container.SizeRw ?? 0, 3);
    const rootfs = this.container.SizeRootFs ?? 0;
    return rootfs > 0 ? `${writable} (virtual ${humanSizeWithPrecision(rootfs, 3)})` : writable;
  }

  Labels(): string {
    return sortedLabels(this.container.Labels);
  }

  Label(name: string): string {
    return this.container.Labels?.[name] ?? '';
  }

  Mounts(): string {
    return (this.container.Mounts ?? [])
      .map((mount) => {
        const name = mount.Name ? mount.Name : (mount.Source ?? '');
        return this.truncate ? ellipsis(name, 15) : name;
      })
      .join(',');
  }

  LocalVolumes(): string {
    return String((this.container.Mounts ?? []).filter((mount) => mount.Driver === 'local').length);
  }

  Networks(): string {
    return Object.keys(this.container.NetworkSettings?.Networks ?? {}).join(',');
  }

  Platform(): null {
    return null;
  }

  toTemplateJson(): string {
    return marshalFields(this, Object.keys(CONTAINER_HEADERS));
  }
}

export const IMAGE_HEADERS: Record<string, string> = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  VirtualSize: 'VIRTUAL SIZE',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
};

export const DEFAULT_IMAGE_TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
export const DEFAULT_IMAGE_TABLE_WITH_DIGESTS = 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';

export class ImageRow implements JsonMarshaler {
  readonly templateTypeName = '*formatter.imageContext';

  constructor(
    private readonly image: ApiImageSummary,
    readonly repository: string,
    readonly tag: string,
    readonly digest: string,
    private readonly truncate: boolean,
    private readonly now: number = Date.now(),
  ) {}

  ID(): string {
    return this.truncate ? truncateId(this.image.Id) : this.image.Id;
  }

  Repository(): string {
    return this.repository;
  }

  Tag(): string {
    return this.tag;
  }

  Digest(): string {
    return this.digest;
  }

  CreatedSince(): string {
    const created = this.image.Created ?? 0;
    if (created === 0) return 'N/A';
    return `${humanDuration(this.now - created * 1000)} ago`;
  }

  CreatedAt(): string {
    return goTimeString(this.image.Created ?? 0);
  }

  Size(): string {
    return humanSizeWithPrecision(this.image.Size ?? 0, 3);
  }

  Containers(): string {
    const containers = this.image.Containers ?? -1;
    return containers === -1 ? 'N/A' : String(containers);
  }

  VirtualSize(): string {
    return humanSize(this.image.Size ?? 0);
  }

  SharedSize(): string {
    const shared = this.image.SharedSize ?? -1;
    return shared === -1 ? 'N/A' : humanSize(shared);
  }

  UniqueSize(): string {
    const shared = this.image.SharedSize ?? -1;
    return shared === -1 ? 'N/A' : humanSize((this.image.Size ?? 0) - shared);
  }

  toTemplateJson(): string {
    return marshalFields(this, Object.keys(IMAGE_HEADERS));
  }
}

// Expands images into rows as docker images does: one row per repository tag,
// a "<none>" tag row for a repository known only by digest, and one
// "<none> <none>" row for an image with neither.
export function imageRows(images: ApiImageSummary[], options: { truncate: boolean; digests: boolean; now?: number }): ImageRow[] {
  const rows: ImageRow[] = [];
  const now = options.now ?? Date.now();
  for (const image of images) {
    const tagsByRepository = new Map<string, string[]>();
    const digestsByRepository = new Map<string, string[]>();
    for (const text of image.RepoTags ?? []) {
      const reference = tryParseReference(text);
      if (!reference || reference.tag === null) continue;
      const name = familiarName(reference);
      tagsByRepository.set(name, [...(tagsByRepository.get(name) ?? []), reference.tag]);
    }
    for (const text of image.RepoDigests ?? []) {
      const reference = tryParseReference(text);
      if (!reference || reference.digest === null) continue;
      const name = familiarName(reference);
      digestsByRepository.set(name, [...(digestsByRepository.get(name) ?? []), reference.digest]);
    }

    for (const [repository, tags] of tagsByRepository) {
      const digests = options.digests ? (digestsByRepository.get(repository) ?? []) : [];
      digestsByRepository.delete(repository);
      for (const tag of tags) {
        if (digests.length === 0) rows.push(new ImageRow(image, repository, tag, '<none>', options.truncate, now));
        else for (const digest of digests) rows.push(new ImageRow(image, repository, tag, digest, options.truncate, now));
      }
    }
    for (const [repository, digests] of digestsByRepository) {
      if (options.digests) for (const digest of digests) rows.push(new ImageRow(image, repository, '<none>', digest, options.truncate, now));
      else rows.push(new ImageRow(image, repository, '<none>', '<none>', options.truncate, now));
    }
    if ((image.RepoTags ?? []).length === 0 && (image.RepoDigests ?? []).length === 0) {
      rows.push(new ImageRow(image, '<none>', '<none>', '<none>', options.truncate, now));
    }
  }
  return rows;
}

export const VOLUME_HEADERS: Record<string, string> = {
  Name: 'VOLUME NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  Mountpoint: 'MOUNTPOINT',
  Labels: 'LABELS',
  Links: 'LINKS',
  Size: 'SIZE',
  Group: 'GROUP',
  Availability: 'AVAILABILITY',
  Status: 'STATUS',
};

export const DEFAULT_VOLUME_TABLE = 'table {{.Driver}}\t{{.Name}}';

export class VolumeRow implements JsonMarshaler {
  readonly templateTypeName = '*formatter.volumeContext';

  constructor(private readonly volume: ApiVolume) {}

  Name(): string {
    return this.volume.Name;
  }

  Driver(): string {
    return this.volume.Driver;
  }

  Scope(): string {
    return this.volume.Scope ?? 'local';
  }

  Mountpoint(): string {
    return this.volume.Mountpoint;
  }

  Labels(): string {
    return sortedLabels(this.volume.Labels);
  }

  Label(name: string): string {
    return this.volume.Labels?.[name] ?? '';
  }

  Links(): string {
    const usage = this.volume.UsageData;
    return usage ? String(usage.RefCount) : 'N/A';
  }

  Size(): string {
    const usage = this.volume.UsageData;
    return usage && usage.Size !== -1 ? humanSize(usage.Size) : 'N/A';
  }

  // Cluster volume fields, which a single-host engine never has.
  Group(): string {
    return 'N/A';
  }

  Availability(): string {
    return 'N/A';
  }

  Status(): string {
    return 'N/A';
  }

  toTemplateJson(): string {
    return marshalFields(this, Object.keys(VOLUME_HEADERS));
  }
}
