// POST /containers/create: Docker's CreateRequest (Config fields at the top
// level, plus HostConfig and NetworkingConfig) → the engine's ContainerSpec.
// Fields Berth stores without acting on go to spec.extra under "Config",
// "HostConfig" and "NetworkingConfig", so inspect reports them back. The
// request's own form of Binds, Mounts, Tmpfs, CpuPeriod, CpuQuota and Volumes
// is kept there too, because the spec stores those fields differently.
import path from 'node:path';
import { InvalidArgumentError, NotImplementedError } from '../../common/errors';
import type { ContainerSpec, HealthcheckSpec, MountSpec } from '../../container/types';
import { versionBelow } from '../version';
import { normalizeCapabilities } from './capabilities';
import { UNMAPPED_CONFIG_FIELDS, UNMAPPED_HOST_CONFIG_FIELDS } from './docker-fields';
import { FieldReader, isPlainObject } from './fields';
import {
  decodeConsoleSize,
  decodeIpcMode,
  decodeLogConfig,
  decodePidMode,
  decodeRestartPolicy,
  resolveNetworkMode,
} from './host-config';
import { NETWORK_HOST_CONFIG_FIELDS, decodeEndpoints, decodeNetworkHostConfig } from './network-config';
import { combineMounts, decodeMount, decodeTmpfsMap, parseBind } from './mounts';
import { validateContainerName } from './names';
import { decodeResources } from './resources';
import { parseSignal } from './signals';

export interface CreateDecodeOptions {
  apiVersion: string;
  // The "name" query parameter. A null or "" name lets the engine generate one.
  name: string | null;
  // Number of host CPUs, the upper bound of NanoCpus.
  cpuCount: number;
}

export interface DecodedCreateRequest {
  spec: ContainerSpec;
  // Messages for the Warnings list of the response.
  warnings: string[];
  // Paths of request fields that no Docker API version defines ("HostConfig.Foo").
  unknownFields: string[];
}

// Linux HOST_NAME_MAX.
const MAX_HOSTNAME_BYTES = 64;
const PORT_PATTERN = /^\d{1,5}(-\d{1,5})?(\/(tcp|udp|sctp))?$/;

function validateEnvironment(env: string[]): void {
  for (const entry of env) {
    if (entry === '' || entry.startsWith('=')) throw new InvalidArgumentError(`invalid environment variable: ${entry}`);
  }
}

function decodeWorkingDir(raw: string): string {
  if (raw === '') return '';
  if (!path.posix.isAbsolute(raw)) {
    throw new InvalidArgumentError(`the working directory '${raw}' is invalid, it needs to be an absolute path`);
  }
  return path.posix.normalize(raw);
}

function decodeExposedPorts(reader: FieldReader): string[] {
  const value = reader.raw('ExposedPorts');
  if (value === undefined || value === null) return [];
  if (!isPlainObject(value)) reader.fail('ExposedPorts', 'an object', value);
  const ports = Object.keys(value);
  for (const port of ports) {
    if (!PORT_PATTERN.test(port)) throw new InvalidArgumentError(`invalid port specification: ${JSON.stringify(port)}`);
  }
  return ports;
}

function decodeVolumesField(reader: FieldReader): string[] {
  const value = reader.raw('Volumes');
  if (value === undefined || value === null) return [];
  if (!isPlainObject(value)) reader.fail('Volumes', 'an object', value);
  return Object.keys(value);
}

function decodeMounts(hostConfig: FieldReader | null): MountSpec[] {
  if (!hostConfig) return [];
  const mounts: MountSpec[] = [];
  for (const bind of hostConfig.stringArray('Binds') ?? []) mounts.push(parseBind(bind));
  (hostConfig.array('Mounts') ?? []).forEach((value, index) => mounts.push(decodeMount(hostConfig.element('Mounts', index, value))));
  mounts.push(...decodeTmpfsMap(hostConfig.stringMap('Tmpfs') ?? {}));
  return mounts;
}

const HEALTHCHECK_DURATIONS = ['Interval', 'Timeout', 'StartPeriod', 'StartInterval'] as const;
const MIN_HEALTHCHECK_DURATION_NS = 1_000_000;

// Config.Healthcheck with dockerd's checks: a duration is 0 (inherit) or at least 1ms, and Retries is not negative.
function decodeHealthcheck(value: unknown): HealthcheckSpec | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw new InvalidArgumentError(`invalid Healthcheck: expected an object, got ${JSON.stringify(value)}`);
  const test = value.Test ?? [];
  if (!Array.isArray(test) || !test.every((part) => typeof part === 'string')) {
    throw new InvalidArgumentError(`invalid Healthcheck.Test: expected an array of strings, got ${JSON.stringify(test)}`);
  }
  const durations: Record<(typeof HEALTHCHECK_DURATIONS)[number], number> = { Interval: 0, Timeout: 0, StartPeriod: 0, StartInterval: 0 };
  for (const field of HEALTHCHECK_DURATIONS) {
    const duration = value[field] ?? 0;
    if (typeof duration !== 'number' || !Number.isInteger(duration)) {
      throw new InvalidArgumentError(`invalid Healthcheck.${field}: expected nanoseconds as an integer, got ${JSON.stringify(duration)}`);
    }
    if (duration !== 0 && duration < MIN_HEALTHCHECK_DURATION_NS) throw new InvalidArgumentError(`${field} in Healthcheck cannot be less than 1ms`);
    durations[field] = duration;
  }
  const retries = value.Retries ?? 0;
  if (typeof retries !== 'number' || !Number.isInteger(retries)) {
    throw new InvalidArgumentError(`invalid Healthcheck.Retries: expected an integer, got ${JSON.stringify(retries)}`);
  }
  if (retries < 0) throw new InvalidArgumentError('Retries in Healthcheck cannot be negative');
  return {
    test: test as string[],
    interval: durations.Interval,
    timeout: durations.Timeout,
    startPeriod: durations.StartPeriod,
    startInterval: durations.StartInterval,
    retries,
  };
}

function collectWarnings(spec: ContainerSpec, configExtra: Record<string, unknown>): string[] {
  const warnings: string[] = [];
  const publishesPorts = (spec.portBindings?.length ?? 0) > 0 || spec.publishAllPorts === true;
  if (publishesPorts && spec.networkMode === 'host') warnings.push('Published ports are discarded when using host network mode');
  return warnings;
}

export function decodeContainerCreate(body: unknown, options: CreateDecodeOptions): DecodedCreateRequest {
  const unknownFields: string[] = [];
  const name = options.name ? validateContainerName(options.name) : undefined;
  const request = FieldReader.of(body, '', unknownFields);
  if (!request) throw new InvalidArgumentError('config cannot be empty in order to create a container');

  // Config fields, which Docker embeds at the top level of the request.
  const image = request.string('Image') ?? '';
  if (image === '') throw new InvalidArgumentError('invalid create request: Image must not be empty');
  const hostname = request.string('Hostname') ?? '';
  if (Buffer.byteLength(hostname) > MAX_HOSTNAME_BYTES) {
    throw new InvalidArgumentError(`hostname ${JSON.stringify(hostname)} is too long (maximum ${MAX_HOSTNAME_BYTES} bytes)`);
  }
  const env = request.stringArray('Env') ?? [];
  validateEnvironment(env);
  const stopSignal = request.string('StopSignal') || null;
  if (stopSignal !== null) parseSignal(stopSignal);
  const configVolumes = decodeVolumesField(request);
  const cmd = request.stringOrStringArray('Cmd');
  const entrypoint = request.stringOrStringArray('Entrypoint');

  const partialSpec = {
    image,
    cmd: cmd ?? null,
    entrypoint: entrypoint ?? null,
    env,
    workingDir: decodeWorkingDir(request.string('WorkingDir') ?? ''),
    user: request.string('User') ?? '',
    hostname,
    domainname: request.string('Domainname') ?? '',
    labels: request.stringMap('Labels') ?? {},
    tty: request.boolean('Tty') ?? false,
    openStdin: request.boolean('OpenStdin') ?? false,
    stdinOnce: request.boolean('StdinOnce') ?? false,
    attachStdin: request.boolean('AttachStdin') ?? false,
    attachStdout: request.boolean('AttachStdout') ?? false,
    attachStderr: request.boolean('AttachStderr') ?? false,
    stopSignal,
    stopTimeout: request.integer('StopTimeout') ?? null,
    exposedPorts: decodeExposedPorts(request),
  };

  const hostConfig = request.object('HostConfig');
  const networkingConfig = request.object('NetworkingConfig');
  const configExtra = request.remaining([...UNMAPPED_CONFIG_FIELDS, 'HostConfig', 'NetworkingConfig']);
  delete configExtra.HostConfig;
  delete configExtra.NetworkingConfig;
  const healthcheck = decodeHealthcheck(configExtra.Healthcheck);
  delete configExtra.Healthcheck;

  const spec = decodeHostConfig(hostConfig, networkingConfig, partialSpec, configVolumes, options);
  spec.name = name;
  if (healthcheck) spec.healthcheck = healthcheck;

  if (configVolumes.length > 0) configExtra.Volumes = Object.fromEntries(configVolumes.map((volume) => [volume, {}]));
  if (Object.keys(configExtra).length > 0) spec.extra.Config = configExtra;

  const warnings = collectWarnings(spec, configExtra);
  return { spec, warnings, unknownFields };
}

type PartialSpec = Omit<
  ContainerSpec,
  | 'name' | 'groupAdd' | 'init' | 'readOnlyRootfs' | 'capAdd' | 'capDrop' | 'privileged' | 'securityOpt' | 'resources'
  | 'shmSize' | 'sysctls' | 'pidMode' | 'ipcMode' | 'restartPolicy' | 'autoRemove' | 'mounts' | 'networkMode'
  | 'consoleSize' | 'logConfig' | 'extra'
>;

function decodeHostConfig(
  hostConfig: FieldReader | null,
  networkingConfig: FieldReader | null,
  partial: PartialSpec,
  configVolumes: string[],
  options: CreateDecodeOptions,
): ContainerSpec {
  const autoRemove = hostConfig?.boolean('AutoRemove') ?? false;
  const restartPolicy = decodeRestartPolicy(hostConfig?.object('RestartPolicy') ?? null);
  if (autoRemove && restartPolicy.name !== 'no') throw new InvalidArgumentError("can't create 'AutoRemove' container with restart policy");

  const explicitMounts = decodeMounts(hostConfig);
  const mounts = combineMounts(explicitMounts, configVolumes);
  const networkMode = resolveNetworkMode(hostConfig?.string('NetworkMode') ?? '');
  const resources = decodeResources(hostConfig, { cpuCount: options.cpuCount });
  const networkHostConfig = decodeNetworkHostConfig(hostConfig);

  const shmSize = hostConfig?.integer('ShmSize') ?? 0;
  if (shmSize < 0) throw new InvalidArgumentError('SHM size can not be less than 0');

  const consoleSizeValue = hostConfig?.raw('ConsoleSize');
  // dockerd ignores ConsoleSize before API 1.42.
  const consoleSize = hostConfig && !versionBelow(options.apiVersion, '1.42') ? decodeConsoleSize(consoleSizeValue, hostConfig) : null;

  const spec: ContainerSpec = {
    ...partial,
    groupAdd: hostConfig?.stringArray('GroupAdd') ?? [],
    init: hostConfig?.boolean('Init') ?? false,
    readOnlyRootfs: hostConfig?.boolean('ReadonlyRootfs') ?? false,
    capAdd: normalizeCapabilities(hostConfig?.stringArray('CapAdd') ?? [], 'CapAdd'),
    capDrop: normalizeCapabilities(hostConfig?.stringArray('CapDrop') ?? [], 'CapDrop'),
    privileged: hostConfig?.boolean('Privileged') ?? false,
    securityOpt: hostConfig?.stringArray('SecurityOpt') ?? [],
    resources,
    shmSize,
    sysctls: hostConfig?.stringMap('Sysctls') ?? {},
    pidMode: decodePidMode(hostConfig?.string('PidMode') ?? ''),
    ipcMode: decodeIpcMode(hostConfig?.string('IpcMode') ?? '', versionBelow(options.apiVersion, '1.40')),
    restartPolicy,
    autoRemove,
    mounts,
    networkMode,
    ...networkHostConfig,
    consoleSize,
    logConfig: decodeLogConfig(hostConfig?.object('LogConfig') ?? null),
    extra: {},
  };

  if (hostConfig) {
    const hostConfigExtra = hostConfig.remaining(UNMAPPED_HOST_CONFIG_FIELDS);
    rejectUnsupportedHostConfig(hostConfigExtra);
    // Echo the request's own form of fields the spec stores differently.
    for (const field of ['Binds', 'Mounts', 'Tmpfs', 'CpuPeriod', 'CpuQuota', ...NETWORK_HOST_CONFIG_FIELDS]) {
      const value = hostConfig.raw(field);
      if (value !== undefined && value !== null) hostConfigExtra[field] = value;
    }
    spec.extra.HostConfig = hostConfigExtra;
  }

  const endpoints = decodeEndpoints(networkingConfig, networkMode);
  if (endpoints.attachment) spec.networkAttachment = endpoints.attachment;
  if (endpoints.extra) spec.extra.NetworkingConfig = { EndpointsConfig: endpoints.extra };
  return spec;
}

// Fields that change what a container is, so silently dropping them would mislead.
function rejectUnsupportedHostConfig(extra: Record<string, unknown>): void {
  if (Array.isArray(extra.VolumesFrom) && extra.VolumesFrom.length > 0) {
    throw new NotImplementedError('VolumesFrom (--volumes-from) is not supported yet');
  }
  if (Array.isArray(extra.Links) && extra.Links.length > 0) {
    throw new NotImplementedError('Links (--link) are not supported yet; use a user-defined network, where containers resolve each other by name');
  }
  if (Array.isArray(extra.DeviceRequests) && extra.DeviceRequests.length > 0) {
    throw new NotImplementedError('DeviceRequests (--gpus) are not supported');
  }
}
