// Filters and JSON shape of GET /events, following dockerd's event filter.
// The container, network and volume filters match the actor's ID, an ID
// prefix or its name attribute. The image filter matches the image ID or
// name, with or without tag. The event filter matches the action or its part
// before ":", so "health_status" matches "health_status: healthy".
import { InvalidArgumentError } from '../../common/errors';
import type { EngineEvent } from '../../engine/engine';
import type { FilterArgs } from '../filters/filter-args';

export const EVENT_FILTERS = ['config', 'container', 'daemon', 'event', 'image', 'label', 'network', 'node', 'plugin', 'scope', 'secret', 'service', 'type', 'volume'] as const;

const EVENT_TYPES = ['builder', 'config', 'container', 'daemon', 'image', 'network', 'node', 'plugin', 'secret', 'service', 'volume'];

export function validateEventFilters(filters: FilterArgs): void {
  filters.validate(EVENT_FILTERS);
  for (const value of filters.values('type')) {
    if (!EVENT_TYPES.includes(value)) throw new InvalidArgumentError(`invalid filter 'type=${value}': unknown event type`);
  }
  for (const value of filters.values('scope')) {
    if (value !== 'local' && value !== 'swarm') throw new InvalidArgumentError(`invalid filter 'scope=${value}': must be local or swarm`);
  }
}

// True when the filter is absent, or one of its values equals the source or is a prefix of it.
function fuzzyMatch(filters: FilterArgs, name: string, source: string | undefined): boolean {
  if (!filters.has(name)) return true;
  if (source === undefined) return false;
  return filters.values(name).some((value) => source.startsWith(value));
}

function matchesByName(filters: FilterArgs, name: string, event: EngineEvent): boolean {
  if (!filters.has(name)) return true;
  return fuzzyMatch(filters, name, event.actorId) || fuzzyMatch(filters, name, event.attributes.name);
}

// Removes a ":tag" (not a registry port) from a reference.
function stripTag(reference: string): string {
  const colon = reference.lastIndexOf(':');
  return colon > reference.lastIndexOf('/') && !reference.startsWith('sha256:') ? reference.slice(0, colon) : reference;
}

function matchesImage(filters: FilterArgs, event: EngineEvent): boolean {
  if (!filters.has('image')) return true;
  const imageName = (event.type === 'image' ? event.attributes.name : event.attributes.image) ?? '';
  const candidates = [event.actorId, imageName, stripTag(event.actorId), stripTag(imageName)];
  return candidates.some((candidate) => candidate !== '' && filters.exactMatch('image', candidate));
}

export function eventMatches(filters: FilterArgs, event: EngineEvent): boolean {
  const actionPrefix = event.action.split(':', 1)[0];
  if (!filters.exactMatch('event', event.action) && !filters.exactMatch('event', actionPrefix)) return false;
  if (!filters.exactMatch('type', event.type)) return false;
  if (!filters.exactMatch('scope', 'local')) return false;
  if (!matchesByName(filters, 'container', event)) return false;
  if (!matchesByName(filters, 'network', event)) return false;
  if (!matchesByName(filters, 'volume', event)) return false;
  if (!matchesImage(filters, event)) return false;
  // Berth has no swarm, plugins or daemon events, so those filters match nothing.
  for (const name of ['config', 'daemon', 'node', 'plugin', 'secret', 'service']) {
    if (filters.has(name)) return false;
  }
  return filters.matchLabels('label', event.attributes);
}

// Returns one event as dockerd encodes it, newline included. timeNano does not fit in a JSON number
// that JavaScript can hold exactly, so it is written as digits by hand.
export function encodeEvent(event: EngineEvent): string {
  const shape: Record<string, unknown> = {};
  // The deprecated status, id and from fields exist only for container and image events.
  if (event.type === 'container' || event.type === 'image') {
    shape.status = event.action;
    shape.id = event.actorId;
    if (event.type === 'container' && event.attributes.image !== undefined) shape.from = event.attributes.image;
  }
  Object.assign(shape, {
    Type: event.type,
    Action: event.action,
    // Go encodes map keys in sorted order, so dockerd's Attributes are sorted by key.
    Actor: { ID: event.actorId, Attributes: Object.fromEntries(Object.entries(event.attributes).sort(([left], [right]) => (left < right ? -1 : 1))) },
    scope: 'local',
    time: Number(event.timeNano / 1_000_000_000n),
  });
  const json = JSON.stringify(shape);
  return `${json.slice(0, -1)},"timeNano":${event.timeNano.toString()}}\n`;
}

// Parses since/until as the docker CLI sends them ("1700000000" or "1700000000.123456789") into nanoseconds, or null when absent.
export function parseEventTimestamp(query: URLSearchParams, key: string): bigint | null {
  const raw = query.get(key);
  if (raw === null || raw === '') return null;
  const match = /^(-?\d+)(?:\.(\d{1,9}))?$/.exec(raw);
  if (!match) throw new InvalidArgumentError(`invalid value for "${key}": ${JSON.stringify(raw)} is not a Unix timestamp in seconds`);
  const fraction = (match[2] ?? '').padEnd(9, '0');
  return BigInt(match[1]) * 1_000_000_000n + BigInt(fraction);
}
