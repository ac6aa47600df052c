// Resource fields of HostConfig → the engine's Resources, with dockerd's
// limits and messages (daemon_unix.go verifyPlatformContainerResources).
import { InvalidArgumentError } from '../../common/errors';
import type { DeviceMapping, Resources, Ulimit } from '../../container/types';
import type { FieldReader } from './fields';

// dockerd's minimum memory limit on Linux: 6 MiB.
const MINIMUM_MEMORY_BYTES = 6 * 1024 * 1024;
// The kernel's default CFS period, used to convert CpuQuota to NanoCpus.
const DEFAULT_CPU_PERIOD_MICROSECONDS = 100_000;

// The names Docker's --ulimit accepts (go-units ulimit.go), which are the setrlimit resources.
const ULIMIT_NAMES = new Set([
  'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime',
  'sigpending', 'stack',
]);

export interface ResourceDecodeOptions {
  // Number of CPUs of the host, the upper bound of NanoCpus.
  cpuCount: number;
}

export function decodeUlimits(values: unknown[], hostConfig: FieldReader): Ulimit[] {
  return values.map((value, index) => {
    const entry = hostConfig.element('Ulimits', index, value);
    const name = entry.string('Name') ?? '';
    const soft = entry.integer('Soft') ?? 0;
    const hard = entry.integer('Hard') ?? 0;
    entry.remaining([]);
    if (!ULIMIT_NAMES.has(name)) throw new InvalidArgumentError(`invalid ulimit type: ${name}`);
    if (soft > hard && hard !== -1) {
      throw new InvalidArgumentError(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
    }
    return { name, soft, hard };
  });
}

export function decodeDevices(values: unknown[], hostConfig: FieldReader): DeviceMapping[] {
  return values.map((value, index) => {
    const entry = hostConfig.element('Devices', index, value);
    const pathOnHost = entry.string('PathOnHost') ?? '';
    const pathInContainer = entry.string('PathInContainer') ?? '';
    const permissions = entry.string('CgroupPermissions') ?? '';
    entry.remaining([]);
    if (pathOnHost === '') throw new InvalidArgumentError(`invalid device mapping: HostConfig.Devices[${index}].PathOnHost must not be empty`);
    if (!/^[rwm]*$/.test(permissions)) throw new InvalidArgumentError(`invalid device mode: ${permissions}`);
    return {
      pathOnHost,
      pathInContainer: pathInContainer || pathOnHost,
      cgroupPermissions: permissions || 'rwm',
    };
  });
}

// Reads Memory, MemorySwap, NanoCpus, CpuShares, CpuPeriod, CpuQuota, PidsLimit, Ulimits and Devices.
// CpuQuota/CpuPeriod become NanoCpus (quota / period CPUs), the engine's single CPU limit.
export function decodeResources(hostConfig: FieldReader | null, options: ResourceDecodeOptions): Resources {
  const memory = hostConfig?.integer('Memory') ?? 0;
  const memorySwap = hostConfig?.integer('MemorySwap') ?? 0;
  const nanoCpus = hostConfig?.integer('NanoCpus') ?? 0;
  const cpuShares = hostConfig?.integer('CpuShares') ?? 0;
  const cpuPeriod = hostConfig?.integer('CpuPeriod') ?? 0;
  const cpuQuota = hostConfig?.integer('CpuQuota') ?? 0;
  const pidsLimit = hostConfig?.integer('PidsLimit');
  const ulimits = hostConfig?.array('Ulimits');
  const devices = hostConfig?.array('Devices');

  if (memory !== 0 && memory < MINIMUM_MEMORY_BYTES) throw new InvalidArgumentError('Minimum memory limit allowed is 6MB');
  if (memory > 0 && memorySwap > 0 && memorySwap < memory) {
    throw new InvalidArgumentError('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (memory === 0 && memorySwap > 0) {
    throw new InvalidArgumentError('You should always set the Memory limit when using Memoryswap limit, see usage');
  }

  if (nanoCpus > 0 && cpuPeriod > 0) throw new InvalidArgumentError('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nanoCpus > 0 && cpuQuota > 0) throw new InvalidArgumentError('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (nanoCpus < 0 || nanoCpus > options.cpuCount * 1e9) {
    throw new InvalidArgumentError(
      `range of CPUs is from 0.01 to ${options.cpuCount}.00, as there are only ${options.cpuCount} CPUs available`,
    );
  }
  if (cpuPeriod !== 0 && (cpuPeriod < 1000 || cpuPeriod > 1_000_000)) {
    throw new InvalidArgumentError('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  if (cpuQuota > 0 && cpuQuota < 1000) throw new InvalidArgumentError('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if (cpuShares < 0) throw new InvalidArgumentError(`invalid CPU shares (${cpuShares}): value must be a positive integer`);

  const effectiveNanoCpus =
    nanoCpus > 0 || cpuQuota <= 0 ? nanoCpus : Math.round((cpuQuota * 1e9) / (cpuPeriod || DEFAULT_CPU_PERIOD_MICROSECONDS));

  return {
    memory,
    memorySwap,
    nanoCpus: effectiveNanoCpus,
    cpuShares,
    // dockerd treats 0 and every negative value as "unlimited" and stores no limit.
    pidsLimit: pidsLimit === undefined || pidsLimit <= 0 ? null : pidsLimit,
    ulimits: ulimits && hostConfig ? decodeUlimits(ulimits, hostConfig) : [],
    devices: devices && hostConfig ? decodeDevices(devices, hostConfig) : [],
  };
}
