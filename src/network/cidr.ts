// IPv4 address and subnet arithmetic on unsigned 32-bit numbers.
import { InvalidArgumentError } from '../common/errors';

export interface Subnet {
  // Network address (host bits zero), as a uint32.
  network: number;
  prefixLength: number;
}

const IPV4_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseIPv4(text: string): number {
  const match = IPV4_PATTERN.exec(text.trim());
  if (!match) throw new InvalidArgumentError(`invalid IPv4 address "${text}"`);
  const octets = match.slice(1).map(Number);
  if (octets.some((octet) => octet > 255)) throw new InvalidArgumentError(`invalid IPv4 address "${text}": each byte must be 0 to 255`);
  return ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
}

export function isIPv4(text: string): boolean {
  try {
    parseIPv4(text);
    return true;
  } catch {
    return false;
  }
}

export function formatIPv4(address: number): string {
  return [address >>> 24, (address >>> 16) & 255, (address >>> 8) & 255, address & 255].join('.');
}

export function prefixMask(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

// Parses "a.b.c.d/n". With strict, host bits must be zero, as Docker requires for --subnet and --ip-range.
export function parseCidr(text: string, strict = true): Subnet & { address: number } {
  const [addressText, lengthText, extra] = text.trim().split('/');
  if (lengthText === undefined || extra !== undefined || !/^\d{1,2}$/.test(lengthText)) {
    throw new InvalidArgumentError(`invalid CIDR "${text}": expected an IPv4 address and a prefix length such as 10.1.0.0/24`);
  }
  const prefixLength = Number(lengthText);
  if (prefixLength > 32) throw new InvalidArgumentError(`invalid CIDR "${text}": the prefix length must be 0 to 32`);
  const address = parseIPv4(addressText);
  const network = (address & prefixMask(prefixLength)) >>> 0;
  if (strict && network !== address) {
    throw new InvalidArgumentError(`invalid subnet ${text}: it should be ${formatIPv4(network)}/${prefixLength}`);
  }
  return { address, network, prefixLength };
}

export function formatCidr(subnet: Subnet): string {
  return `${formatIPv4(subnet.network)}/${subnet.prefixLength}`;
}

export function subnetSize(subnet: Subnet): number {
  return 2 ** (32 - subnet.prefixLength);
}

export function lastAddress(subnet: Subnet): number {
  return (subnet.network + subnetSize(subnet) - 1) >>> 0;
}

export function containsAddress(subnet: Subnet, address: number): boolean {
  return ((address & prefixMask(subnet.prefixLength)) >>> 0) === subnet.network;
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  return a.network <= lastAddress(b) && b.network <= lastAddress(a);
}

// True when inner lies entirely inside outer.
export function containsSubnet(outer: Subnet, inner: Subnet): boolean {
  return inner.prefixLength >= outer.prefixLength && containsAddress(outer, inner.network);
}
