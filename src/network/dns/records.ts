// The records file that the network module writes and the resolver process
// reads: per user network, the listen address (the network's gateway) and the
// names of its containers.
import type { NetworkRecord } from '../types';

export interface ResolverListener {
  // Address the resolver listens on, UDP and TCP port 53: the network's gateway.
  address: string;
  // The network's subnet. Only clients inside it get responses from this listener.
  subnet: string;
  // Lowercase name -> IPv4 addresses.
  names: Record<string, string[]>;
  // Client IPv4 address on this network -> listen addresses of the other user
  // networks that the same container is connected to. A container sends queries only to
  // the resolver of its first network, so names on its other networks are looked up there.
  peers?: Record<string, string[]>;
}

export interface ResolverRecords {
  // Forward servers as "address" or "address:port".
  upstreams: string[];
  listeners: ResolverListener[];
}

// Builds the records of every user bridge network: container names, aliases and
// short IDs resolve, and so do `<name>.<network>` and `<alias>.<network>`, as with
// Docker's embedded DNS. The default bridge gets no listener because Docker offers
// no name resolution there.
export function buildRecords(networks: readonly NetworkRecord[], upstreams: readonly string[]): ResolverRecords {
  const userNetworks = networks.filter((network) => !network.builtIn && network.driver === 'bridge' && network.ipam);
  const gatewaysByContainer = new Map<string, string[]>();
  for (const network of userNetworks) {
    for (const containerId of Object.keys(network.endpoints)) {
      const gateways = gatewaysByContainer.get(containerId) ?? [];
      gateways.push(network.ipam?.gateway as string);
      gatewaysByContainer.set(containerId, gateways);
    }
  }

  const listeners: ResolverListener[] = [];
  for (const network of userNetworks) {
    const gateway = network.ipam?.gateway as string;
    const names: Record<string, string[]> = {};
    const peers: Record<string, string[]> = {};
    const add = (name: string, address: string) => {
      const key = name.toLowerCase();
      const list = (names[key] ??= []);
      if (!list.includes(address)) list.push(address);
    };
    for (const endpoint of Object.values(network.endpoints)) {
      for (const name of [endpoint.name, ...endpoint.aliases]) {
        if (!name) continue;
        add(name, endpoint.ipAddress);
        add(`${name}.${network.name}`, endpoint.ipAddress);
      }
      add(endpoint.containerId.slice(0, 12), endpoint.ipAddress);

      const others = (gatewaysByContainer.get(endpoint.containerId) ?? []).filter((other) => other !== gateway);
      if (others.length > 0) peers[endpoint.ipAddress] = others;
    }
    listeners.push({ address: gateway, subnet: network.ipam?.subnet as string, names, peers });
  }
  return { upstreams: [...upstreams], listeners };
}

// Finds the addresses of name for a client of the listener at address: first on
// that network, then on the client's other networks in the order of the network list.
export function lookupName(records: ResolverRecords, address: string, client: string, name: string): string[] | undefined {
  const listener = records.listeners.find((entry) => entry.address === address);
  if (!listener) return undefined;
  const local = listener.names[name];
  if (local) return local;
  for (const peer of listener.peers?.[client] ?? []) {
    const found = records.listeners.find((entry) => entry.address === peer)?.names[name];
    if (found) return found;
  }
  return undefined;
}
