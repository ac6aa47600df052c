// Kernel objects of the bridge driver: the Linux bridge of each network, and
// per container endpoint a veth pair whose host end is a bridge port and
// whose other end sits in the container's network namespace.
import { randomBytes } from 'node:crypto';
import { parseIPv4 } from '../cidr';
import { subsystemLogger } from '../../common/logger';
import { SubprocessError } from '../../common/subprocess';
import { deleteLink, findLink, ip, ipBatch, linkAddresses, writeSysctl } from './iproute';

const log = subsystemLogger('network-bridge');

export interface BridgeSettings {
  name: string;
  // Gateway address with the subnet's prefix length, such as 10.210.0.1/24.
  gatewayCidr: string;
  mtu: number;
}

// Creates the bridge, or brings an existing one (after a daemon restart) to the
// expected state; running it twice changes nothing.
export async function ensureBridge(settings: BridgeSettings): Promise<void> {
  // A bridge without a set address takes the lowest address of its ports, so it would
  // change whenever a container leaves and sandboxes would keep a stale ARP entry for
  // the gateway. A fixed address derived from the gateway address keeps it stable.
  const gateway = settings.gatewayCidr.split('/')[0];
  const configure = ['link', 'set', 'dev', settings.name, 'address', macFromAddress(gateway), 'mtu', String(settings.mtu)];

  if (!(await findLink(settings.name))) {
    // A new bridge is created by one `ip -batch` process instead of one process per command.
    await ipBatch([
      ['link', 'add', 'name', settings.name, 'type', 'bridge'],
      configure,
      ['address', 'add', settings.gatewayCidr, 'dev', settings.name],
      ['link', 'set', 'dev', settings.name, 'up'],
    ]);
  } else {
    await ip(configure);
    const addresses = await linkAddresses(settings.name);
    if (!addresses.includes(settings.gatewayCidr)) {
      await ip(['address', 'add', settings.gatewayCidr, 'dev', settings.name]);
    }
    await ip(['link', 'set', 'dev', settings.name, 'up']);
  }

  // Forwarding must be on for containers to reach anything past the bridge, as Docker also sets it.
  await writeSysctl('net.ipv4.ip_forward', '1');
  // Lets the OUTPUT DNAT of published ports send packets from 127.0.0.1 to the bridge (see firewall/rules.ts).
  await writeSysctl(`net.ipv4.conf.${settings.name}.route_localnet`, '1');
}

export async function removeBridge(name: string): Promise<void> {
  await deleteLink(name);
}

// Returns Docker's MAC address form for an IPv4 address: 02:42 and the 4 address bytes.
export function macFromAddress(address: string): string {
  const value = parseIPv4(address);
  const bytes = [0x02, 0x42, value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255];
  return bytes.map((byte) => byte.toString(16).padStart(2, '0')).join(':');
}

// Host-side veth name: "veth" and 7 hex digits, as Docker names them, within the kernel's 15 characters.
export function newHostInterfaceName(): string {
  return `veth${randomBytes(4).toString('hex').slice(0, 7)}`;
}

export interface EndpointSettings {
  bridge: string;
  netnsPath: string;
  hostInterface: string;
  containerInterface: string;
  ipAddress: string;
  prefixLength: number;
  macAddress: string;
  mtu: number;
  // Gateway for the default route; null leaves the sandbox without one (internal networks, or a second network).
  defaultGateway: string | null;
}

// Creates the veth pair in two `ip -batch` processes. The host-side batch creates
// the pair already attached to the bridge and up, with the peer made directly in
// the sandbox under its final name and MAC address. The sandbox-side batch sets
// the address and the default route.
export async function createEndpoint(settings: EndpointSettings): Promise<void> {
  const mtu = String(settings.mtu);
  // The peer is created inside the sandbox, so its name (eth0 and so on) cannot clash with a host interface.
  const peer = ['peer', 'name', settings.containerInterface, 'mtu', mtu, 'address', settings.macAddress, 'netns', settings.netnsPath];
  const hostSide = [
    ['link', 'add', 'name', settings.hostInterface, 'mtu', mtu, 'master', settings.bridge, 'up', 'type', 'veth', ...peer],
    // Hairpin mode lets a container reach its own published port through a host address:
    // the DNATed packet must leave through the same bridge port it came in on.
    ['link', 'set', 'dev', settings.hostInterface, 'type', 'bridge_slave', 'hairpin', 'on'],
  ];
  const sandboxSide = [
    ['address', 'add', `${settings.ipAddress}/${settings.prefixLength}`, 'dev', settings.containerInterface],
    ['link', 'set', 'dev', settings.containerInterface, 'up'],
    ['link', 'set', 'dev', 'lo', 'up'],
  ];
  if (settings.defaultGateway) {
    sandboxSide.push(['route', 'replace', 'default', 'via', settings.defaultGateway, 'dev', settings.containerInterface]);
  }

  try {
    await ipBatch(hostSide);
    await ipBatch(sandboxSide, settings.netnsPath);
  } catch (error) {
    if (isLinkAddFailure(error)) throw error;
    // Deleting the host end removes its peer too, wherever the peer now lives.
    await deleteLink(settings.hostInterface).catch((cleanupError: unknown) => {
      log.error({ err: cleanupError, interface: settings.hostInterface }, 'delete veth after a failed endpoint setup');
    });
    throw error;
  }
}

// Makes an existing host end of a veth pair a port of the bridge again, as
// createEndpoint leaves it. Deleting a bridge detaches its ports but does not delete them.
export async function attachToBridge(hostInterface: string, bridge: string): Promise<void> {
  await ipBatch([
    ['link', 'set', 'dev', hostInterface, 'master', bridge, 'up'],
    ['link', 'set', 'dev', hostInterface, 'type', 'bridge_slave', 'hairpin', 'on'],
  ]);
}

// ip reports the failing batch line. When the host batch failed at its first line
// (link add), the pair does not exist, and a link of that name belongs to someone else.
function isLinkAddFailure(error: unknown): boolean {
  if (!(error instanceof SubprocessError) || error.command !== 'ip') return false;
  return /Command failed -:1\b/.test(error.stderr);
}

export async function setDefaultRoute(netnsPath: string, gateway: string, containerInterface: string): Promise<void> {
  await ip(['route', 'replace', 'default', 'via', gateway, 'dev', containerInterface], netnsPath);
}

// Deletes the endpoint's veth pair through its host end.
export async function removeEndpoint(hostInterface: string): Promise<void> {
  await deleteLink(hostInterface);
}

// Picks the first interface name ethN not yet used inside the sandbox.
export function nextContainerInterface(used: readonly string[]): string {
  for (let index = 0; ; index++) {
    const name = `eth${index}`;
    if (!used.includes(name)) return name;
  }
}
