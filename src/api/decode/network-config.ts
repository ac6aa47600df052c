// The network parts of a create request: HostConfig's PortBindings,
// PublishAllPorts, Dns, DnsSearch, DnsOptions and ExtraHosts, and the
// endpoint settings of NetworkingConfig.EndpointsConfig.
import net from 'node:net';
import { InvalidArgumentError, NotImplementedError } from '../../common/errors';
import type { NetworkAttachment, PortPublishSpec } from '../../container/types';
import { portSpecsFromBindings } from '../../network/ports';
import { ENDPOINT_SETTINGS_FIELDS } from './docker-fields';
import { type FieldReader, isPlainObject } from './fields';
import { resolveNetworkMode } from './host-config';

export interface NetworkHostConfig {
  portBindings: PortPublishSpec[];
  publishAllPorts: boolean;
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  extraHosts: string[];
}

// HostConfig fields that this file decodes. Inspect echoes them in the form the client sent.
export const NETWORK_HOST_CONFIG_FIELDS = ['PortBindings', 'PublishAllPorts', 'Dns', 'DnsSearch', 'DnsOptions', 'ExtraHosts'] as const;

type BindingEntries = Record<string, { HostIp?: string; HostPort?: string }[] | null>;

// Checks the JSON types of PortBindings ({"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}).
function checkPortBindings(value: unknown, hostConfig: FieldReader): BindingEntries {
  if (!isPlainObject(value)) hostConfig.fail('PortBindings', 'an object', value);
  for (const [port, entries] of Object.entries(value)) {
    if (entries === null) continue;
    if (!Array.isArray(entries)) hostConfig.fail(`PortBindings.${port}`, 'an array of port bindings', entries);
    for (const entry of entries) {
      const valid =
        isPlainObject(entry) &&
        ['HostIp', 'HostPort'].every((field) => entry[field] === undefined || typeof entry[field] === 'string');
      if (!valid) hostConfig.fail(`PortBindings.${port}`, 'an array of {"HostIp": string, "HostPort": string}', entries);
    }
  }
  return value as BindingEntries;
}

function decodePortBindings(hostConfig: FieldReader): PortPublishSpec[] {
  const value = hostConfig.raw('PortBindings');
  if (value === undefined || value === null) return [];
  const bindings = checkPortBindings(value, hostConfig);
  return portSpecsFromBindings(bindings).map((spec) => ({
    hostIp: spec.hostIp,
    hostPort: spec.hostPort,
    hostPortEnd: spec.hostPortEnd,
    containerPort: spec.containerPort,
    protocol: spec.protocol,
  }));
}

function decodeDnsServers(values: string[]): string[] {
  for (const value of values) {
    if (net.isIP(value) === 0) throw new InvalidArgumentError(`invalid DNS server address in HostConfig.Dns: ${JSON.stringify(value)}: expected an IP address`);
  }
  return values;
}

// Accepts "name:address" and "name=address". The address is an IP address or "host-gateway".
function decodeExtraHosts(values: string[]): string[] {
  for (const value of values) {
    const separator = value.search(/[:=]/);
    const name = separator > 0 ? value.slice(0, separator) : '';
    const address = separator > 0 ? value.slice(separator + 1).replace(/^\[(.*)\]$/, '$1') : '';
    if (name === '' || /\s/.test(name) || (address !== 'host-gateway' && net.isIP(address) === 0)) {
      throw new InvalidArgumentError(`invalid IP address in add-host: ${JSON.stringify(value)}: expected host:ip or host:host-gateway`);
    }
  }
  return values;
}

export function decodeNetworkHostConfig(hostConfig: FieldReader | null): NetworkHostConfig {
  if (!hostConfig) return { portBindings: [], publishAllPorts: false, dns: [], dnsSearch: [], dnsOptions: [], extraHosts: [] };
  return {
    portBindings: decodePortBindings(hostConfig),
    publishAllPorts: hostConfig.boolean('PublishAllPorts') ?? false,
    dns: decodeDnsServers(hostConfig.stringArray('Dns') ?? []),
    dnsSearch: hostConfig.stringArray('DnsSearch') ?? [],
    dnsOptions: hostConfig.stringArray('DnsOptions') ?? [],
    extraHosts: decodeExtraHosts(hostConfig.stringArray('ExtraHosts') ?? []),
  };
}

export interface DecodedEndpoints {
  // The request's endpoints keyed by network name, without the fields Berth acts on, for inspect.
  extra: Record<string, unknown> | null;
  attachment: NetworkAttachment | undefined;
}

// Reads Aliases and IPAMConfig of one EndpointSettings. The caller drains the other fields.
export function decodeEndpointAttachment(settings: FieldReader | null): NetworkAttachment {
  const aliases = settings?.stringArray('Aliases') ?? [];
  const ipam = settings?.object('IPAMConfig') ?? null;
  const ipv4Address = ipam?.string('IPv4Address') ?? '';
  const ipv6Address = ipam?.string('IPv6Address') ?? '';
  ipam?.remaining(['LinkLocalIPs']);
  if (ipv4Address !== '' && !net.isIPv4(ipv4Address)) {
    throw new InvalidArgumentError(`invalid IPv4 address: ${ipv4Address}`);
  }
  if (ipv6Address !== '') throw new NotImplementedError(`IPv6 address ${ipv6Address}: Berth networks are IPv4 only`);
  return { aliases, ipv4Address };
}

// Reads NetworkingConfig.EndpointsConfig. A container joins one network at create time, so every
// endpoint must name the network of NetworkMode.
export function decodeEndpoints(networkingConfig: FieldReader | null, networkMode: string): DecodedEndpoints {
  if (!networkingConfig) return { extra: null, attachment: undefined };
  const endpoints = networkingConfig.object('EndpointsConfig');
  networkingConfig.remaining([]);
  if (!endpoints) return { extra: null, attachment: undefined };

  const extra: Record<string, unknown> = {};
  let attachment: NetworkAttachment | undefined;
  for (const name of endpoints.keys()) {
    const resolved = resolveNetworkMode(name);
    if (resolved !== networkMode) {
      throw new InvalidArgumentError(
        `conflicting options: NetworkingConfig.EndpointsConfig names network "${name}" but the network mode is "${networkMode}"; connect further networks after create`,
      );
    }
    const settings = endpoints.object(name);
    attachment = decodeEndpointAttachment(settings);
    extra[resolved] = settings ? settings.remaining(ENDPOINT_SETTINGS_FIELDS) : {};
  }
  return { extra, attachment };
}
