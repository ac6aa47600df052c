// ContainerJSON (GET /containers/{id}/json) and ContainerSummary
// (GET /containers/json) built from the engine's ContainerRecord.
import type { ContainerRecord, ResolvedMount } from '../../container/types';
import type { ContainerDetails, ContainerNetworkState, ContainerSize } from '../../engine/engine';
import type { ImageRuntimeConfig } from '../../image/types';
import { containerConfigShape } from './container-config';
import { hostConfigShape } from './host-config';
import { containerNetworkName, containerNetworksShape, networkSettingsShape, summaryPortsShape } from './network';
import { containerStatusText } from './status';

export type { ContainerSize };

export function containerName(record: ContainerRecord): string {
  return record.name.startsWith('/') ? record.name : `/${record.name}`;
}

export function mountPointShape(mount: ResolvedMount): Record<string, unknown> {
  const shape: Record<string, unknown> = { Type: mount.type };
  if (mount.name !== '') shape.Name = mount.name;
  shape.Source = mount.source;
  shape.Destination = mount.destination;
  if (mount.driver !== '') shape.Driver = mount.driver;
  Object.assign(shape, { Mode: mount.mode, RW: mount.rw, Propagation: mount.propagation });
  return shape;
}

function stateShape(record: ContainerRecord): Record<string, unknown> {
  const state = record.state;
  // dockerd counts paused and restarting containers as running.
  const running = state.status === 'running' || state.status === 'paused' || state.status === 'restarting';
  const shape: Record<string, unknown> = {
    Status: state.status,
    Running: running,
    Paused: state.status === 'paused',
    Restarting: state.status === 'restarting',
    OOMKilled: state.oomKilled,
    Dead: state.status === 'dead',
    Pid: state.pid,
    ExitCode: state.exitCode,
    Error: state.error,
    StartedAt: state.startedAt,
    FinishedAt: state.finishedAt,
  };
  if (state.health) {
    const log = state.health.log.map((probe) => ({ Start: probe.start, End: probe.end, ExitCode: probe.exitCode, Output: probe.output }));
    shape.Health = { Status: state.health.status, FailingStreak: state.health.failingStreak, Log: log };
  }
  return shape;
}

export interface InspectOptions {
  apiVersion: string;
  // The image's runtime config, for the merged Config, or null when the image is gone.
  image: ImageRuntimeConfig | null;
  size: ContainerSize | null;
  details: ContainerDetails;
  networks: ContainerNetworkState;
}

export function containerInspectShape(record: ContainerRecord, options: InspectOptions): Record<string, unknown> {
  const shape: Record<string, unknown> = {
    Id: record.id,
    Created: record.created,
    Path: record.path,
    Args: record.args,
    State: stateShape(record),
    Image: record.imageId,
    ResolvConfPath: record.resolvConfPath,
    HostnamePath: record.hostnamePath,
    HostsPath: record.hostsPath,
    LogPath: record.logPath,
    Name: containerName(record),
    RestartCount: record.restartCount,
    Driver: record.driver,
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: options.details.execIds.length > 0 ? options.details.execIds : null,
    HostConfig: hostConfigShape(record),
    GraphDriver: {
      Data: {
        LowerDir: options.details.lowerDirs.join(':'),
        MergedDir: options.details.mergedDir,
        UpperDir: options.details.upperDir,
        WorkDir: options.details.workDir,
      },
      Name: record.driver,
    },
  };
  if (options.size) {
    shape.SizeRw = options.size.sizeRw;
    shape.SizeRootFs = options.size.sizeRootFs;
  }
  shape.Mounts = record.mounts.map(mountPointShape);
  shape.Config = containerConfigShape(record, options.image);
  shape.NetworkSettings = networkSettingsShape(record, options.networks, options.apiVersion);
  return shape;
}

// Joins path and arguments as `docker ps` shows them, quoting arguments that contain spaces.
export function commandText(record: ContainerRecord): string {
  if (record.args.length === 0) return record.path;
  const args = record.args.map((arg) => (arg.includes(' ') ? `'${arg}'` : arg));
  return `${record.path} ${args.join(' ')}`;
}

export interface SummaryOptions {
  apiVersion: string;
  image: ImageRuntimeConfig | null;
  size: ContainerSize | null;
  // Epoch milliseconds for the Status text.
  now: number;
  networks: ContainerNetworkState;
}

export function containerSummaryShape(record: ContainerRecord, options: SummaryOptions): Record<string, unknown> {
  const shape: Record<string, unknown> = {
    Id: record.id,
    Names: [containerName(record)],
    Image: record.spec.image,
    ImageID: record.imageId,
    Command: commandText(record),
    Created: Math.floor(Date.parse(record.created) / 1000),
    Ports: summaryPortsShape(options.networks),
  };
  if (options.size) {
    shape.SizeRw = options.size.sizeRw;
    shape.SizeRootFs = options.size.sizeRootFs;
  }
  Object.assign(shape, {
    Labels: { ...(options.image?.Labels ?? {}), ...record.spec.labels },
    State: record.state.status,
    Status: containerStatusText(record.state, options.now),
    HostConfig: { NetworkMode: containerNetworkName(record) },
    NetworkSettings: { Networks: containerNetworksShape(record, options.networks, options.apiVersion) },
    Mounts: record.mounts.map(mountPointShape),
  });
  return shape;
}
