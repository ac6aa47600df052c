// The namespace, network, restart and logging parts of HostConfig, each
// checked with dockerd's messages where dockerd has one.
import { InvalidArgumentError, NotImplementedError } from '../../common/errors';
import type { LogConfig, RestartPolicy, RestartPolicyName } from '../../container/types';
import type { FieldReader } from './fields';

// Resolves NetworkMode or a NetworkingConfig key: "none", "host", "bridge" ("" and "default" name
// the default bridge) or a user network's name or ID, which the engine looks up.
export function resolveNetworkMode(raw: string): string {
  if (raw === '' || raw === 'default') return 'bridge';
  if (raw === 'container' || raw.startsWith('container:')) {
    throw new NotImplementedError(`invalid network mode "${raw}": joining another container's network namespace is not supported yet`);
  }
  return raw;
}

export type IpcMode = '' | 'host' | 'private' | 'shareable';

export function decodeIpcMode(raw: string, apiVersionBelow140: boolean): IpcMode {
  // Clients of API versions before 1.40 expect "shareable" as the default, as dockerd gives them.
  if (raw === '') return apiVersionBelow140 ? 'shareable' : '';
  if (raw === 'host' || raw === 'private' || raw === 'shareable') return raw;
  if (raw === 'none' || raw.startsWith('container:')) {
    throw new NotImplementedError(`invalid IPC mode: ${raw} is not supported yet; use private, shareable or host`);
  }
  throw new InvalidArgumentError(`invalid IPC mode: ${raw}`);
}

export function decodePidMode(raw: string): '' | 'host' {
  if (raw === '' || raw === 'host') return raw;
  if (raw.startsWith('container:')) {
    throw new NotImplementedError(`invalid PID mode: ${raw}: joining another container's PID namespace is not supported yet`);
  }
  throw new InvalidArgumentError(`invalid PID mode: ${raw}`);
}

const RESTART_POLICIES: readonly RestartPolicyName[] = ['no', 'always', 'on-failure', 'unless-stopped'];

// Decodes RestartPolicy. An empty name is "no", as dockerd reads policies created before Docker 25.
export function decodeRestartPolicy(reader: FieldReader | null): RestartPolicy {
  const name = reader?.string('Name') ?? '';
  const count = reader?.integer('MaximumRetryCount') ?? 0;
  reader?.remaining([]);
  if (name === '') return { name: 'no', maximumRetryCount: 0 };

  if (!RESTART_POLICIES.includes(name as RestartPolicyName)) {
    throw new InvalidArgumentError(
      `invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`,
    );
  }
  if (name === 'on-failure') {
    if (count < 0) throw new InvalidArgumentError('invalid restart policy: maximum retry count cannot be negative');
  } else if (count !== 0) {
    const negative = count < 0 ? ' and cannot be negative' : '';
    throw new InvalidArgumentError(`invalid restart policy: maximum retry count can only be used with 'on-failure'${negative}`);
  }
  return { name: name as RestartPolicyName, maximumRetryCount: count };
}

// Log drivers whose files the engine writes and `docker logs` can read back.
const LOG_DRIVERS = ['json-file', 'k8s-file'];
// The engine writes the CRI (k8s-file) format when the request names no driver.
const DEFAULT_LOG_DRIVER = 'k8s-file';

export function decodeLogConfig(reader: FieldReader | null): LogConfig {
  const type = reader?.string('Type') ?? '';
  const config = reader?.stringMap('Config') ?? {};
  reader?.remaining([]);
  if (type === '') return { type: DEFAULT_LOG_DRIVER, config };
  if (!LOG_DRIVERS.includes(type)) {
    throw new InvalidArgumentError(`invalid log driver "${type}": Berth supports the "json-file" and "k8s-file" log drivers`);
  }
  return { type, config };
}

export function decodeConsoleSize(value: unknown, reader: FieldReader): [number, number] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || value.length !== 2 || value.some((item) => typeof item !== 'number' || !Number.isInteger(item) || item < 0)) {
    reader.fail('ConsoleSize', 'an array of two non-negative integers', value);
  }
  const [height, width] = value as [number, number];
  return height === 0 && width === 0 ? null : [height, width];
}
