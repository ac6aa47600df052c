// SystemInfo (GET /info) and SystemVersion (GET /version).
import os from 'node:os';
import type { DaemonConfig } from '../../common/config';
import type { EngineInfo } from '../../engine/engine';
import { MAX_API_VERSION, MIN_API_VERSION, versionBelow } from '../version';

// Kernel features of the host that `docker info` reports. The CLI warns about each one that is false.
export interface HostFeatures {
  memoryLimit: boolean;
  swapLimit: boolean;
  cpuCfsPeriod: boolean;
  cpuCfsQuota: boolean;
  cpuShares: boolean;
  cpuSet: boolean;
  pidsLimit: boolean;
  oomKillDisable: boolean;
  ipv4Forwarding: boolean;
  openFileDescriptors: number;
}

// Node reports "x64" where Go, and so dockerd's /version, uses "amd64".
export function goArchitecture(nodeArch: string = os.arch()): string {
  const names: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };
  return names[nodeArch] ?? nodeArch;
}

export interface InfoInputs {
  info: EngineInfo;
  features: HostFeatures;
  config: DaemonConfig;
  serverVersion: string;
  apiVersion: string;
  now: Date;
}

export function systemInfoShape(inputs: InfoInputs): Record<string, unknown> {
  const { info, features, config } = inputs;
  const commit = versionBelow(inputs.apiVersion, '1.49') ? { ID: '', Expected: '' } : { ID: '' };
  return {
    ID: info.id,
    Containers: info.containers,
    ContainersRunning: info.running,
    ContainersPaused: info.paused,
    ContainersStopped: info.stopped,
    Images: info.images,
    // The kernel's overlay filesystem, which dockerd calls the "overlay2" driver.
    Driver: 'overlay',
    DriverStatus: [],
    Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['k8s-file'] },
    MemoryLimit: features.memoryLimit,
    SwapLimit: features.swapLimit,
    CpuCfsPeriod: features.cpuCfsPeriod,
    CpuCfsQuota: features.cpuCfsQuota,
    CPUShares: features.cpuShares,
    CPUSet: features.cpuSet,
    PidsLimit: features.pidsLimit,
    IPv4Forwarding: features.ipv4Forwarding,
    Debug: config.logLevel === 'debug' || config.logLevel === 'trace',
    NFd: features.openFileDescriptors,
    OomKillDisable: features.oomKillDisable,
    SystemTime: inputs.now.toISOString(),
    LoggingDriver: 'k8s-file',
    CgroupDriver: info.cgroupDriver,
    CgroupVersion: info.cgroupVersion,
    KernelVersion: info.kernelVersion,
    OperatingSystem: info.operatingSystem,
    OSVersion: '',
    OSType: 'linux',
    Architecture: info.architecture,
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: {
      IndexConfigs: {
        'docker.io': { Name: 'docker.io', Mirrors: config.registry.mirrors, Secure: true, Official: true },
      },
      InsecureRegistryCIDRs: ['::1/128', '127.0.0.0/8'],
      Mirrors: config.registry.mirrors,
    },
    NCPU: info.cpus,
    MemTotal: info.memoryBytes,
    GenericResources: null,
    DockerRootDir: info.dataRoot,
    HttpProxy: '',
    HttpsProxy: '',
    NoProxy: '',
    Name: info.name,
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: inputs.serverVersion,
    Runtimes: { [info.runtime]: { path: config.runtimePath ?? info.runtime } },
    DefaultRuntime: info.runtime,
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: false,
    Isolation: '',
    InitBinary: info.initPath,
    ContainerdCommit: commit,
    RuncCommit: commit,
    InitCommit: commit,
    SecurityOptions: info.securityOptions,
    CDISpecDirs: [],
    // dockerd sends null when it has no warnings.
    Warnings: null,
  };
}

export function systemVersionShape(serverVersion: string): Record<string, unknown> {
  const details = {
    ApiVersion: MAX_API_VERSION,
    Arch: goArchitecture(),
    BuildTime: '',
    Experimental: 'false',
    GitCommit: '',
    // The field is Go's version in dockerd, but berthd runs on Node.js.
    GoVersion: `node ${process.version}`,
    KernelVersion: os.release(),
    MinAPIVersion: MIN_API_VERSION,
    Os: 'linux',
  };
  return {
    Platform: { Name: 'Berth' },
    Components: [{ Name: 'Engine', Version: serverVersion, Details: details }],
    Version: serverVersion,
    ApiVersion: MAX_API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: '',
    GoVersion: details.GoVersion,
    Os: 'linux',
    Arch: details.Arch,
    KernelVersion: details.KernelVersion,
    BuildTime: '',
  };
}
