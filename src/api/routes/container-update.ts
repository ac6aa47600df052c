// POST /containers/{id}/update: new resource limits and restart policy.
import { InvalidArgumentError } from '../../common/errors';
import type { RestartPolicy, RestartPolicyName } from '../../container/types';
import type { ContainerUpdate } from '../../engine/engine';
import { readJsonBody } from '../body';
import type { ApiRequest, ApiServices, Reply } from '../context';
import { isPlainObject } from '../decode/fields';
import type { Router } from '../router';

const RESTART_POLICY_NAMES: RestartPolicyName[] = ['no', 'always', 'on-failure', 'unless-stopped'];

function integerField(body: Record<string, unknown>, key: string): number | null {
  const value = body[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new InvalidArgumentError(`invalid JSON: ${key}: expected an integer, got ${JSON.stringify(value)}`);
  return value;
}

// Reads Docker's RestartPolicy. An empty Name leaves the policy unchanged, as dockerd treats it.
function restartPolicyField(body: Record<string, unknown>): RestartPolicy | null {
  const value = body.RestartPolicy;
  if (value === undefined || value === null) return null;
  if (!isPlainObject(value)) throw new InvalidArgumentError('invalid JSON: RestartPolicy: expected an object');
  const name = value.Name ?? '';
  if (name === '') return null;
  if (typeof name !== 'string' || !RESTART_POLICY_NAMES.includes(name as RestartPolicyName)) {
    throw new InvalidArgumentError(`invalid restart policy: unknown policy '${String(name)}'; use one of 'no', 'always', 'on-failure' or 'unless-stopped'`);
  }
  const retries = integerField(value, 'MaximumRetryCount') ?? 0;
  if (retries < 0) throw new InvalidArgumentError('invalid restart policy: maximum retry count cannot be negative');
  if (retries > 0 && name !== 'on-failure') throw new InvalidArgumentError(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  return { name: name as RestartPolicyName, maximumRetryCount: retries };
}

// Resources fields that docker update sends and dockerd applies, but Berth does not enforce at
// create or update. The Docker CLI sends every field, so only a non-zero, non-empty value counts.
const IGNORED_UPDATE_FIELDS = ['BlkioWeight', 'CpusetCpus', 'CpusetMems', 'MemoryReservation', 'KernelMemory', 'KernelMemoryTCP', 'CpuRealtimePeriod', 'CpuRealtimeRuntime'] as const;

// Returns one warning per ignored field with a value, which docker update prints on stdout after the container names.
export function ignoredUpdateWarnings(body: unknown): string[] {
  if (!isPlainObject(body)) return [];
  return IGNORED_UPDATE_FIELDS.filter((key) => body[key] !== undefined && body[key] !== null && body[key] !== 0 && body[key] !== '').map(
    (key) => `${key} is not supported by Berth and was not applied; the container keeps its previous value`,
  );
}

export function decodeContainerUpdate(body: unknown): ContainerUpdate {
  if (body === undefined || body === null) body = {};
  if (!isPlainObject(body)) throw new InvalidArgumentError('invalid JSON: update: expected an object');
  return {
    memory: integerField(body, 'Memory'),
    memorySwap: integerField(body, 'MemorySwap'),
    nanoCpus: integerField(body, 'NanoCpus'),
    cpuShares: integerField(body, 'CpuShares'),
    cpuQuota: integerField(body, 'CpuQuota'),
    cpuPeriod: integerField(body, 'CpuPeriod'),
    pidsLimit: integerField(body, 'PidsLimit'),
    restartPolicy: restartPolicyField(body),
  };
}

async function updateContainer(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const body = await readJsonBody(request);
  const update = decodeContainerUpdate(body);
  const result = await services.engine.updateContainer(request.params.id, update);
  reply.json(200, { Warnings: [...result.warnings, ...ignoredUpdateWarnings(body)] });
}

export function registerContainerUpdateRoutes(router: Router): void {
  router.add('POST', '/containers/{id}/update', updateContainer);
}
