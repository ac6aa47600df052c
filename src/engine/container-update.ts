// POST /containers/{id}/update: new resource limits, applied to a running
// container through `runc update` and stored in its record, so inspect and
// the next start use them; and a new restart policy.
import { ConflictError, InvalidArgumentError } from '../common/errors';
import type { ContainerRuntime } from '../container/runtime';
import type { ContainerRecord, Resources } from '../container/types';
import type { OciResources } from '../container/runtime/limits';
import type { ContainerService } from './container-service';
import type { ContainerUpdate } from './engine';

// The kernel's default CFS period in microseconds, used for NanoCpus.
const DEFAULT_CPU_PERIOD = 100_000;
// Docker's lower bound for a memory limit.
const MINIMUM_MEMORY = 6 * 1024 * 1024;

export interface UpdateDependencies {
  containers: ContainerService;
  runtime: ContainerRuntime;
  save(record: ContainerRecord): Promise<void>;
}

export async function updateContainer(dependencies: UpdateDependencies, idOrName: string, update: ContainerUpdate): Promise<{ warnings: string[] }> {
  const record = dependencies.containers.find(idOrName);
  await dependencies.containers.locks.run(record.id, async () => {
    const resources = mergeResources(record, update);
    const hostConfig = { ...((record.spec.extra.HostConfig ?? {}) as Record<string, unknown>) };
    applyCpuFields(hostConfig, update);

    if (update.restartPolicy !== null) {
      if (record.spec.autoRemove && update.restartPolicy.name !== 'no') {
        throw new InvalidArgumentError(`update container ${record.id}: restart policy cannot be updated because AutoRemove is enabled for the container`);
      }
    }

    const live = record.state.status === 'running' || record.state.status === 'paused';
    if (live) {
      const changed = ociChanges(update, resources);
      if (Object.keys(changed).length > 0) {
        await dependencies.runtime.updateResources(record.id, changed).catch((error: unknown) => {
          throw new Error(`update container ${record.id}: runc update: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        });
      }
    }

    record.spec.resources = resources;
    record.spec.extra = { ...record.spec.extra, HostConfig: hostConfig };
    if (update.restartPolicy !== null) record.spec.restartPolicy = update.restartPolicy;
    await dependencies.save(record);
  });
  return { warnings: [] };
}

// Returns the record's resources with the update applied, checked as dockerd checks them.
function mergeResources(record: ContainerRecord, update: ContainerUpdate): Resources {
  const current = record.spec.resources;
  const result: Resources = { ...current };

  if (update.memory !== null && update.memory !== 0) {
    if (update.memory < MINIMUM_MEMORY) throw new InvalidArgumentError('Minimum memory limit allowed is 6MB');
    // A memory limit above the swap limit already in force needs a new swap limit too.
    const currentSwap = current.memory > 0 && current.memorySwap === 0 ? current.memory * 2 : current.memorySwap;
    if (update.memorySwap === null && currentSwap > 0 && update.memory > currentSwap) {
      throw new ConflictError('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
    }
    // Swap left at Docker's default (twice the old memory) follows the new memory limit.
    if (update.memorySwap === null && current.memorySwap === 0 && current.memory > 0) result.memorySwap = 0;
    result.memory = update.memory;
  }
  if (update.memorySwap !== null && update.memorySwap !== 0) {
    if (update.memorySwap > 0 && update.memorySwap < result.memory) {
      throw new InvalidArgumentError('Minimum memoryswap limit should be larger than memory limit, see usage');
    }
    if (result.memory === 0) throw new InvalidArgumentError('You should always set the Memory limit when using Memoryswap limit, see usage');
    result.memorySwap = update.memorySwap;
  }

  if (update.nanoCpus !== null && update.nanoCpus !== 0) {
    if (update.cpuQuota !== null && update.cpuQuota !== 0) throw new InvalidArgumentError('Conflicting options: Nano CPUs and CPU Period cannot both be set');
    result.nanoCpus = update.nanoCpus;
  }
  if (update.cpuQuota !== null && update.cpuQuota > 0) {
    const period = update.cpuPeriod !== null && update.cpuPeriod > 0 ? update.cpuPeriod : DEFAULT_CPU_PERIOD;
    result.nanoCpus = Math.round((update.cpuQuota / period) * 1e9);
  }
  if (update.cpuShares !== null && update.cpuShares !== 0) result.cpuShares = update.cpuShares;
  if (update.pidsLimit !== null) result.pidsLimit = update.pidsLimit;
  return result;
}

// Keeps HostConfig.CpuQuota and CpuPeriod as the client sent them, so inspect reports the form it used.
function applyCpuFields(hostConfig: Record<string, unknown>, update: ContainerUpdate): void {
  if (update.nanoCpus !== null && update.nanoCpus !== 0) {
    delete hostConfig.CpuQuota;
    delete hostConfig.CpuPeriod;
  }
  if (update.cpuQuota !== null && update.cpuQuota !== 0) hostConfig.CpuQuota = update.cpuQuota;
  if (update.cpuPeriod !== null && update.cpuPeriod !== 0) hostConfig.CpuPeriod = update.cpuPeriod;
}

// Returns the OCI resources to hand to runc: only the groups the update touches.
function ociChanges(update: ContainerUpdate, resources: Resources): Omit<OciResources, 'devices'> {
  const changed: Omit<OciResources, 'devices'> = {};
  const touched = (value: number | null) => value !== null && value !== 0;

  if (touched(update.memory) || touched(update.memorySwap)) {
    const swap = resources.memorySwap === 0 ? resources.memory * 2 : resources.memorySwap;
    changed.memory = { limit: resources.memory, swap };
  }
  if (touched(update.cpuShares) || touched(update.nanoCpus) || touched(update.cpuQuota)) {
    changed.cpu = {};
    if (touched(update.cpuShares)) changed.cpu.shares = resources.cpuShares;
    if (touched(update.nanoCpus)) {
      changed.cpu.period = DEFAULT_CPU_PERIOD;
      changed.cpu.quota = Math.round((resources.nanoCpus * DEFAULT_CPU_PERIOD) / 1e9);
    }
    if (touched(update.cpuQuota)) {
      changed.cpu.period = update.cpuPeriod !== null && update.cpuPeriod > 0 ? update.cpuPeriod : DEFAULT_CPU_PERIOD;
      changed.cpu.quota = update.cpuQuota!;
    }
  }
  if (update.pidsLimit !== null) changed.pids = { limit: update.pidsLimit > 0 ? update.pidsLimit : -1 };
  return changed;
}
