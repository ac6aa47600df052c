// Turns a create request (ContainerSpec) and its image into a ContainerRecord:
// merges the image's Entrypoint, Cmd, Env, WorkingDir, User and StopSignal the
// way Docker does, checks the values only the daemon can judge, and names the
// container.
import os from 'node:os';
import path from 'node:path';
import { InvalidArgumentError } from '../common/errors';
import { CONTAINER_NAME_PATTERN } from '../container/names';
import type { ContainerRecord, ContainerSpec } from '../container/types';
import type { ImageRecord } from '../image/types';

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const MINIMUM_MEMORY = 6 * 1024 * 1024;
const NEVER = '0001-01-01T00:00:00Z';

export interface NewRecordInput {
  id: string;
  name: string;
  spec: ContainerSpec;
  image: ImageRecord;
  containerDirectory: string;
  runtime: string;
}

export function buildContainerRecord(input: NewRecordInput): ContainerRecord {
  const { id, spec, image } = input;
  const imageConfig = image.config.config ?? {};
  const command = mergeCommand(spec, imageConfig.Entrypoint ?? null, imageConfig.Cmd ?? null);

  return {
    id,
    name: input.name,
    created: new Date().toISOString(),
    imageId: image.id,
    spec,
    path: command[0],
    args: command.slice(1),
    effectiveEnv: mergeEnv(imageConfig.Env ?? [], spec.env),
    effectiveWorkingDir: spec.workingDir || imageConfig.WorkingDir || '/',
    effectiveUser: spec.user || imageConfig.User || '',
    effectiveStopSignal: spec.stopSignal || imageConfig.StopSignal || 'SIGTERM',
    state: { status: 'created', pid: 0, exitCode: 0, error: '', oomKilled: false, startedAt: NEVER, finishedAt: NEVER },
    restartCount: 0,
    manuallyStopped: false,
    hasBeenStarted: false,
    mounts: [],
    logPath: path.join(input.containerDirectory, `${id}.log`),
    hostnamePath: path.join(input.containerDirectory, 'hostname'),
    hostsPath: path.join(input.containerDirectory, 'hosts'),
    resolvConfPath: path.join(input.containerDirectory, 'resolv.conf'),
    logDriver: 'k8s-file',
    runtime: input.runtime,
    driver: 'overlay',
  };
}

// Docker's rule: an explicit entrypoint resets the image's Cmd; otherwise the
// request's Cmd replaces the image's Cmd and the image's Entrypoint stays.
export function mergeCommand(spec: ContainerSpec, imageEntrypoint: string[] | null, imageCmd: string[] | null): string[] {
  let command: string[];
  if (spec.entrypoint !== null) {
    command = [...spec.entrypoint, ...(spec.cmd ?? [])];
  } else {
    command = [...(imageEntrypoint ?? []), ...(spec.cmd ?? imageCmd ?? [])];
  }
  if (command.length === 0 || command[0] === '') {
    throw new InvalidArgumentError('No command specified');
  }
  return command;
}

// Request values override image values with the same key; PATH gets Docker's default when neither sets it.
export function mergeEnv(imageEnv: string[], requestEnv: string[]): string[] {
  const merged = new Map<string, string>();
  for (const entry of [...imageEnv, ...requestEnv]) {
    const key = entry.includes('=') ? entry.slice(0, entry.indexOf('=')) : entry;
    merged.set(key, entry);
  }
  if (!merged.has('PATH')) merged.set('PATH', DEFAULT_PATH);
  return [...merged.values()];
}

// Checks the values that only the daemon can reject, with Docker's messages.
export function validateDaemonLimits(spec: ContainerSpec): void {
  if (spec.name !== undefined && spec.name !== '' && !CONTAINER_NAME_PATTERN.test(spec.name)) {
    throw new InvalidArgumentError(`Invalid container name (${spec.name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }

  const resources = spec.resources;
  if (resources.memory > 0 && resources.memory < MINIMUM_MEMORY) {
    throw new InvalidArgumentError('Minimum memory limit allowed is 6MB');
  }
  if (resources.memorySwap > 0 && resources.memory === 0) {
    throw new InvalidArgumentError('You should always set the Memory limit when using Memoryswap limit, see usage');
  }
  if (resources.memorySwap > 0 && resources.memorySwap < resources.memory) {
    throw new InvalidArgumentError('Minimum memoryswap limit should be larger than memory limit, see usage');
  }

  const cpus = os.availableParallelism();
  if (resources.nanoCpus < 0 || resources.nanoCpus > cpus * 1e9) {
    throw new InvalidArgumentError(`Range of CPUs is from 0.01 to ${cpus}.00, as there are only ${cpus} CPUs available`);
  }
  if (spec.shmSize < 0) throw new InvalidArgumentError('SHM size can not be less than 0');

  const policy = spec.restartPolicy;
  if (policy.maximumRetryCount < 0) throw new InvalidArgumentError('invalid restart policy: maximum retry count cannot be negative');
  if (policy.maximumRetryCount > 0 && policy.name !== 'on-failure') {
    throw new InvalidArgumentError(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  }
  if (spec.autoRemove && policy.name !== 'no') {
    throw new InvalidArgumentError(`can't create 'AutoRemove' container with restart policy`);
  }
  if (!['', 'host'].includes(spec.pidMode)) throw new InvalidArgumentError(`invalid PID mode: ${spec.pidMode}`);

  for (const mount of spec.mounts) {
    if (!path.isAbsolute(mount.target)) {
      throw new InvalidArgumentError(`invalid mount config for type "${mount.type}": invalid mount path: '${mount.target}' mount path must be absolute`);
    }
    if (mount.type === 'bind' && !path.isAbsolute(mount.source)) {
      throw new InvalidArgumentError(`invalid mount config for type "bind": invalid mount path: '${mount.source}' mount path must be absolute`);
    }
  }
}
