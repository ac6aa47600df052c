// NetworkSettings for inspect and list. A container is on exactly one
// network, "none" or "host", neither of which assigns addresses, so every
// endpoint value is empty.
import type { ContainerRecord } from '../../container/types';
import { versionBelow } from '../version';

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

export function containerNetworkName(record: ContainerRecord): string {
  const mode = record.spec.networkMode;
  return mode === '' || mode === 'default' ? 'none' : mode;
}

// Returns { "<network>": EndpointSettings }, with values the client asked for at create time.
export function containerNetworks(record: ContainerRecord, apiVersion: string): Record<string, unknown> {
  const name = containerNetworkName(record);
  const requested = record.spec.extra.NetworkingConfig as { EndpointsConfig?: Record<string, Record<string, unknown>> } | undefined;
  const fromRequest = requested?.EndpointsConfig?.[name] ?? {};
  const settings = emptyEndpointSettings(apiVersion);
  for (const key of ['Aliases', 'Links', 'DriverOpts'] as const) {
    if (fromRequest[key] !== undefined) settings[key] = fromRequest[key];
  }
  return { [name]: settings };
}

// Returns the NetworkSettings object of container inspect.
export function networkSettingsShape(record: ContainerRecord, apiVersion: string): Record<string, unknown> {
  const running = record.state.pid > 0 && (record.state.status === 'running' || record.state.status === 'paused');
  const shape: Record<string, unknown> = {};

  // API versions before 1.52 also report the default bridge network's values at the top level.
  const legacy = versionBelow(apiVersion, '1.52');
  if (legacy) shape.Bridge = '';
  shape.SandboxID = '';
  shape.SandboxKey = running ? `/proc/${record.state.pid}/ns/net` : '';
  shape.Ports = {};
  if (legacy) {
    Object.assign(shape, {
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      EndpointID: '',
      Gateway: '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      IPAddress: '',
      IPPrefixLen: 0,
      IPv6Gateway: '',
      MacAddress: '',
    });
  }
  shape.Networks = containerNetworks(record, apiVersion);
  return shape;
}
