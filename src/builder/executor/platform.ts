// The automatic platform ARGs BuildKit defines (BUILDPLATFORM, TARGETPLATFORM
// and their OS, architecture and variant parts). They are in scope for FROM
// lines, and a stage can use one only after declaring it, as in `ARG TARGETARCH`.
import { InvalidArgumentError } from '../../common/errors';

// Node's process.arch names mapped to the GOARCH names OCI platforms use.
const GO_ARCHITECTURES: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
};

export interface Platform {
  os: string;
  architecture: string;
  variant: string;
}

export function daemonPlatform(): Platform {
  return { os: 'linux', architecture: GO_ARCHITECTURES[process.arch] ?? process.arch, variant: '' };
}

// Parses "os/arch[/variant]" as --platform takes it.
export function parsePlatform(text: string): Platform {
  const parts = text.trim().toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((part) => part === '')) {
    throw new InvalidArgumentError(`invalid platform ${JSON.stringify(text)}: use os/arch[/variant], such as linux/amd64`);
  }
  return { os: parts[0], architecture: parts[1], variant: parts[2] ?? '' };
}

export function formatPlatform(platform: Platform): string {
  const base = `${platform.os}/${platform.architecture}`;
  return platform.variant === '' ? base : `${base}/${platform.variant}`;
}

export function automaticPlatformArgs(targetPlatform: string | null): Map<string, string> {
  const build = daemonPlatform();
  const target = targetPlatform === null ? build : parsePlatform(targetPlatform);

  return new Map([
    ['BUILDPLATFORM', formatPlatform(build)],
    ['BUILDOS', build.os],
    ['BUILDARCH', build.architecture],
    ['BUILDVARIANT', build.variant],
    ['TARGETPLATFORM', formatPlatform(target)],
    ['TARGETOS', target.os],
    ['TARGETARCH', target.architecture],
    ['TARGETVARIANT', target.variant],
  ]);
}
