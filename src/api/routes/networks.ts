// Network endpoints: list, inspect, create, remove, prune, connect and
// disconnect, with dockerd's shapes, filters and errors.
import { InvalidArgumentError, NotFoundError, NotImplementedError } from '../../common/errors';
import type { NetworkInfo } from '../../engine/engine';
import { readJsonBody } from '../body';
import type { ApiRequest, ApiServices, Reply } from '../context';
import { ENDPOINT_SETTINGS_FIELDS } from '../decode/docker-fields';
import { FieldReader } from '../decode/fields';
import { decodeEndpointAttachment } from '../decode/network-config';
import { parseUntil } from '../filters/image-volume-filters';
import { FilterArgs } from '../filters/filter-args';
import type { Router } from '../router';
import { networkShape } from '../shapes/network-resource';

const NETWORK_FILTERS = ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type'] as const;

// True when no container is attached. The predefined networks are never dangling.
function isDangling(info: NetworkInfo): boolean {
  return !info.record.builtIn && info.endpoints.length === 0;
}

function matchesNetwork(info: NetworkInfo, filters: FilterArgs, danglingValue: boolean | null): boolean {
  const record = info.record;
  if (!filters.match('name', record.name)) return false;
  if (!filters.match('id', record.id)) return false;
  if (!filters.exactMatch('driver', record.driver)) return false;
  if (!filters.exactMatch('scope', 'local')) return false;
  if (!filters.matchLabels('label', record.labels)) return false;
  if (!filters.exactMatch('type', record.builtIn ? 'builtin' : 'custom')) return false;
  if (danglingValue !== null && isDangling(info) !== danglingValue) return false;
  return true;
}

async function listNetworks(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const filters = FilterArgs.parse(request.query.get('filters'));
  filters.validate(NETWORK_FILTERS);
  for (const value of filters.values('type')) {
    if (value !== 'custom' && value !== 'builtin') throw new InvalidArgumentError(`invalid filter: 'type'='${value}'`);
  }
  const danglingValue = filters.booleanValue('dangling');

  const networks = await services.engine.listNetworks();
  const selected = networks.filter((info) => matchesNetwork(info, filters, danglingValue));
  reply.json(200, selected.map((info) => networkShape(info, request.apiVersion, false)));
}

async function inspectNetwork(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const scope = request.query.get('scope') ?? '';
  const info = await services.engine.getNetwork(request.params.id);
  // Berth has only local networks, so a request for another scope finds nothing.
  if (scope !== '' && scope !== 'local') throw new NotFoundError(`network ${request.params.id} not found`);
  reply.json(200, networkShape(info, request.apiVersion, true));
}

interface IpamRequest {
  subnet: string | null;
  gateway: string | null;
  ipRange: string | null;
}

function decodeIpam(reader: FieldReader | null): IpamRequest {
  const driver = reader?.string('Driver') ?? '';
  if (driver !== '' && driver !== 'default') throw new NotFoundError(`IPAM driver "${driver}" not found: Berth has only the default IPAM driver`);
  reader?.stringMap('Options');
  const configs = reader?.array('Config') ?? [];
  reader?.remaining([]);
  if (configs.length > 1) throw new NotImplementedError('IPAM Config with more than one subnet is not supported: Berth networks have one IPv4 subnet');
  if (configs.length === 0 || !reader) return { subnet: null, gateway: null, ipRange: null };

  const config = reader.element('Config', 0, configs[0]);
  const subnet = config.string('Subnet') || null;
  const gateway = config.string('Gateway') || null;
  const ipRange = config.string('IPRange') || null;
  const auxiliary = config.stringMap('AuxiliaryAddresses') ?? {};
  config.remaining([]);
  if (Object.keys(auxiliary).length > 0) throw new NotImplementedError('IPAM AuxiliaryAddresses are not supported');
  if (subnet?.includes(':')) throw new NotImplementedError(`subnet ${subnet}: Berth networks are IPv4 only`);
  return { subnet, gateway, ipRange };
}

async function createNetwork(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const unknownFields: string[] = [];
  const reader = FieldReader.of(await readJsonBody(request), '', unknownFields) ?? new FieldReader({}, '', unknownFields);
  const name = reader.string('Name') ?? '';
  if (name.trim() === '') throw new InvalidArgumentError('network name must not be empty');
  const scope = reader.string('Scope') ?? '';
  if (scope !== '' && scope !== 'local') throw new NotImplementedError(`network scope "${scope}" is not supported: Berth networks are local`);
  if (reader.boolean('EnableIPv6') === true) throw new NotImplementedError('IPv6 networks are not supported: Berth networks are IPv4 only');
  if (reader.boolean('EnableIPv4') === false) throw new NotImplementedError('networks without IPv4 are not supported');
  if (reader.boolean('Ingress') === true) throw new NotImplementedError('ingress networks need swarm mode, which Berth does not support');
  if (reader.boolean('ConfigOnly') === true || (reader.object('ConfigFrom')?.string('Network') ?? '') !== '') {
    throw new NotImplementedError('config-only networks are not supported');
  }
  // CheckDuplicate is always on since API 1.44. A duplicate name is a conflict either way.
  reader.boolean('CheckDuplicate');

  const ipam = decodeIpam(reader.object('IPAM'));
  const created = await services.engine.createNetwork({
    name,
    driver: reader.string('Driver') || 'bridge',
    ...ipam,
    internal: reader.boolean('Internal') ?? false,
    attachable: reader.boolean('Attachable') ?? false,
    labels: reader.stringMap('Labels') ?? {},
    options: reader.stringMap('Options') ?? {},
  });
  reader.remaining([]);
  if (unknownFields.length > 0) services.logger.debug({ fields: unknownFields, network: created.id }, 'network create request: ignoring unknown fields');
  reply.json(201, { Id: created.id, Warning: '' });
}

async function pruneNetworks(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const filters = FilterArgs.parse(request.query.get('filters'));
  filters.validate(['label', 'label!', 'until']);
  if (filters.has('label!')) throw new NotImplementedError("the 'label!' filter of network prune is not supported yet");
  const untilValues = filters.values('until');
  if (untilValues.length > 1) throw new InvalidArgumentError('invalid filter: more than one until value');
  const until = untilValues.length === 0 ? null : parseUntil(untilValues[0], Date.now()) / 1000;
  const removed = await services.engine.pruneNetworks({ labels: filters.values('label'), until });
  reply.json(200, { NetworksDeleted: removed });
}

// Reads the Container field of connect and disconnect requests.
function containerField(reader: FieldReader): string {
  const container = reader.string('Container') ?? '';
  if (container === '') throw new InvalidArgumentError('invalid request: Container must name a container');
  return container;
}

async function connectNetwork(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const unknownFields: string[] = [];
  const reader = FieldReader.of(await readJsonBody(request), '', unknownFields) ?? new FieldReader({}, '', unknownFields);
  const container = containerField(reader);
  const endpointConfig = reader.object('EndpointConfig');
  const attachment = decodeEndpointAttachment(endpointConfig);
  endpointConfig?.remaining(ENDPOINT_SETTINGS_FIELDS);
  reader.remaining([]);
  await services.engine.connectNetwork(request.params.id, container, attachment);
  reply.empty(200);
}

async function disconnectNetwork(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const unknownFields: string[] = [];
  const reader = FieldReader.of(await readJsonBody(request), '', unknownFields) ?? new FieldReader({}, '', unknownFields);
  const container = containerField(reader);
  const force = reader.boolean('Force') ?? false;
  reader.remaining([]);
  await services.engine.disconnectNetwork(request.params.id, container, force);
  reply.empty(200);
}

export function registerNetworkRoutes(router: Router): void {
  router.add('GET', '/networks', listNetworks);
  router.add('POST', '/networks/create', createNetwork);
  router.add('POST', '/networks/prune', pruneNetworks);
  router.add('GET', '/networks/{id}', inspectNetwork);
  router.add('DELETE', '/networks/{id}', async (request, reply, services) => {
    await services.engine.removeNetwork(request.params.id);
    reply.empty(204);
  });
  router.add('POST', '/networks/{id}/connect', connectNetwork);
  router.add('POST', '/networks/{id}/disconnect', disconnectNetwork);
}
