// Address management: picks a subnet for a new network from the address
// pools, validates --subnet/--gateway/--ip-range, and hands out and releases
// container addresses inside a network. Pure functions over records; the
// caller persists the changed NetworkRecord.
import { ConflictError, ForbiddenError, InvalidArgumentError } from '../common/errors';
import {
  containsAddress,
  containsSubnet,
  formatCidr,
  formatIPv4,
  lastAddress,
  overlaps,
  parseCidr,
  parseIPv4,
  subnetSize,
  type Subnet,
} from './cidr';
import type { AddressPool, IpamSettings, NetworkRecord } from './types';

// Berth's default pool stays clear of Docker's (172.17.0.0/16 to 172.31.0.0/16,
// 192.168.0.0/16 in /20s) and Podman's (10.88.0.0/16 and up), so Berth runs beside both.
export const DEFAULT_ADDRESS_POOLS: readonly AddressPool[] = [{ base: '10.210.0.0/16', size: 24 }];

export interface IpamRequest {
  subnet?: string;
  gateway?: string;
  ipRange?: string;
}

// Chooses the IPAM settings of a new network. inUse contains the subnets of
// existing networks and hostRoutes the host's routed prefixes. Only automatic
// choices avoid host routes, because Docker, too, lets a user subnet shadow one.
export function planIpam(request: IpamRequest, inUse: readonly Subnet[], hostRoutes: readonly Subnet[], pools: readonly AddressPool[]): IpamSettings {
  if (!request.subnet) {
    if (request.gateway || request.ipRange) {
      throw new InvalidArgumentError('invalid network config: --gateway and --ip-range require --subnet');
    }
    const subnet = pickSubnet(inUse, hostRoutes, pools);
    return { subnet: formatCidr(subnet), gateway: formatIPv4(subnet.network + 1), ipRange: null, userSubnet: false };
  }

  const subnet = parseCidr(request.subnet);
  if (subnet.prefixLength > 30) {
    throw new InvalidArgumentError(`invalid subnet ${request.subnet}: the prefix length must be 30 or less to leave room for a gateway and a container`);
  }
  if (inUse.some((existing) => overlaps(existing, subnet))) {
    throw new ForbiddenError('invalid pool request: Pool overlaps with other one on this address space');
  }

  let ipRange: string | null = null;
  if (request.ipRange) {
    const range = parseCidr(request.ipRange);
    if (!containsSubnet(subnet, range)) {
      throw new InvalidArgumentError(`invalid ip-range ${request.ipRange}: it is not inside subnet ${request.subnet}`);
    }
    ipRange = formatCidr(range);
  }

  let gateway = formatIPv4(subnet.network + 1);
  if (request.gateway) {
    const address = parseIPv4(request.gateway);
    if (!containsAddress(subnet, address) || address === subnet.network || address === lastAddress(subnet)) {
      throw new InvalidArgumentError(`invalid gateway ${request.gateway}: it must be a host address inside subnet ${request.subnet}`);
    }
    gateway = formatIPv4(address);
  }
  return { subnet: formatCidr(subnet), gateway, ipRange, userSubnet: true };
}

function pickSubnet(inUse: readonly Subnet[], hostRoutes: readonly Subnet[], pools: readonly AddressPool[]): Subnet {
  const unavailable = [...inUse, ...hostRoutes.filter((route) => route.prefixLength > 0)];
  for (const pool of pools) {
    const base = parseCidr(pool.base);
    if (pool.size < base.prefixLength || pool.size > 30) {
      throw new InvalidArgumentError(`invalid address pool ${pool.base} size ${pool.size}: size must be between the base prefix length and 30`);
    }
    const step = 2 ** (32 - pool.size);
    for (let network = base.network; network <= lastAddress(base); network += step) {
      const candidate = { network: network >>> 0, prefixLength: pool.size };
      if (!unavailable.some((subnet) => overlaps(subnet, candidate))) return candidate;
    }
  }
  throw new ForbiddenError('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
}

// Allocates a container address in the network and records it under endpointId.
// Without a request, allocation goes on after the last address handed out and
// wraps around, as Docker's serial allocator does.
export function allocateAddress(network: NetworkRecord, endpointId: string, requested?: string): string {
  const ipam = requireIpam(network);
  const subnet = parseCidr(ipam.subnet);
  const gateway = parseIPv4(ipam.gateway);

  if (requested) {
    const address = parseIPv4(requested);
    const text = formatIPv4(address);
    if (!containsAddress(subnet, address) || address === subnet.network || address === lastAddress(subnet)) {
      throw new InvalidArgumentError(`invalid address ${requested}: no configured subnet of network ${network.name} contains it`);
    }
    if (address === gateway || network.allocations[text] !== undefined) {
      throw new ConflictError(`allocate address ${text} on network ${network.name}: Address already in use`);
    }
    network.allocations[text] = endpointId;
    return text;
  }

  const range = ipam.ipRange ? parseCidr(ipam.ipRange) : subnet;
  const first = range.network;
  const count = subnetSize(range);
  const last = network.lastAllocated ? parseIPv4(network.lastAllocated) : null;
  const start = last !== null && containsAddress(range, last) ? last + 1 : first;
  for (let offset = 0; offset < count; offset++) {
    const address = (first + ((start - first + offset) % count)) >>> 0;
    const text = formatIPv4(address);
    if (address === subnet.network || address === lastAddress(subnet) || address === gateway) continue;
    if (network.allocations[text] !== undefined) continue;
    network.allocations[text] = endpointId;
    network.lastAllocated = text;
    return text;
  }
  throw new ConflictError(`allocate address on network ${network.name}: no available addresses in ${formatCidr(range)}`);
}

export function releaseAddress(network: NetworkRecord, address: string): void {
  delete network.allocations[address];
}

function requireIpam(network: NetworkRecord): IpamSettings {
  if (!network.ipam) throw new InvalidArgumentError(`network ${network.name} (driver ${network.driver}) does not assign addresses`);
  return network.ipam;
}
