// Removes stopped containers (`docker container prune`), with Docker's until,
// label and label! filters.
import { ConflictError, NotFoundError } from '../common/errors';
import type { Logger } from '../common/logger';
import { directorySize } from '../volume/store';
import { isActive } from '../container/state-machine';
import type { ContainerRecord } from '../container/types';
import type { ContainerService } from './container-service';
import type { EventLog } from './events';

export interface PruneContainersOptions {
  // Cutoff in Unix seconds: only containers created before it are removed. null for no cutoff.
  until: number | null;
  // "key" or "key=value" conditions that must all match (Docker's "label" filter).
  labels: string[];
  // "key" or "key=value" conditions of which none may match (Docker's "label!" filter).
  excludedLabels: string[];
}

export interface PruneContainersResult {
  // Full IDs of the removed containers.
  deleted: string[];
  // Bytes of their writable layers.
  spaceReclaimed: number;
}

// Tests one "key" or "key=value" condition against labels.
export function labelConditionHolds(labels: Record<string, string>, condition: string): boolean {
  const equals = condition.indexOf('=');
  if (equals < 0) return condition in labels;
  const key = condition.slice(0, equals);
  return key in labels && labels[key] === condition.slice(equals + 1);
}

function selected(record: ContainerRecord, options: PruneContainersOptions): boolean {
  if (isActive(record.state.status) || record.state.status === 'removing') return false;
  if (options.until !== null && Date.parse(record.created) / 1000 >= options.until) return false;
  const labels = record.spec.labels ?? {};
  if (!options.labels.every((condition) => labelConditionHolds(labels, condition))) return false;
  return !options.excludedLabels.some((condition) => labelConditionHolds(labels, condition));
}

export async function pruneContainers(
  containers: ContainerService,
  eventLog: EventLog,
  logger: Logger,
  upperDir: (containerId: string) => string,
  options: PruneContainersOptions,
): Promise<PruneContainersResult> {
  const result: PruneContainersResult = { deleted: [], spaceReclaimed: 0 };
  for (const record of containers.list().filter((candidate) => selected(candidate, options))) {
    const size = await directorySize(upperDir(record.id));
    try {
      // Docker's container prune keeps anonymous volumes. `volume prune` removes them.
      await containers.remove(record.id, { force: false, volumes: false });
    } catch (error) {
      // A container started or removed since the list is not pruned.
      if (!(error instanceof ConflictError || error instanceof NotFoundError)) throw error;
      logger.debug({ container: record.id, err: error }, 'container prune skipped a container that changed state');
      continue;
    }
    result.deleted.push(record.id);
    result.spaceReclaimed += size;
  }
  eventLog.emit('container', 'prune', '', { reclaimed: String(result.spaceReclaimed) });
  return result;
}
