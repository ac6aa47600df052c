// Platform requests ("linux/arm/v7") and the choice of a manifest list or
// OCI index entry. The rules follow containerd's matcher, which Docker uses.
// The os and architecture must be equal after normalization. An older variant
// may stand in for a newer request (arm v7 accepts v6 and v5), never the reverse.
import { InvalidArgumentError, NotFoundError } from '../../common/errors';
import { hostArchitecture } from '../image-config';

export interface Platform {
  os: string;
  architecture: string;
  variant: string | null;
}

const ARCHITECTURE_ALIASES: Record<string, { architecture: string; variant?: string }> = {
  x86_64: { architecture: 'amd64' },
  'x86-64': { architecture: 'amd64' },
  aarch64: { architecture: 'arm64' },
  armhf: { architecture: 'arm', variant: 'v7' },
  armel: { architecture: 'arm', variant: 'v6' },
  i386: { architecture: '386' },
};

// Variants in ascending order of capability, per architecture.
const VARIANT_ORDER: Record<string, string[]> = {
  arm: ['v5', 'v6', 'v7', 'v8'],
  arm64: ['v8', 'v8.1', 'v8.2', 'v8.3', 'v8.4', 'v8.5', 'v8.6', 'v8.7', 'v8.8', 'v8.9', 'v9', 'v9.1', 'v9.2', 'v9.3', 'v9.4', 'v9.5'],
  amd64: ['v1', 'v2', 'v3', 'v4'],
};

// The variant an unset variant means for matching.
const DEFAULT_VARIANT: Record<string, string> = { arm: 'v7', arm64: 'v8', amd64: 'v1' };

export function hostPlatform(): Platform {
  return { os: 'linux', architecture: hostArchitecture(), variant: null };
}

// Parses "os[/arch[/variant]]" as `docker pull --platform` does; an empty string means the host.
export function parsePlatform(text: string | null | undefined): Platform {
  if (text === null || text === undefined || text.trim() === '') return hostPlatform();
  const parts = text.trim().toLowerCase().split('/');
  if (parts.length > 3 || parts.some((part) => part === '' || !/^[a-z0-9_.-]+$/.test(part))) {
    throw new InvalidArgumentError(`invalid platform "${text}": expected os[/architecture[/variant]], such as linux/arm64 or linux/arm/v7`);
  }
  const os = parts[0];
  const architecture = parts[1] ?? hostArchitecture();
  return normalizePlatform({ os, architecture, variant: parts[2] ?? null });
}

export function normalizePlatform(platform: Platform): Platform {
  const alias = ARCHITECTURE_ALIASES[platform.architecture];
  const architecture = alias?.architecture ?? platform.architecture;
  let variant = platform.variant || alias?.variant || null;
  if (architecture === 'arm64' && variant === '8') variant = 'v8';
  if (architecture === 'arm' && variant !== null && /^[5-8]$/.test(variant)) variant = `v${variant}`;
  return { os: platform.os.toLowerCase() === 'macos' ? 'darwin' : platform.os.toLowerCase(), architecture, variant };
}

export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}

// Returns how well a candidate serves the request: null when it cannot, else a
// rank where higher is better (an exact variant beats an older stand-in).
export function matchRank(request: Platform, candidate: Platform): number | null {
  const wanted = normalizePlatform(request);
  const offered = normalizePlatform(candidate);
  if (wanted.os !== offered.os || wanted.architecture !== offered.architecture) return null;

  const order = VARIANT_ORDER[wanted.architecture];
  const wantedVariant = wanted.variant ?? DEFAULT_VARIANT[wanted.architecture] ?? null;
  const offeredVariant = offered.variant ?? DEFAULT_VARIANT[offered.architecture] ?? null;
  if (!order) return wantedVariant === offeredVariant || offeredVariant === null ? 1 : null;
  if (offeredVariant === null || wantedVariant === null) return 1;
  const wantedIndex = order.indexOf(wantedVariant);
  const offeredIndex = order.indexOf(offeredVariant);
  if (wantedIndex === -1 || offeredIndex === -1) return wantedVariant === offeredVariant ? order.length + 1 : null;
  if (offeredIndex > wantedIndex) return null;
  return offeredIndex + 1;
}

export interface IndexEntry {
  mediaType?: string;
  digest: string;
  size: number;
  platform?: { os?: string; architecture?: string; variant?: string };
}

// Picks the best entry for the platform; the first of equally good entries wins, as in containerd.
export function selectManifest(entries: readonly IndexEntry[], request: Platform): IndexEntry {
  let best: IndexEntry | null = null;
  let bestRank = -1;
  for (const entry of entries) {
    if (!entry.platform?.os || !entry.platform.architecture) continue;
    const rank = matchRank(request, { os: entry.platform.os, architecture: entry.platform.architecture, variant: entry.platform.variant ?? null });
    if (rank !== null && rank > bestRank) {
      best = entry;
      bestRank = rank;
    }
  }
  if (best === null) throw new NotFoundError(`no matching manifest for ${formatPlatform(normalizePlatform(request))} in the manifest list entries`);
  return best;
}
