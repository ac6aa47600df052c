// Names of the Docker API fields that Berth accepts but does not act on.
// The create decoder keeps them in ContainerSpec.extra, so inspect reports
// them back. Any other field is unknown and only logged. Taken from the
// Engine API 1.50 definitions plus fields older versions still send.

// Config fields (container.Config) not mapped to ContainerSpec fields.
export const UNMAPPED_CONFIG_FIELDS = ['Healthcheck', 'ArgsEscaped', 'NetworkDisabled', 'MacAddress', 'OnBuild', 'Shell'] as const;

// HostConfig fields (including the embedded Resources) not mapped to ContainerSpec fields.
export const UNMAPPED_HOST_CONFIG_FIELDS = [
  'ContainerIDFile',
  'VolumeDriver',
  'VolumesFrom',
  'Annotations',
  'CgroupnsMode',
  'Cgroup',
  'Links',
  'OomScoreAdj',
  'StorageOpt',
  'UTSMode',
  'UsernsMode',
  'Runtime',
  'Isolation',
  'CgroupParent',
  'BlkioWeight',
  'BlkioWeightDevice',
  'BlkioDeviceReadBps',
  'BlkioDeviceWriteBps',
  'BlkioDeviceReadIOps',
  'BlkioDeviceWriteIOps',
  'CpuRealtimePeriod',
  'CpuRealtimeRuntime',
  'CpusetCpus',
  'CpusetMems',
  'DeviceCgroupRules',
  'DeviceRequests',
  'KernelMemory',
  'KernelMemoryTCP',
  'MemoryReservation',
  'MemorySwappiness',
  'OomKillDisable',
  'CpuCount',
  'CpuPercent',
  'IOMaximumIOps',
  'IOMaximumBandwidth',
  'MaskedPaths',
  'ReadonlyPaths',
  // Removed from API 1.41 but still sent by clients of API 1.40.
  'Capabilities',
] as const;

// Fields of one NetworkingConfig endpoint (EndpointSettings).
export const ENDPOINT_SETTINGS_FIELDS = [
  'IPAMConfig',
  'Links',
  'Aliases',
  'MacAddress',
  'DriverOpts',
  'GwPriority',
  'NetworkID',
  'EndpointID',
  'Gateway',
  'IPAddress',
  'IPPrefixLen',
  'IPv6Gateway',
  'GlobalIPv6Address',
  'GlobalIPv6PrefixLen',
  'DNSNames',
] as const;
