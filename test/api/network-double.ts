// The network part of the in-memory engine double: the predefined bridge,
// host and none networks, user networks, and the networks each container
// joins. Running containers get made-up endpoints so shapes can be checked;
// nothing touches the host's network.
import { ConflictError, ForbiddenError, InvalidArgumentError, NotFoundError } from '../../src/common/errors';
import type { ContainerRecord, NetworkAttachment } from '../../src/container/types';
import type { ContainerNetworkState, NetworkCreateRequest, NetworkInfo } from '../../src/engine/engine';
import type { EndpointRecord, NetworkRecord, PortBinding } from '../../src/network/types';

const CREATED = '2024-10-01T00:00:00Z';

function networkId(seed: string): string {
  return Buffer.from(seed).toString('hex').padEnd(64, '0').slice(0, 64);
}

function networkRecord(name: string, driver: NetworkRecord['driver'], subnetIndex: number | null, builtIn: boolean): NetworkRecord {
  const ipam = subnetIndex === null ? null : { subnet: `172.${17 + subnetIndex}.0.0/16`, gateway: `172.${17 + subnetIndex}.0.1`, ipRange: null, userSubnet: false };
  return {
    id: networkId(name),
    name,
    driver,
    created: CREATED,
    internal: false,
    attachable: false,
    labels: {},
    options: {},
    ipam,
    bridgeName: driver === 'bridge' ? `br-${name}` : null,
    mtu: 1500,
    icc: true,
    builtIn,
    allocations: {},
    lastAllocated: null,
    endpoints: {},
  };
}

function normalizeMode(mode: string): string {
  return mode === '' || mode === 'default' ? 'bridge' : mode;
}

export class NetworkDouble {
  readonly networks = new Map<string, NetworkRecord>();
  // Published ports by container ID, set by tests.
  readonly ports = new Map<string, PortBinding[]>();
  // Networks joined through connect, by container ID then network ID.
  private readonly connected = new Map<string, Record<string, NetworkAttachment & { name: string }>>();

  constructor(private readonly containers: () => ContainerRecord[]) {
    for (const network of [networkRecord('bridge', 'bridge', 0, true), networkRecord('host', 'host', null, true), networkRecord('none', 'null', null, true)]) {
      this.networks.set(network.id, network);
    }
  }

  find(idOrName: string): NetworkRecord {
    const all = [...this.networks.values()];
    const found =
      all.find((network) => network.id === idOrName) ??
      all.find((network) => network.name === idOrName) ??
      all.find((network) => idOrName !== '' && network.id.startsWith(idOrName));
    if (!found) throw new NotFoundError(`network ${idOrName} not found`);
    return found;
  }

  // Returns the joined networks of a container: its network mode's network plus connected ones.
  joined(record: ContainerRecord): Record<string, NetworkAttachment & { name: string }> {
    const joined: Record<string, NetworkAttachment & { name: string }> = {};
    const mode = this.find(normalizeMode(record.spec.networkMode));
    joined[mode.id] = { name: mode.name, aliases: record.spec.networkAttachment?.aliases ?? [], ipv4Address: record.spec.networkAttachment?.ipv4Address ?? '' };
    return { ...joined, ...(this.connected.get(record.id) ?? {}) };
  }

  state(record: ContainerRecord): ContainerNetworkState {
    const running = record.state.status === 'running' || record.state.status === 'paused';
    const entries = Object.entries(this.joined(record));
    const networks = entries.map(([id, attachment], index) => {
      const network = this.networks.get(id);
      const endpoint = running && network?.ipam ? this.endpoint(record, network, attachment.aliases, index) : null;
      return { networkId: id, networkName: attachment.name, aliases: attachment.aliases, requestedIpv4Address: attachment.ipv4Address, endpoint };
    });
    return { networks, ports: this.ports.get(record.id) ?? [], exposedPorts: record.spec.exposedPorts };
  }

  private endpoint(record: ContainerRecord, network: NetworkRecord, aliases: string[], index: number): EndpointRecord {
    const prefix = network.ipam!.gateway.replace(/\.1$/, '');
    return {
      endpointId: networkId(`${record.id}-${network.id}`),
      containerId: record.id,
      networkId: network.id,
      name: record.name,
      aliases,
      ipAddress: `${prefix}.2`,
      prefixLength: 16,
      gateway: network.ipam!.gateway,
      macAddress: '02:42:ac:11:00:02',
      hostInterface: `veth${index}`,
      containerInterface: `eth${index}`,
      defaultRoute: index === 0,
    };
  }

  info(network: NetworkRecord): NetworkInfo {
    const endpoints = this.containers()
      .filter((record) => record.state.status === 'running' && this.joined(record)[network.id] && network.ipam)
      .map((record) => ({ containerId: record.id, containerName: record.name, endpoint: this.state(record).networks.find((entry) => entry.networkId === network.id)!.endpoint! }));
    return { record: network, endpoints };
  }

  create(request: NetworkCreateRequest): NetworkRecord {
    if ([...this.networks.values()].some((network) => network.name === request.name)) {
      throw new ConflictError(`network with name ${request.name} already exists`);
    }
    if (request.subnet !== null && !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(request.subnet)) {
      throw new InvalidArgumentError(`invalid subnet ${request.subnet}`);
    }
    const record = networkRecord(request.name, 'bridge', this.networks.size, false);
    if (request.subnet) record.ipam = { subnet: request.subnet, gateway: request.gateway ?? '', ipRange: request.ipRange, userSubnet: true };
    Object.assign(record, { internal: request.internal, attachable: request.attachable, labels: request.labels, options: request.options });
    this.networks.set(record.id, record);
    return record;
  }

  inUse(network: NetworkRecord): boolean {
    return this.containers().some((record) => this.joined(record)[network.id]);
  }

  remove(idOrName: string): void {
    const network = this.find(idOrName);
    if (network.builtIn) throw new ForbiddenError(`${network.name} is a pre-defined network and cannot be removed`);
    if (this.inUse(network)) throw new ConflictError(`error while removing network: network ${network.name} id ${network.id} has active endpoints`);
    this.networks.delete(network.id);
  }

  connect(record: ContainerRecord, idOrName: string, attachment: NetworkAttachment): void {
    const network = this.find(idOrName);
    if (this.joined(record)[network.id]) throw new InvalidArgumentError(`endpoint with name ${record.name} already exists in network ${network.name}`);
    this.connected.set(record.id, { ...(this.connected.get(record.id) ?? {}), [network.id]: { name: network.name, ...attachment } });
  }

  disconnect(record: ContainerRecord, idOrName: string, force: boolean): void {
    const network = this.find(idOrName);
    const connected = { ...(this.connected.get(record.id) ?? {}) };
    if (!connected[network.id]) {
      if (force) return;
      throw new InvalidArgumentError(`container ${record.id} is not connected to network ${network.name}`);
    }
    delete connected[network.id];
    this.connected.set(record.id, connected);
  }
}
