// Published ports: parsing of `-p [hostIp:][hostPort:]containerPort[/proto]`
// and of the API's PortBindings, and the choice of host ports.
//
// Forwarding itself is kernel DNAT (firewall/rules.ts), with no userland proxy.
// Access from the host's loopback works through an OUTPUT DNAT rule plus
// route_localnet=1 on the bridge and a masquerade of 127.0.0.0/8 sources, so
// one mechanism covers every host address and no proxy process per port is needed.
import dgram from 'node:dgram';
import net from 'node:net';
import { ConflictError, InvalidArgumentError } from '../common/errors';
import { isIPv4 } from './cidr';
import type { PortBinding, PortProtocol, PortSpec } from './types';

// Host ports that a random choice takes from; Docker uses the same default range.
export const RANDOM_PORT_RANGE: readonly [number, number] = [49153, 65535];

interface PortRange {
  start: number;
  end: number;
}

function parseRange(text: string, field: 'containerPort' | 'hostPort'): PortRange {
  const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  const start = match ? Number(match[1]) : NaN;
  const end = match?.[2] !== undefined ? Number(match[2]) : start;
  if (!match || start < 1 || end > 65535 || end < start) {
    throw new InvalidArgumentError(`invalid ${field}: ${text}`);
  }
  return { start, end };
}

function parseProtocol(text: string): PortProtocol {
  const protocol = text.toLowerCase();
  if (protocol !== 'tcp' && protocol !== 'udp') {
    throw new InvalidArgumentError(`invalid proto: ${text}: Berth publishes tcp and udp ports`);
  }
  return protocol;
}

function checkHostIp(hostIp: string): string {
  if (hostIp === '') return '';
  if (!isIPv4(hostIp)) throw new InvalidArgumentError(`invalid IP address: ${hostIp}: Berth publishes on IPv4 addresses only`);
  return hostIp;
}

// Parses one -p value into one spec per container port. A host port range maps
// one to one onto a container range of the same length. A single container port
// with a host range is also accepted, as Docker does, and one free port of the range is used.
export function parsePortSpec(text: string): (PortSpec & { hostPortEnd: number })[] {
  const slash = text.lastIndexOf('/');
  const protocol = slash >= 0 ? parseProtocol(text.slice(slash + 1)) : 'tcp';
  const address = slash >= 0 ? text.slice(0, slash) : text;
  const parts = address.split(':');
  if (parts.length > 3) throw new InvalidArgumentError(`invalid port specification: "${text}": expected [hostIp:][hostPort:]containerPort[/proto]`);

  const containerText = parts[parts.length - 1];
  const hostPortText = parts.length >= 2 ? parts[parts.length - 2] : '';
  const hostIp = checkHostIp(parts.length === 3 ? parts[0] : '');
  if (containerText === '') throw new InvalidArgumentError(`no port specified: ${text}<empty>`);

  const container = parseRange(containerText, 'containerPort');
  const containerCount = container.end - container.start + 1;
  if (hostPortText === '') {
    return rangeSpecs(container).map((containerPort) => ({ hostIp, hostPort: 0, hostPortEnd: 0, containerPort, protocol }));
  }

  const host = parseRange(hostPortText, 'hostPort');
  const hostCount = host.end - host.start + 1;
  if (containerCount === 1 && hostCount > 1) {
    return [{ hostIp, hostPort: host.start, hostPortEnd: host.end, containerPort: container.start, protocol }];
  }
  if (hostCount !== containerCount) {
    throw new InvalidArgumentError(`invalid ranges specified for container and host Ports: ${containerText} and ${hostPortText}`);
  }
  return rangeSpecs(container).map((containerPort, index) => ({
    hostIp,
    hostPort: host.start + index,
    hostPortEnd: host.start + index,
    containerPort,
    protocol,
  }));
}

function rangeSpecs(range: PortRange): number[] {
  const ports: number[] = [];
  for (let port = range.start; port <= range.end; port++) ports.push(port);
  return ports;
}

// Converts the API's HostConfig.PortBindings ({"80/tcp": [{HostIp, HostPort}]}) into specs.
export function portSpecsFromBindings(bindings: Record<string, { HostIp?: string; HostPort?: string }[] | null>): (PortSpec & { hostPortEnd: number })[] {
  const specs: (PortSpec & { hostPortEnd: number })[] = [];
  for (const [key, entries] of Object.entries(bindings)) {
    for (const entry of entries ?? [{}]) {
      const hostIp = entry.HostIp ?? '';
      const hostPort = entry.HostPort ?? '';
      specs.push(...parsePortSpec(`${hostIp}:${hostPort}:${key}`.replace(/^:/, '')));
    }
  }
  return specs;
}

function sameAddress(a: string, b: string): boolean {
  const normalize = (value: string) => (value === '' ? '0.0.0.0' : value);
  return normalize(a) === '0.0.0.0' || normalize(b) === '0.0.0.0' || normalize(a) === normalize(b);
}

function isPublished(published: readonly PortSpec[], hostIp: string, port: number, protocol: PortProtocol): boolean {
  return published.some((binding) => binding.protocol === protocol && binding.hostPort === port && sameAddress(binding.hostIp, hostIp));
}

// Resolves every spec to a concrete host port. published contains the ports of all
// sandboxes of this instance. A port counts as free only when no process on the
// host has it bound either.
// NOTE: kernel DNAT does not hold the port, so a host process that binds it later is shadowed for forwarded traffic.
export async function choosePorts(specs: readonly (PortSpec & { hostPortEnd: number })[], published: readonly PortSpec[]): Promise<PortSpec[]> {
  const chosen: PortSpec[] = [];
  for (const spec of specs) {
    const allocated = [...published, ...chosen];
    const candidates = spec.hostPort === 0 ? randomCandidates() : rangeSpecs({ start: spec.hostPort, end: spec.hostPortEnd });
    let port = 0;
    for (const candidate of candidates) {
      if (isPublished(allocated, spec.hostIp, candidate, spec.protocol)) continue;
      if (await canBind(spec.hostIp, candidate, spec.protocol)) {
        port = candidate;
        break;
      }
    }
    if (port === 0) {
      const address = `${spec.hostIp || '0.0.0.0'}:${spec.hostPort === 0 ? 'random' : spec.hostPort}`;
      throw new ConflictError(`Bind for ${address} failed: port is already allocated`);
    }
    chosen.push({ hostIp: spec.hostIp, hostPort: port, containerPort: spec.containerPort, protocol: spec.protocol });
  }
  return chosen;
}

function randomCandidates(): number[] {
  const [low, high] = RANDOM_PORT_RANGE;
  const start = low + Math.floor(Math.random() * (high - low + 1));
  const ports: number[] = [];
  for (let offset = 0; offset <= high - low; offset++) ports.push(low + ((start - low + offset) % (high - low + 1)));
  return ports;
}

// Tries to bind the port briefly. Returns false when some process on the host has it bound.
async function canBind(hostIp: string, port: number, protocol: PortProtocol): Promise<boolean> {
  const host = hostIp || '0.0.0.0';
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') resolve(false);
      else reject(new InvalidArgumentError(`publish port ${host}:${port}/${protocol}: ${error.message}`, { cause: error }));
    };
    if (protocol === 'udp') {
      const socket = dgram.createSocket('udp4');
      socket.once('error', onError);
      socket.bind(port, host, () => socket.close(() => resolve(true)));
    } else {
      const server = net.createServer();
      server.once('error', onError);
      server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
    }
  });
}

// Returns the ports of bindings in the form Docker's NetworkSettings.Ports uses.
export function portMapShape(bindings: readonly PortBinding[]): Record<string, { HostIp: string; HostPort: string }[]> {
  const shape: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const binding of bindings) {
    const key = `${binding.containerPort}/${binding.protocol}`;
    (shape[key] ??= []).push({ HostIp: binding.hostIp || '0.0.0.0', HostPort: String(binding.hostPort) });
  }
  return shape;
}
