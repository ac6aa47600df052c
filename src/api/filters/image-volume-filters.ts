// Filters of GET /images/json and GET /volumes, following dockerd.
import { InvalidArgumentError } from '../../common/errors';
import type { ImageRecord } from '../../image/types';
import type { VolumeRecord } from '../../volume/types';
import { familiarReference, imageCreatedSeconds } from '../shapes/image';
import type { FilterArgs } from './filter-args';

export const IMAGE_FILTERS = ['dangling', 'label', 'label!', 'before', 'since', 'reference', 'until'] as const;
export const VOLUME_FILTERS = ['dangling', 'driver', 'label', 'name'] as const;

// Converts a shell glob of Go's path.Match ("busy*", "local?ost:5000/*") to an anchored expression.
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let index = 0; index < pattern.length; index++) {
    const character = pattern[index];
    if (character === '*') source += '[^/]*';
    else if (character === '?') source += '[^/]';
    else if (character === '[') {
      const end = pattern.indexOf(']', index + 1);
      if (end === -1) throw new InvalidArgumentError(`invalid filter 'reference=${pattern}': syntax error in pattern`);
      const body = pattern.slice(index + 1, end).replace(/^\^/, '!');
      source += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
      index = end;
    } else if (character === '\\' && index + 1 < pattern.length) {
      index++;
      source += pattern[index].replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else {
      source += character.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

// Matches "busybox" and "busybox:latest" patterns against a stored reference, as Docker's FamiliarMatch does.
function matchesReference(pattern: RegExp, reference: string): boolean {
  const familiar = familiarReference(reference);
  if (pattern.test(familiar)) return true;
  const name = familiar.replace(/[:@][^/]*$/, '');
  return pattern.test(name);
}

// Parses an "until" value: Unix seconds, an RFC 3339 date, or a duration before now ("10m", "1h30m").
export function parseUntil(value: string, now: number): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number.parseFloat(value) * 1000;
  const duration = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(value);
  if (duration && value !== '') {
    const [, hours = '0', minutes = '0', seconds = '0'] = duration;
    return now - ((Number(hours) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000;
  }
  const date = Date.parse(value);
  if (Number.isNaN(date)) throw new InvalidArgumentError(`invalid filter 'until=${value}': not a timestamp, date or duration`);
  return date;
}

// Returns the images to list, newest first. `findImage` resolves before/since references.
export function selectImages(images: ImageRecord[], filters: FilterArgs, findImage: (reference: string) => ImageRecord, now: number): ImageRecord[] {
  filters.validate(IMAGE_FILTERS);
  const dangling = filters.booleanValue('dangling');
  const referencePatterns = filters.values('reference').map(globToRegExp);
  const beforeTimes = filters.values('before').map((reference) => imageCreatedSeconds(findImage(reference)));
  const sinceTimes = filters.values('since').map((reference) => imageCreatedSeconds(findImage(reference)));
  const untilTimes = filters.values('until').map((value) => parseUntil(value, now) / 1000);

  const selected = images.filter((image) => {
    const created = imageCreatedSeconds(image);
    const labels = image.config.config?.Labels ?? {};
    if (dangling !== null && (image.repoTags.length === 0) !== dangling) return false;
    if (!filters.matchLabels('label', labels)) return false;
    if (filters.matchAnyLabel('label!', labels)) return false;
    if (beforeTimes.some((time) => created >= time)) return false;
    if (sinceTimes.some((time) => created <= time)) return false;
    if (untilTimes.some((time) => created >= time)) return false;
    if (referencePatterns.length > 0) {
      const references = [...image.repoTags, ...image.repoDigests];
      if (!referencePatterns.some((pattern) => references.some((reference) => matchesReference(pattern, reference)))) return false;
    }
    return true;
  });
  return selected.sort((a, b) => imageCreatedSeconds(b) - imageCreatedSeconds(a));
}

// Returns the volumes to list. The `usedVolumes` argument names the volumes some container mounts, for "dangling".
export function selectVolumes(volumes: VolumeRecord[], filters: FilterArgs, usedVolumes: Set<string>): VolumeRecord[] {
  filters.validate(VOLUME_FILTERS);
  const dangling = filters.booleanValue('dangling');
  return volumes.filter((volume) => {
    if (!filters.match('name', volume.name)) return false;
    if (!filters.exactMatch('driver', volume.driver)) return false;
    if (!filters.matchLabels('label', volume.labels)) return false;
    if (dangling !== null && usedVolumes.has(volume.name) === dangling) return false;
    return true;
  });
}
