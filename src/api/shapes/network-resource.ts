// Docker's Network object (GET /networks, GET /networks/{id}) built from the
// engine's NetworkInfo.
import type { NetworkInfo } from '../../engine/engine';
import { versionBelow } from '../version';

function ipamShape(info: NetworkInfo): Record<string, unknown> {
  const ipam = info.record.ipam;
  const config: Record<string, string>[] = [];
  if (ipam) {
    const entry: Record<string, string> = { Subnet: ipam.subnet };
    if (ipam.ipRange) entry.IPRange = ipam.ipRange;
    entry.Gateway = ipam.gateway;
    config.push(entry);
  }
  // dockerd reports null options for the predefined networks and {} for created ones.
  return { Driver: 'default', Options: info.record.builtIn ? null : {}, Config: config };
}

function containersShape(info: NetworkInfo): Record<string, unknown> {
  const containers: Record<string, unknown> = {};
  for (const { containerId, containerName, endpoint } of info.endpoints) {
    containers[containerId] = {
      Name: containerName.replace(/^\//, ''),
      EndpointID: endpoint.endpointId,
      MacAddress: endpoint.macAddress,
      IPv4Address: `${endpoint.ipAddress}/${endpoint.prefixLength}`,
      IPv6Address: '',
    };
  }
  return containers;
}

// Returns the Network object. withContainers is false for the list endpoint, where dockerd leaves Containers empty.
export function networkShape(info: NetworkInfo, apiVersion: string, withContainers: boolean): Record<string, unknown> {
  const record = info.record;
  const shape: Record<string, unknown> = {
    Name: record.name,
    Id: record.id,
    Created: record.created,
    Scope: 'local',
    Driver: record.driver,
  };
  if (!versionBelow(apiVersion, '1.47')) shape.EnableIPv4 = true;
  Object.assign(shape, {
    EnableIPv6: false,
    IPAM: ipamShape(info),
    Internal: record.internal,
    Attachable: record.attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: withContainers ? containersShape(info) : {},
    Options: record.options,
    Labels: record.labels,
  });
  return shape;
}
