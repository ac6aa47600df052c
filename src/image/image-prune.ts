// Chooses the images `docker image prune` removes, by the rules of dockerd:
// images no container uses that are untagged (or any, when danglingOnly is
// false), created before until, and whose labels match the label filters.
import type { ImageRecord } from './types';

export interface PruneFilters {
  danglingOnly: boolean;
  // Unix seconds, or null for no bound.
  until: number | null;
  labels: string[];
  excludedLabels: string[];
}

export function isPrunable(image: ImageRecord, filters: PruneFilters, inUse: boolean): boolean {
  if (inUse) return false;
  if (filters.danglingOnly && image.repoTags.length > 0) return false;
  if (filters.until !== null && createdSeconds(image) >= filters.until) return false;
  const labels = image.config.config?.Labels ?? {};
  if (!filters.labels.every((condition) => labelConditionHolds(condition, labels))) return false;
  if (filters.excludedLabels.some((condition) => labelConditionHolds(condition, labels))) return false;
  return true;
}

// An image without a valid created time counts as created at the Unix epoch, so an until bound removes it.
function createdSeconds(image: ImageRecord): number {
  const created = Date.parse(image.config.created ?? '');
  return Number.isNaN(created) ? 0 : created / 1000;
}

// "key" holds when the label is set, "key=value" when it has that value.
function labelConditionHolds(condition: string, labels: Record<string, string>): boolean {
  const separator = condition.indexOf('=');
  const key = separator === -1 ? condition : condition.slice(0, separator);
  if (!Object.prototype.hasOwnProperty.call(labels, key)) return false;
  return separator === -1 || labels[key] === condition.slice(separator + 1);
}
