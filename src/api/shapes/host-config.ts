// HostConfig of container inspect: every key dockerd reports, in its order,
// from the spec where the engine acts on a field and from spec.extra (what
// the client sent) where it does not.
import type { ContainerRecord, MountSpec } from '../../container/types';
import { containerNetworkName } from './network';

// dockerd's default /dev/shm size, stored when the request leaves ShmSize at 0.
const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

function nullIfEmpty<T>(values: T[]): T[] | null {
  return values.length === 0 ? null : values;
}

// Rebuilds Docker's Mounts entries for containers whose request form was not kept.
function mountsFromSpec(mounts: MountSpec[]): Record<string, unknown>[] {
  return mounts
    .filter((mount) => mount.type !== 'tmpfs' || mount.tmpfsOptions === undefined)
    .map((mount) => {
      const shape: Record<string, unknown> = { Type: mount.type, Source: mount.source, Target: mount.target };
      if (mount.readOnly) shape.ReadOnly = true;
      if (mount.type === 'bind' && mount.bindPropagation) shape.BindOptions = { Propagation: mount.bindPropagation };
      if (mount.type === 'volume' && mount.volumeNoCopy) shape.VolumeOptions = { NoCopy: true };
      return shape;
    });
}

export function hostConfigShape(record: ContainerRecord): Record<string, unknown> {
  const spec = record.spec;
  const extra = (spec.extra.HostConfig ?? {}) as Record<string, unknown>;
  const fromRequest = (key: string, fallback: unknown): unknown => (key in extra ? extra[key] : fallback);
  const convertedCpuQuota = typeof extra.CpuQuota === 'number' && extra.CpuQuota > 0;
  const requestKeptMounts = 'Binds' in extra || 'Mounts' in extra || 'Tmpfs' in extra;

  const shape: Record<string, unknown> = {
    Binds: fromRequest('Binds', null),
    ContainerIDFile: fromRequest('ContainerIDFile', ''),
    LogConfig: { Type: record.logDriver || spec.logConfig.type, Config: spec.logConfig.config },
    NetworkMode: containerNetworkName(record),
    PortBindings: fromRequest('PortBindings', {}),
    RestartPolicy: { Name: spec.restartPolicy.name, MaximumRetryCount: spec.restartPolicy.maximumRetryCount },
    AutoRemove: spec.autoRemove,
    VolumeDriver: fromRequest('VolumeDriver', ''),
    VolumesFrom: fromRequest('VolumesFrom', null),
    ConsoleSize: spec.consoleSize ?? [0, 0],
  };
  if ('Annotations' in extra) shape.Annotations = extra.Annotations;
  Object.assign(shape, {
    CapAdd: nullIfEmpty(spec.capAdd),
    CapDrop: nullIfEmpty(spec.capDrop),
    CgroupnsMode: fromRequest('CgroupnsMode', ''),
    Dns: fromRequest('Dns', null),
    DnsOptions: fromRequest('DnsOptions', null),
    DnsSearch: fromRequest('DnsSearch', null),
    ExtraHosts: fromRequest('ExtraHosts', null),
    GroupAdd: nullIfEmpty(spec.groupAdd),
    IpcMode: spec.ipcMode || 'private',
    Cgroup: fromRequest('Cgroup', ''),
    Links: fromRequest('Links', null),
    OomScoreAdj: fromRequest('OomScoreAdj', 0),
    PidMode: spec.pidMode,
    Privileged: spec.privileged,
    PublishAllPorts: fromRequest('PublishAllPorts', false),
    ReadonlyRootfs: spec.readOnlyRootfs,
    SecurityOpt: nullIfEmpty(spec.securityOpt),
  });
  if ('StorageOpt' in extra) shape.StorageOpt = extra.StorageOpt;
  if ('Tmpfs' in extra) shape.Tmpfs = extra.Tmpfs;
  Object.assign(shape, {
    UTSMode: fromRequest('UTSMode', ''),
    UsernsMode: fromRequest('UsernsMode', ''),
    ShmSize: spec.shmSize || DEFAULT_SHM_SIZE,
  });
  if (Object.keys(spec.sysctls).length > 0) shape.Sysctls = spec.sysctls;
  shape.Runtime = record.runtime;
  Object.assign(shape, {
    Isolation: fromRequest('Isolation', ''),
    CpuShares: spec.resources.cpuShares,
    Memory: spec.resources.memory,
    // A limit given as CpuQuota/CpuPeriod is reported in those fields, as the client sent it.
    NanoCpus: convertedCpuQuota ? 0 : spec.resources.nanoCpus,
    CgroupParent: fromRequest('CgroupParent', ''),
    BlkioWeight: fromRequest('BlkioWeight', 0),
    BlkioWeightDevice: fromRequest('BlkioWeightDevice', null),
    BlkioDeviceReadBps: fromRequest('BlkioDeviceReadBps', null),
    BlkioDeviceWriteBps: fromRequest('BlkioDeviceWriteBps', null),
    BlkioDeviceReadIOps: fromRequest('BlkioDeviceReadIOps', null),
    BlkioDeviceWriteIOps: fromRequest('BlkioDeviceWriteIOps', null),
    CpuPeriod: fromRequest('CpuPeriod', 0),
    CpuQuota: fromRequest('CpuQuota', 0),
    CpuRealtimePeriod: fromRequest('CpuRealtimePeriod', 0),
    CpuRealtimeRuntime: fromRequest('CpuRealtimeRuntime', 0),
    CpusetCpus: fromRequest('CpusetCpus', ''),
    CpusetMems: fromRequest('CpusetMems', ''),
    Devices: spec.resources.devices.map((device) => ({
      PathOnHost: device.pathOnHost,
      PathInContainer: device.pathInContainer,
      CgroupPermissions: device.cgroupPermissions,
    })),
    DeviceCgroupRules: fromRequest('DeviceCgroupRules', null),
    DeviceRequests: fromRequest('DeviceRequests', null),
    MemoryReservation: fromRequest('MemoryReservation', 0),
    MemorySwap: spec.resources.memorySwap,
    MemorySwappiness: fromRequest('MemorySwappiness', null),
    OomKillDisable: fromRequest('OomKillDisable', null),
    PidsLimit: spec.resources.pidsLimit,
    Ulimits: spec.resources.ulimits.map((ulimit) => ({ Name: ulimit.name, Hard: ulimit.hard, Soft: ulimit.soft })),
    CpuCount: fromRequest('CpuCount', 0),
    CpuPercent: fromRequest('CpuPercent', 0),
    IOMaximumIOps: fromRequest('IOMaximumIOps', 0),
    IOMaximumBandwidth: fromRequest('IOMaximumBandwidth', 0),
  });
  if ('Mounts' in extra) shape.Mounts = extra.Mounts;
  else if (!requestKeptMounts && spec.mounts.length > 0) shape.Mounts = mountsFromSpec(spec.mounts);
  Object.assign(shape, {
    MaskedPaths: fromRequest('MaskedPaths', null),
    ReadonlyPaths: fromRequest('ReadonlyPaths', null),
  });
  if (spec.init) shape.Init = true;

  // Fields older API versions still send (KernelMemory, Capabilities) go at the end, as given.
  for (const [key, value] of Object.entries(extra)) {
    if (!(key in shape)) shape[key] = value;
  }
  return shape;
}
