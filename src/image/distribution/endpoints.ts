// Which URLs a pull or push of a registry host tries, in order, and with
// which TLS trust. As Docker does: docker.io goes to its mirrors first, then
// to registry-1.docker.io unless mirrorsOnly is set; other hosts use HTTPS,
// and insecure registries (localhost, 127.0.0.0/8, ::1 and those configured)
// skip certificate checks and fall back to plain HTTP.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { RegistrySettings } from '../../common/config';
import { InvalidArgumentError } from '../../common/errors';
import { DEFAULT_DOMAIN } from '../reference';

export const DOCKER_HUB_ENDPOINT = 'https://registry-1.docker.io';
export const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export interface RegistryEndpoint {
  // Base URL without a trailing slash: "https://127.0.0.1:5000".
  url: string;
  mirror: boolean;
  // True for insecure registries: certificates are not checked.
  skipTlsVerify: boolean;
  // PEM CA certificates to trust: the system bundle plus the host's certs.d files.
  ca: Buffer[];
}

export interface EndpointSettings {
  registry: RegistrySettings;
  // Directories holding <host:port>/*.crt files.
  certsDirectories: string[];
}

export function resolveEndpoints(domain: string, settings: EndpointSettings): RegistryEndpoint[] {
  if (domain === DEFAULT_DOMAIN) {
    const endpoints = settings.registry.mirrors.map((mirror) => mirrorEndpoint(mirror, settings));
    if (!settings.registry.mirrorsOnly) endpoints.push(endpointFor(DOCKER_HUB_ENDPOINT, false, false, settings));
    if (endpoints.length === 0) {
      throw new InvalidArgumentError('pull from docker.io: mirrorsOnly is set but no registry mirror is configured');
    }
    return endpoints;
  }

  const insecure = isInsecureRegistry(domain, settings.registry.insecureRegistries);
  const endpoints = [endpointFor(`https://${domain}`, false, insecure, settings)];
  if (insecure) endpoints.push(endpointFor(`http://${domain}`, false, true, settings));
  return endpoints;
}

function mirrorEndpoint(mirror: string, settings: EndpointSettings): RegistryEndpoint {
  let url: URL;
  try {
    url = new URL(mirror);
  } catch (error) {
    throw new InvalidArgumentError(`invalid registry mirror "${mirror}": expected a URL such as https://mirror.example:5000`, { cause: error });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError(`invalid registry mirror "${mirror}": the scheme must be http or https`);
  }
  const insecure = url.protocol === 'http:' || isInsecureRegistry(url.host, settings.registry.insecureRegistries);
  return endpointFor(`${url.protocol}//${url.host}`, true, insecure, settings);
}

function endpointFor(base: string, mirror: boolean, skipTlsVerify: boolean, settings: EndpointSettings): RegistryEndpoint {
  const host = new URL(base).host;
  return { url: base, mirror, skipTlsVerify, ca: [...systemCertificates(), ...hostCertificates(host, settings.certsDirectories)] };
}

// True for localhost, loopback addresses and registries listed as insecure,
// either by "host:port", by host, or by an IPv4 CIDR range ("10.0.0.0/8").
export function isInsecureRegistry(domain: string, insecureRegistries: readonly string[]): boolean {
  const host = hostOf(domain);
  if (host === 'localhost' || host === '::1') return true;
  if (net.isIPv4(host) && host.startsWith('127.')) return true;
  for (const entry of insecureRegistries) {
    const trimmed = entry.replace(/^https?:\/\//, '').replace(/\/$/, '');
    if (trimmed === domain || trimmed === host) return true;
    if (trimmed.includes('/') && net.isIPv4(host) && inCidr(host, trimmed)) return true;
  }
  return false;
}

function hostOf(domain: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(domain);
  if (bracketed) return bracketed[1];
  return domain.replace(/:\d+$/, '');
}

function inCidr(address: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  if (!net.isIPv4(base) || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const toNumber = (ip: string) => ip.split('.').reduce((total, part) => total * 256 + Number(part), 0);
  const mask = bits === 0 ? 0 : 2 ** 32 - 2 ** (32 - bits);
  return (toNumber(address) & mask) >>> 0 === (toNumber(base) & mask) >>> 0;
}

let systemBundle: Buffer | null = null;

// Node's https module replaces its built-in roots when given a ca list, so the system bundle is loaded explicitly.
function systemCertificates(): Buffer[] {
  if (systemBundle === null) {
    try {
      systemBundle = fs.readFileSync(SYSTEM_CA_BUNDLE);
    } catch {
      systemBundle = Buffer.alloc(0);
    }
  }
  return systemBundle.length > 0 ? [systemBundle] : [];
}

// Reads <directory>/<host:port>/*.crt from every certs directory, the layout Docker uses.
export function hostCertificates(host: string, directories: readonly string[]): Buffer[] {
  const certificates: Buffer[] = [];
  for (const directory of directories) {
    const hostDirectory = path.join(directory, host);
    let names: string[];
    try {
      names = fs.readdirSync(hostDirectory);
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      if (name.endsWith('.crt')) certificates.push(fs.readFileSync(path.join(hostDirectory, name)));
    }
  }
  return certificates;
}
