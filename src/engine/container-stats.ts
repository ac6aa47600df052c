// One resource-usage sample of a container for GET /containers/{id}/stats.
// The API layer pairs consecutive samples (precpu_stats) and streams them.
import type { ContainerRuntime } from '../container/runtime';
import { emptyCgroupSample } from '../container/runtime/stats';
import type { ContainerService } from './container-service';
import type { ContainerStats } from './engine';

// Docker's zero time, sent as "read" for a container that is not running.
const ZERO_TIME = '0001-01-01T00:00:00Z';

export async function sampleContainerStats(containers: ContainerService, runtime: ContainerRuntime, idOrName: string): Promise<ContainerStats> {
  const record = containers.find(idOrName);
  const name = `/${record.name.replace(/^\//, '')}`;
  const live = (record.state.status === 'running' || record.state.status === 'paused') && record.state.pid > 0;
  if (!live) return { ...emptyCgroupSample(), read: ZERO_TIME, name, id: record.id, running: false };

  const sample = await runtime.sampleStats(record.id, record.state.pid);
  // A container on the host's network namespace would report the host's devices; dockerd reports none.
  if (record.spec.networkMode === 'host') delete sample.networks;
  return { ...sample, read: new Date().toISOString(), name, id: record.id, running: true };
}
