// NetworkSettings of container inspect and list, built from the engine's
// ContainerNetworkState: one EndpointSettings per joined network, published
// ports, and the deprecated top-level copy of the default bridge endpoint.
import type { ContainerRecord } from '../../container/types';
import type { ContainerNetworkState } from '../../engine/engine';
import { versionBelow } from '../version';

type NetworkEntry = ContainerNetworkState['networks'][number];

// The built-in networks, on which Docker's embedded DNS does not answer for container names.
const BUILT_IN_NETWORKS = ['bridge', 'host', 'none'];

// Returns the network mode as inspect reports it: "" and "default" name the default bridge.
export function containerNetworkName(record: ContainerRecord): string {
  const mode = record.spec.networkMode;
  return mode === '' || mode === 'default' ? 'bridge' : mode;
}

// Returns Docker's EndpointSettings with empty values, with the fields the requested version has.
export function emptyEndpointSettings(apiVersion: string): Record<string, unknown> {
  const settings: Record<string, unknown> = {
    IPAMConfig: null,
    Links: null,
    Aliases: null,
    MacAddress: '',
    DriverOpts: null,
  };
  if (!versionBelow(apiVersion, '1.48')) settings.GwPriority = 0;
  Object.assign(settings, {
    NetworkID: '',
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
  });
  if (!versionBelow(apiVersion, '1.44')) settings.DNSNames = null;
  return settings;
}

// Returns the names that the embedded DNS resolves on a user network: the container name, its aliases and short ID.
function dnsNames(record: ContainerRecord, entry: NetworkEntry): string[] | null {
  if (!entry.endpoint || BUILT_IN_NETWORKS.includes(entry.networkName)) return null;
  const name = record.name.replace(/^\//, '');
  return [...new Set([name, ...entry.aliases, record.id.slice(0, 12)])];
}

export function endpointSettingsShape(record: ContainerRecord, entry: NetworkEntry, apiVersion: string): Record<string, unknown> {
  const settings = emptyEndpointSettings(apiVersion);
  const endpoint = entry.endpoint;
  if (entry.requestedIpv4Address !== '') settings.IPAMConfig = { IPv4Address: entry.requestedIpv4Address };
  if (entry.aliases.length > 0) settings.Aliases = entry.aliases;
  settings.NetworkID = entry.networkId;
  if (endpoint) {
    Object.assign(settings, {
      MacAddress: endpoint.macAddress,
      EndpointID: endpoint.endpointId,
      Gateway: endpoint.gateway,
      IPAddress: endpoint.ipAddress,
      IPPrefixLen: endpoint.prefixLength,
    });
  }
  if ('DNSNames' in settings) settings.DNSNames = dnsNames(record, entry);
  return settings;
}

// Returns { "<network name>": EndpointSettings } for every network the container joins.
export function containerNetworksShape(record: ContainerRecord, state: ContainerNetworkState, apiVersion: string): Record<string, unknown> {
  const networks: Record<string, unknown> = {};
  for (const entry of state.networks) networks[entry.networkName] = endpointSettingsShape(record, entry, apiVersion);
  return networks;
}

// True while the container has a network namespace with endpoints, which is when Docker reports ports.
function hasEndpoints(state: ContainerNetworkState): boolean {
  return state.networks.some((entry) => entry.endpoint !== null);
}

function exposedKey(port: string): string {
  return port.includes('/') ? port : `${port}/tcp`;
}

// Returns NetworkSettings.Ports: published ports with their bindings, exposed-only ports mapped to null.
export function portsShape(state: ContainerNetworkState): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const ports: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  if (!hasEndpoints(state)) return ports;
  for (const port of state.exposedPorts) ports[exposedKey(port)] = null;
  for (const binding of state.ports) {
    const key = `${binding.containerPort}/${binding.protocol}`;
    const entries = ports[key] ?? [];
    entries.push({ HostIp: binding.hostIp || '0.0.0.0', HostPort: String(binding.hostPort) });
    ports[key] = entries;
  }
  return ports;
}

// Returns the Ports array of a container summary: one entry per binding, and exposed-only ports without PublicPort.
export function summaryPortsShape(state: ContainerNetworkState): Record<string, unknown>[] {
  const ports: Record<string, unknown>[] = [];
  for (const [key, bindings] of Object.entries(portsShape(state))) {
    const [port, type = 'tcp'] = key.split('/');
    const privatePort = Number(port.split('-')[0]);
    if (bindings === null) {
      ports.push({ PrivatePort: privatePort, Type: type });
      continue;
    }
    for (const binding of bindings) {
      ports.push({ IP: binding.HostIp, PrivatePort: privatePort, PublicPort: Number(binding.HostPort), Type: type });
    }
  }
  return ports;
}

// Returns the NetworkSettings object of container inspect.
export function networkSettingsShape(record: ContainerRecord, state: ContainerNetworkState, apiVersion: string): Record<string, unknown> {
  const running = record.state.pid > 0 && (record.state.status === 'running' || record.state.status === 'paused');
  const shape: Record<string, unknown> = {};

  // API versions before 1.52 also report the default bridge network's values at the top level.
  const legacy = versionBelow(apiVersion, '1.52');
  if (legacy) shape.Bridge = '';
  shape.SandboxID = '';
  shape.SandboxKey = running ? `/proc/${record.state.pid}/ns/net` : '';
  shape.Ports = portsShape(state);
  if (legacy) {
    const bridge = state.networks.find((entry) => entry.networkName === 'bridge')?.endpoint ?? null;
    Object.assign(shape, {
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      EndpointID: bridge?.endpointId ?? '',
      Gateway: bridge?.gateway ?? '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      IPAddress: bridge?.ipAddress ?? '',
      IPPrefixLen: bridge?.prefixLength ?? 0,
      IPv6Gateway: '',
      MacAddress: bridge?.macAddress ?? '',
    });
  }
  shape.Networks = containerNetworksShape(record, state, apiVersion);
  return shape;
}
