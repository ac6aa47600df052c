// Builds the record of a new endpoint: checks the connect request against
// the network, allocates the address and names the interfaces.
import { ConflictError, InvalidArgumentError } from '../common/errors';
import { newId } from '../common/ids';
import { macFromAddress, newHostInterfaceName, nextContainerInterface } from './bridge/bridge-driver';
import { parseCidr } from './cidr';
import { allocateAddress } from './ipam';
import type { ConnectOptions, EndpointRecord, EndpointSummary, NetworkRecord } from './types';

export interface PlannedEndpoint {
  endpoint: EndpointRecord;
  bridge: string;
  // Gateway for the sandbox's default route, or null when another endpoint has it or the network is internal.
  defaultGateway: string | null;
}

// Allocates the address in network (the caller saves the network) and returns the endpoint to create.
export function newEndpointRecord(
  network: NetworkRecord,
  containerId: string,
  options: ConnectOptions,
  ownEndpoints: readonly EndpointRecord[],
): PlannedEndpoint {
  if (network.endpoints[containerId]) {
    throw new ConflictError(`endpoint with name ${options.name} already exists in network ${network.name}`);
  }
  if (network.driver !== 'bridge' || !network.ipam || !network.bridgeName) {
    throw new InvalidArgumentError(`connect container ${containerId} to network ${network.name}: driver ${network.driver} has no endpoints; use it as the network mode`);
  }
  if (options.ipAddress && !network.ipam.userSubnet) {
    throw new InvalidArgumentError('user specified IP address is supported only when connecting to networks with user configured subnets');
  }
  if (options.aliases?.length && network.builtIn) {
    throw new InvalidArgumentError('network-scoped alias is supported only for containers in user defined networks');
  }

  const endpointId = newId();
  const ipAddress = allocateAddress(network, endpointId, options.ipAddress);
  const endpoint: EndpointRecord = {
    endpointId,
    containerId,
    networkId: network.id,
    name: options.name.replace(/^\//, ''),
    aliases: [...(options.aliases ?? [])],
    ipAddress,
    prefixLength: parseCidr(network.ipam.subnet).prefixLength,
    gateway: network.ipam.gateway,
    macAddress: macFromAddress(ipAddress),
    hostInterface: newHostInterfaceName(),
    containerInterface: nextContainerInterface(ownEndpoints.map((own) => own.containerInterface)),
    defaultRoute: false,
  };
  // The first network that leads outside gives the sandbox its default route.
  const hasDefaultRoute = ownEndpoints.some((own) => own.defaultRoute);
  endpoint.defaultRoute = !network.internal && !hasDefaultRoute;
  const defaultGateway = endpoint.defaultRoute ? network.ipam.gateway : null;
  return { endpoint, bridge: network.bridgeName, defaultGateway };
}

export function summarizeEndpoint(endpoint: EndpointRecord): EndpointSummary {
  return {
    endpointId: endpoint.endpointId,
    networkId: endpoint.networkId,
    ipAddress: endpoint.ipAddress,
    prefixLength: endpoint.prefixLength,
    gateway: endpoint.gateway,
    macAddress: endpoint.macAddress,
  };
}
