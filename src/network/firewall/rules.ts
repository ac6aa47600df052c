// Builds the full content of Berth's chains from the networks and published
// ports, as iptables-restore input. Regenerating everything on each change
// keeps the rules idempotent: after a daemon restart the same state yields
// the same rules, and a removed network leaves nothing behind.
import type { NetworkRecord, SandboxRecord } from '../types';
import type { ChainNames } from './chains';

export interface FirewallNetwork {
  bridge: string;
  subnet: string;
  internal: boolean;
  icc: boolean;
}

export interface FirewallPort {
  // Empty or 0.0.0.0 publishes on every host address.
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
  protocol: 'tcp' | 'udp';
}

export interface FirewallState {
  networks: FirewallNetwork[];
  ports: FirewallPort[];
}

// Collects the firewall's input from the bridge networks and the sandboxes' published ports.
export function firewallState(bridgeNetworks: readonly NetworkRecord[], sandboxes: readonly SandboxRecord[]): FirewallState {
  return {
    networks: bridgeNetworks.map((network) => ({
      bridge: network.bridgeName as string,
      subnet: (network.ipam as { subnet: string }).subnet,
      internal: network.internal,
      icc: network.icc,
    })),
    ports: sandboxes.flatMap((sandbox) => sandbox.ports),
  };
}

// Jumps from the kernel's built-in chains into Berth's chains, each inserted at
// the top, because the FORWARD policy may be DROP (Docker sets it so).
export function jumpRules(chains: ChainNames): { table: 'filter' | 'nat'; chain: string; rule: string[] }[] {
  return [
    { table: 'filter', chain: 'FORWARD', rule: ['-j', chains.forward] },
    { table: 'nat', chain: 'PREROUTING', rule: ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', chains.portMap] },
    { table: 'nat', chain: 'OUTPUT', rule: ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', chains.portMap] },
    { table: 'nat', chain: 'POSTROUTING', rule: ['-j', chains.postrouting] },
  ];
}

export function restoreInput(chains: ChainNames, state: FirewallState): string {
  const filter: string[] = [];
  const nat: string[] = [];

  // Isolation comes first: traffic that leaves one Berth bridge for another is dropped.
  filter.push(`-A ${chains.forward} -j ${chains.isolation1}`);
  for (const network of state.networks) {
    filter.push(`-A ${chains.isolation1} -i ${network.bridge} ! -o ${network.bridge} -j ${chains.isolation2}`);
    filter.push(`-A ${chains.isolation2} -o ${network.bridge} -j DROP`);
  }
  filter.push(`-A ${chains.isolation1} -j RETURN`, `-A ${chains.isolation2} -j RETURN`);

  // Traffic that stays on the host (through lo) keeps its source, even when that
  // source is a gateway address inside a bridge subnet matched below.
  nat.push(`-A ${chains.postrouting} -o lo -j RETURN`);

  for (const network of state.networks) {
    const bridge = network.bridge;
    filter.push(`-A ${chains.forward} -o ${bridge} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
    // Connections DNATed by a published port (see the port rules below) may enter the bridge.
    if (!network.internal) filter.push(`-A ${chains.forward} -o ${bridge} -m conntrack --ctstate DNAT -j ACCEPT`);
    // br_netfilter sends traffic between two ports of the same bridge through FORWARD too.
    filter.push(`-A ${chains.forward} -i ${bridge} -o ${bridge} -j ${network.icc ? 'ACCEPT' : 'DROP'}`);
    filter.push(`-A ${chains.forward} -i ${bridge} ! -o ${bridge} -j ${network.internal ? 'DROP' : 'ACCEPT'}`);
    // Anything else routed towards the containers (not a reply, not a published port) is dropped.
    filter.push(`-A ${chains.forward} ! -i ${bridge} -o ${bridge} -j DROP`);

    if (!network.internal) {
      nat.push(`-A ${chains.postrouting} -s ${network.subnet} ! -o ${bridge} -j MASQUERADE`);
    }
    // Published ports reached from the host's loopback: the OUTPUT DNAT sends a packet with
    // source 127.0.0.1 to the bridge (allowed by route_localnet=1 on the bridge), and this
    // rule rewrites the source to the bridge address so the container can reply.
    nat.push(`-A ${chains.postrouting} -s 127.0.0.0/8 -o ${bridge} -j MASQUERADE`);
  }

  for (const port of state.ports) {
    const destination = port.hostIp && port.hostIp !== '0.0.0.0' ? `-d ${port.hostIp}/32 ` : '';
    const match = `-p ${port.protocol} -m ${port.protocol}`;
    nat.push(
      `-A ${chains.portMap} ${destination}${match} --dport ${port.hostPort} -j DNAT --to-destination ${port.containerIp}:${port.containerPort}`,
    );
    // A container that connects to its own published port needs its source rewritten too.
    nat.push(
      `-A ${chains.postrouting} -s ${port.containerIp}/32 -d ${port.containerIp}/32 ${match} --dport ${port.containerPort} -j MASQUERADE`,
    );
  }

  return [
    '*filter',
    `:${chains.forward} - [0:0]`,
    `:${chains.isolation1} - [0:0]`,
    `:${chains.isolation2} - [0:0]`,
    ...filter,
    'COMMIT',
    '*nat',
    `:${chains.portMap} - [0:0]`,
    `:${chains.postrouting} - [0:0]`,
    ...nat,
    'COMMIT',
    '',
  ].join('\n');
}
