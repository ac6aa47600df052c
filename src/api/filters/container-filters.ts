// GET /containers/json: which records to list and in what order, following
// dockerd's list.go. The engine returns every record. Filtering, the
// all/limit rules and sorting newest first happen here.
import { InvalidArgumentError, NotFoundError } from '../../common/errors';
import type { ContainerRecord, ContainerStatus } from '../../container/types';
import { containerNetworkName } from '../shapes/network';
import { isZeroTime } from '../shapes/status';
import { FilterArgs } from './filter-args';

export const CONTAINER_FILTERS = [
  'ancestor', 'before', 'exited', 'id', 'isolation', 'label', 'name', 'status', 'health', 'since', 'volume', 'network',
  'is-task', 'publish', 'expose',
] as const;

const STATUSES: readonly ContainerStatus[] = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];
const HEALTH_STATUSES = ['starting', 'healthy', 'unhealthy', 'none'];
const PORT_FILTER = /^\d{1,5}(-\d{1,5})?(\/(tcp|udp|sctp))?$/;

export interface ListRequest {
  all: boolean;
  // 0 means no limit. A positive limit also lists stopped containers, as `docker ps -n` does.
  limit: number;
  filters: FilterArgs;
  // IDs of the images named by "ancestor" filters, resolved by the caller, or null when there is no such filter.
  ancestorImageIds: Set<string> | null;
}

function isRunning(record: ContainerRecord): boolean {
  const status = record.state.status;
  return status === 'running' || status === 'paused' || status === 'restarting';
}

// Matches a network filter value against the network mode and the networks joined, by name or ID.
function joinsNetwork(record: ContainerRecord, network: string): boolean {
  if (containerNetworkName(record) === network) return true;
  return Object.entries(record.networks ?? {}).some(([id, attachment]) => id === network || attachment.name === network);
}

function bareName(record: ContainerRecord): string {
  return record.name.replace(/^\//, '');
}

// Finds the container a before/since filter names: full ID, unique ID prefix or name.
function findReference(records: ContainerRecord[], value: string): ContainerRecord {
  const byId = records.find((record) => record.id === value);
  if (byId) return byId;
  const byName = records.find((record) => bareName(record) === value.replace(/^\//, ''));
  if (byName) return byName;
  const byPrefix = records.filter((record) => record.id.startsWith(value));
  if (byPrefix.length === 1) return byPrefix[0];
  throw new NotFoundError(`No such container: ${value}`);
}

// Checks filter names and values before any record is looked at, with dockerd's messages.
export function validateContainerFilters(filters: FilterArgs): void {
  filters.validate(CONTAINER_FILTERS);
  for (const value of filters.values('exited')) {
    if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`invalid filter 'exited=${value}': strconv.Atoi: parsing "${value}": invalid syntax`);
  }
  for (const value of filters.values('status')) {
    if (!STATUSES.includes(value as ContainerStatus)) {
      throw new InvalidArgumentError(`invalid filter 'status=${value}': invalid value for state (${value}): must be one of ${STATUSES.join(', ')}`);
    }
  }
  for (const value of filters.values('health')) {
    if (!HEALTH_STATUSES.includes(value)) {
      throw new InvalidArgumentError(`invalid filter 'health=${value}': invalid value for health (${value}): must be one of ${HEALTH_STATUSES.join(', ')}`);
    }
  }
  for (const key of ['publish', 'expose']) {
    for (const value of filters.values(key)) {
      if (value.includes(':')) throw new InvalidArgumentError(`filter for '${key}' should not contain ':': ${value}`);
      if (!PORT_FILTER.test(value)) throw new InvalidArgumentError(`error while looking up for ${key} ${value}: invalid port`);
    }
  }
  if (filters.has('is-task')) filters.booleanValue('is-task');
}

function matchesVolume(record: ContainerRecord, filters: FilterArgs): boolean {
  if (!filters.has('volume')) return true;
  return filters.values('volume').some((value) =>
    record.mounts.some((mount) => mount.destination === value || (mount.name !== '' ? mount.name : mount.source) === value),
  );
}

function matchesRecord(record: ContainerRecord, request: ListRequest): boolean {
  const { filters } = request;
  if (!filters.match('name', `/${bareName(record)}`) && !filters.match('name', bareName(record))) return false;
  if (!filters.match('id', record.id)) return false;
  // Berth creates no swarm tasks, so is-task=true matches nothing.
  if (filters.has('is-task') && filters.booleanValue('is-task')) return false;
  if (!filters.matchLabels('label', record.spec.labels)) return false;
  if (!filters.exactMatch('isolation', 'default')) return false;

  const exitCodes = filters.values('exited').map((value) => Number.parseInt(value, 10));
  if (exitCodes.length > 0) {
    const exited = !isRunning(record) && !isZeroTime(record.state.startedAt);
    if (!exited || !exitCodes.includes(record.state.exitCode)) return false;
  }
  if (!filters.match('status', record.state.status)) return false;
  // Containers without a health check, and stopped ones, have the health "none" (dockerd reports it only while running).
  const health = isRunning(record) && record.state.health ? record.state.health.status : 'none';
  if (!filters.exactMatch('health', health)) return false;
  if (!matchesVolume(record, filters)) return false;
  if (request.ancestorImageIds && !request.ancestorImageIds.has(record.imageId)) return false;
  if (filters.has('network') && !filters.values('network').some((network) => joinsNetwork(record, network))) return false;
  // NOTE: publish and expose filters are not evaluated yet (they need the engine's port state), so they match nothing.
  if (filters.has('publish') || filters.has('expose')) return false;
  return true;
}

// Returns the records to list, newest first.
export function selectContainers(records: ContainerRecord[], request: ListRequest): ContainerRecord[] {
  const { filters } = request;
  const all = request.all || filters.has('status');
  const sorted = [...records].sort((a, b) => Date.parse(b.created) - Date.parse(a.created));

  let before = filters.values('before').map((value) => findReference(sorted, value)).pop() ?? null;
  const since = filters.values('since').map((value) => findReference(sorted, value)).pop() ?? null;

  const selected: ContainerRecord[] = [];
  for (const record of sorted) {
    // Skip containers newer than the "before" one, including it.
    if (before) {
      if (record.id === before.id) before = null;
      continue;
    }
    if (since && record.id === since.id) break;
    if (!isRunning(record) && !all && request.limit <= 0) continue;
    if (!matchesRecord(record, request)) continue;
    if (request.limit > 0 && selected.length === request.limit) break;
    selected.push(record);
  }
  return selected;
}
