// Builds the record of a new network from the create request: validates the
// name, driver and options, names the bridge and plans the addresses.
import { ConflictError, ForbiddenError, InvalidArgumentError, NotFoundError } from '../common/errors';
import { newId } from '../common/ids';
import { parseCidr, type Subnet } from './cidr';
import { planIpam } from './ipam';
import { checkInterfaceName, checkNetworkName, defaultBridgeName, userBridgeName } from './naming';
import type { AddressPool, CreateNetworkOptions, NetworkRecord } from './types';

export interface NetworkContext {
  // The predefined bridge, host and none networks.
  builtIn: boolean;
  instance: string;
  existing: readonly NetworkRecord[];
  hostRoutes: readonly Subnet[];
  pools: readonly AddressPool[];
  // Default bridge MTU, in bytes.
  mtu: number;
}

export function newNetworkRecord(options: CreateNetworkOptions, context: NetworkContext): NetworkRecord {
  const name = checkNetworkName(options.name);
  if (context.existing.some((network) => network.name === name)) {
    throw new ConflictError(`network with name ${name} already exists`);
  }
  const driver = options.driver ?? 'bridge';
  if (!context.builtIn && (driver === 'host' || driver === 'null')) {
    throw new ForbiddenError(`only one instance of "${driver}" network is allowed`);
  }
  if (driver !== 'bridge' && driver !== 'host' && driver !== 'null') {
    throw new NotFoundError(`plugin "${driver}" not found`);
  }

  const id = newId();
  const driverOptions = { ...(options.options ?? {}) };
  const record: NetworkRecord = {
    id,
    name,
    driver,
    created: new Date().toISOString(),
    internal: options.internal ?? false,
    attachable: options.attachable ?? false,
    labels: { ...(options.labels ?? {}) },
    options: driverOptions,
    ipam: null,
    bridgeName: null,
    mtu: parseMtu(driverOptions['com.docker.network.driver.mtu'], context.mtu),
    icc: driverOptions['com.docker.network.bridge.enable_icc'] !== 'false',
    builtIn: context.builtIn,
    allocations: {},
    lastAllocated: null,
    endpoints: {},
  };
  if (driver !== 'bridge') return record;

  const bridges = context.existing.filter((network) => network.driver === 'bridge' && network.ipam);
  const requestedBridge = driverOptions['com.docker.network.bridge.name'];
  if (requestedBridge) {
    record.bridgeName = checkInterfaceName(requestedBridge);
  } else if (context.builtIn) {
    record.bridgeName = defaultBridgeName(context.instance);
  } else {
    record.bridgeName = userBridgeName(id);
  }
  if (bridges.some((network) => network.bridgeName === record.bridgeName)) {
    throw new ConflictError(`create network ${name}: bridge ${record.bridgeName} is already used by another network`);
  }
  const inUse = bridges.map((network) => parseCidr((network.ipam as { subnet: string }).subnet));
  record.ipam = planIpam(options, inUse, context.hostRoutes, context.pools);
  return record;
}

function parseMtu(text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const mtu = Number(text);
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
    throw new InvalidArgumentError(`invalid com.docker.network.driver.mtu "${text}": use an integer from 68 to 65535`);
  }
  return mtu;
}
