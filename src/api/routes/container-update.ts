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

// Reads Docker's RestartPolicy; an empty Name leaves the policy unchanged, as dockerd treats it.
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
  const update = decodeContainerUpdate(await readJsonBody(request));
  const result = await services.engine.updateContainer(request.params.id, update);
  reply.json(200, { Warnings: result.warnings });
}

export function registerContainerUpdateRoutes(router: Router): void {
  router.add('POST', '/containers/{id}/update', updateContainer);
}
