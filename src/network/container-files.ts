// /etc/hosts and /etc/resolv.conf of a container, from its network mode and
// its endpoints. The text comes from etc-files.ts; this file picks the inputs.
import fs from 'node:fs/promises';
import { subsystemLogger } from '../common/logger';
import { hostHostsFile, hostsFile, resolvConf } from './etc-files';
import type { EndpointRecord, NetworkRecord } from './types';

const log = subsystemLogger('network');

// The lookups these functions need from the network service.
export interface NetworkView {
  findNetwork(idOrName: string): NetworkRecord | undefined;
  endpointsOf(containerId: string): EndpointRecord[];
}

export interface ContainerFileOptions {
  // HostConfig.NetworkMode: "host", "none", "bridge", "default" or a network name or ID.
  networkMode: string;
}

export interface HostsFileOptions extends ContainerFileOptions {
  hostname: string;
  domainname?: string;
  // --add-host values; "host-gateway" stands for the default bridge's gateway.
  extraHosts?: string[];
}

export interface ResolvConfFileOptions extends ContainerFileOptions {
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
}

// Under host mode the host's /etc/hosts is copied, as Docker does.
export async function containerHostsFile(view: NetworkView, containerId: string, options: HostsFileOptions): Promise<string> {
  const hostGateway = view.findNetwork('bridge')?.ipam?.gateway ?? null;
  if (options.networkMode === 'host') {
    return hostHostsFile(await fs.readFile('/etc/hosts', 'utf8'), options.extraHosts ?? [], hostGateway);
  }
  const endpoint = options.networkMode === 'none' ? undefined : primaryEndpoint(view, containerId, options.networkMode);
  return hostsFile({ ...options, ipAddress: endpoint?.ipAddress ?? null, hostGateway });
}

// User networks get the embedded resolver at their gateway; other modes get the host's or the --dns servers.
export async function containerResolvConf(view: NetworkView, containerId: string, options: ResolvConfFileOptions): Promise<string> {
  const hostResolvConf = await fs.readFile('/etc/resolv.conf', 'utf8').catch((error: unknown) => {
    log.warn({ err: error, container: containerId }, 'read /etc/resolv.conf failed; using no host settings');
    return '';
  });
  const mode = options.networkMode;
  if (mode === 'host' || mode === 'none') return resolvConf({ ...options, mode, hostResolvConf });
  const endpoint = primaryEndpoint(view, containerId, mode);
  const network = endpoint ? view.findNetwork(endpoint.networkId) : undefined;
  if (!endpoint || !network || network.builtIn) return resolvConf({ ...options, mode: 'bridge', hostResolvConf });
  return resolvConf({ ...options, mode: 'user', hostResolvConf, resolverAddress: endpoint.gateway });
}

// The endpoint on the network that the network mode names, else the container's first endpoint.
function primaryEndpoint(view: NetworkView, containerId: string, networkMode: string): EndpointRecord | undefined {
  const name = networkMode === 'default' || networkMode === '' ? 'bridge' : networkMode;
  const network = view.findNetwork(name);
  return (network && network.endpoints[containerId]) ?? view.endpointsOf(containerId)[0];
}
