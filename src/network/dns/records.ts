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
}

export interface ResolverRecords {
  // Forward servers as "address" or "address:port".
  upstreams: string[];
  listeners: ResolverListener[];
}

// Builds the records of every user bridge network: container names, aliases and
// short IDs resolve, as Docker's embedded DNS does. The default bridge gets no
// listener because Docker offers no name resolution there.
export function buildRecords(networks: readonly NetworkRecord[], upstreams: readonly string[]): ResolverRecords {
  const listeners: ResolverListener[] = [];
  for (const network of networks) {
    if (network.builtIn || network.driver !== 'bridge' || !network.ipam) continue;
    const names: Record<string, string[]> = {};
    const add = (name: string, address: string) => {
      const key = name.toLowerCase();
      const list = (names[key] ??= []);
      if (!list.includes(address)) list.push(address);
    };
    for (const endpoint of Object.values(network.endpoints)) {
      if (endpoint.name) add(endpoint.name, endpoint.ipAddress);
      for (const alias of endpoint.aliases) add(alias, endpoint.ipAddress);
      add(endpoint.containerId.slice(0, 12), endpoint.ipAddress);
    }
    listeners.push({ address: network.ipam.gateway, subnet: network.ipam.subnet, names });
  }
  return { upstreams: [...upstreams], listeners };
}
