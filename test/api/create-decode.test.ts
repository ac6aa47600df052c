// Decoding of POST /containers/create bodies into ContainerSpec: defaults,
// mounts, resources, restart policies, networks and dockerd's error wording.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeContainerCreate, type DecodedCreateRequest } from '../../src/api/decode/container-create';

function decode(body: Record<string, unknown>, apiVersion = '1.50', name: string | null = null): DecodedCreateRequest {
  return decodeContainerCreate({ Image: 'busybox', ...body }, { apiVersion, name, cpuCount: 2 });
}

function rejects(body: Record<string, unknown>, message: string | RegExp, apiVersion = '1.50'): void {
  assert.throws(() => decode(body, apiVersion), (error: Error & { kind?: string }) => {
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

test('create: minimal request defaults', () => {
  const { spec, warnings, unknownFields } = decode({});
  assert.equal(spec.image, 'busybox');
  assert.equal(spec.cmd, null);
  assert.equal(spec.entrypoint, null);
  assert.equal(spec.networkMode, 'bridge');
  assert.deepEqual(spec.restartPolicy, { name: 'no', maximumRetryCount: 0 });
  assert.deepEqual(spec.logConfig, { type: 'k8s-file', config: {} });
  assert.equal(spec.resources.pidsLimit, null);
  assert.deepEqual(spec.mounts, []);
  assert.deepEqual(warnings, []);
  assert.deepEqual(unknownFields, []);
});

test('create: Cmd and Entrypoint forms', () => {
  assert.deepEqual(decode({ Cmd: ['echo', 'hi'] }).spec.cmd, ['echo', 'hi']);
  assert.deepEqual(decode({ Cmd: 'echo hi' }).spec.cmd, ['echo hi'], 'a string is a one-element command');
  assert.deepEqual(decode({ Cmd: [] }).spec.cmd, [], 'an empty array clears the image command');
  assert.equal(decode({ Cmd: null }).spec.cmd, null, 'null keeps the image command');
  assert.deepEqual(decode({ Entrypoint: '' }).spec.entrypoint, ['']);
  rejects({ Cmd: 42 }, 'invalid JSON: Cmd: expected a string or an array of strings, got an integer');
  rejects({ Entrypoint: [1] }, /Entrypoint: expected a string or an array of strings/);
});

test('create: field names match case-insensitively', () => {
  const { spec } = decode({ cmd: ['true'], hostconfig: { memory: 64 * 1024 * 1024 } });
  assert.deepEqual(spec.cmd, ['true']);
  assert.equal(spec.resources.memory, 64 * 1024 * 1024);
});

test('create: Config fields', () => {
  const { spec } = decode(
    {
      Env: ['A=1', 'B'],
      WorkingDir: '/srv//app/',
      User: '1000:1000',
      Hostname: 'box',
      Domainname: 'example.test',
      Labels: { team: 'api' },
      Tty: true,
      OpenStdin: true,
      StdinOnce: true,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      StopSignal: 'SIGUSR1',
      StopTimeout: 3,
      ExposedPorts: { '80/tcp': {}, '53/udp': {} },
    },
    '1.50',
    'web-1',
  );

  assert.equal(spec.name, 'web-1');
  assert.deepEqual(spec.env, ['A=1', 'B']);
  assert.equal(spec.workingDir, '/srv/app/');
  assert.equal(spec.user, '1000:1000');
  assert.equal(spec.hostname, 'box');
  assert.equal(spec.domainname, 'example.test');
  assert.deepEqual(spec.labels, { team: 'api' });
  for (const flag of ['tty', 'openStdin', 'stdinOnce', 'attachStdin', 'attachStdout', 'attachStderr'] as const) assert.equal(spec[flag], true, flag);

  assert.equal(spec.stopSignal, 'SIGUSR1');
  assert.equal(spec.stopTimeout, 3);
  assert.deepEqual(spec.exposedPorts, ['80/tcp', '53/udp']);
});

test('create: Config validation messages', () => {
  rejects({ Env: ['=x'] }, 'invalid environment variable: =x');
  rejects({ WorkingDir: 'relative' }, "the working directory 'relative' is invalid, it needs to be an absolute path");
  rejects({ StopSignal: 'SIGWHAT' }, 'Invalid signal: SIGWHAT');
  rejects({ Hostname: 'h'.repeat(65) }, /is too long \(maximum 64 bytes\)/);
  rejects({ Image: '' }, 'invalid create request: Image must not be empty');
  rejects({ ExposedPorts: { http: {} } }, 'invalid port specification: "http"');
  assert.equal(decode({ StopSignal: '9' }).spec.stopSignal, '9', 'a signal number is valid');
  assert.equal(decode({ StopSignal: 'RTMIN+3' }).spec.stopSignal, 'RTMIN+3');
});

test('create: Binds', () => {
  const { spec } = decode({
    HostConfig: { Binds: ['/host/data:/data', '/host/ro:/ro:ro,rshared', 'named:/vol', 'other:/nocopy:nocopy', '/anon'] },
  });
  assert.deepEqual(spec.mounts, [
    { type: 'bind', source: '/host/data', target: '/data', readOnly: false, bindPropagation: 'rprivate', createSourceIfMissing: true },
    { type: 'bind', source: '/host/ro', target: '/ro', readOnly: true, bindPropagation: 'rshared', createSourceIfMissing: true },
    { type: 'volume', source: 'named', target: '/vol', readOnly: false },
    { type: 'volume', source: 'other', target: '/nocopy', readOnly: false, volumeNoCopy: true },
    { type: 'volume', source: '', target: '/anon', readOnly: false },
  ]);
  assert.deepEqual(spec.extra.HostConfig, { Binds: ['/host/data:/data', '/host/ro:/ro:ro,rshared', 'named:/vol', 'other:/nocopy:nocopy', '/anon'] });
});

test('create: Binds errors', () => {
  rejects({ HostConfig: { Binds: ['/a:/b:/c:/d'] } }, "invalid volume specification: '/a:/b:/c:/d'");
  rejects({ HostConfig: { Binds: ['/data:rw'] } }, "invalid volume specification: '/data:rw'");
  rejects({ HostConfig: { Binds: ['/a:/b:rx'] } }, 'invalid mode: rx');
  rejects({ HostConfig: { Binds: ['/a:/b:ro,rw'] } }, 'invalid mode: ro,rw');
  rejects({ HostConfig: { Binds: ['/a:relative'] } }, `invalid volume specification: '/a:relative': invalid mount config for type "bind": invalid mount path: 'relative' mount path must be absolute`);
  rejects({ HostConfig: { Binds: ['/a:/'] } }, /destination can't be '\/'/);
  rejects({ HostConfig: { Binds: ['/a:/x', '/b:/x'] } }, 'Duplicate mount point: /x');
});

test('create: Mounts', () => {
  const { spec } = decode({
    HostConfig: {
      Mounts: [
        { Type: 'bind', Source: '/etc', Target: '/host-etc', ReadOnly: true, BindOptions: { Propagation: 'rslave', CreateMountpoint: true } },
        { Type: 'volume', Source: 'cache', Target: '/cache', VolumeOptions: { NoCopy: true, Labels: { a: 'b' }, DriverConfig: { Name: 'local' } } },
        { Type: 'tmpfs', Target: '/scratch', TmpfsOptions: { SizeBytes: 1048576, Mode: 0o1777, Options: [['noexec']] } },
      ],
    },
  });
  assert.deepEqual(spec.mounts, [
    { type: 'bind', source: '/etc', target: '/host-etc', readOnly: true, bindPropagation: 'rslave', createSourceIfMissing: true },
    { type: 'volume', source: 'cache', target: '/cache', readOnly: false, volumeNoCopy: true, volumeLabels: { a: 'b' }, volumeDriver: 'local' },
    { type: 'tmpfs', source: '', target: '/scratch', readOnly: false, tmpfsSize: 1048576, tmpfsMode: 0o1777, tmpfsOptions: 'noexec' },
  ]);
  const bindWithoutCreate = decode({ HostConfig: { Mounts: [{ Type: 'bind', Source: '/etc', Target: '/x' }] } }).spec.mounts[0];
  assert.equal(bindWithoutCreate.createSourceIfMissing, false, '--mount binds need an existing source');
});

test('create: Mounts errors', () => {
  const mount = (value: Record<string, unknown>) => ({ HostConfig: { Mounts: [value] } });
  rejects(mount({ Type: 'bind', Source: '/a', Target: 'x' }), `invalid mount config for type "bind": invalid mount path: 'x' mount path must be absolute`);
  rejects(mount({ Type: 'bind', Source: '/a' }), 'invalid mount config for type "bind": field Target must not be empty');
  rejects(mount({ Type: 'bind', Target: '/x' }), 'invalid mount config for type "bind": field Source must not be empty');
  rejects(mount({ Type: 'bind', Source: 'rel', Target: '/x' }), `invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`);
  rejects(mount({ Type: 'bind', Source: '/a', Target: '/x', BindOptions: { Propagation: 'weird' } }), 'invalid mount config for type "bind": invalid propagation mode: weird');
  rejects(mount({ Type: 'volume', Target: '/x', BindOptions: {} }), 'invalid mount config for type "volume": field BindOptions must not be specified');
  rejects(mount({ Type: 'tmpfs', Source: 'x', Target: '/x' }), 'invalid mount config for type "tmpfs": field Source must not be specified');
  rejects(mount({ Type: 'tmpfs', Target: '/x', TmpfsOptions: { Options: [['suid']] } }), 'invalid mount config for type "tmpfs": invalid option: suid');
  rejects(mount({ Type: 'floppy', Target: '/x' }), 'invalid mount config for type "floppy": mount type unknown');
  rejects(mount({ Type: 'image', Source: 'busybox', Target: '/x' }), /mount type "image" is not supported/);
  rejects(mount({ Type: 'volume', Target: '/x', VolumeOptions: { Subpath: 'a' } }), /must not set Subpath when using anonymous volumes/);
});

test('create: Tmpfs and Config.Volumes', () => {
  const { spec } = decode({ Volumes: { '/data': {}, '/run': {} }, HostConfig: { Tmpfs: { '/run': 'rw,noexec,size=64m', '/ro': 'ro' } } });
  assert.deepEqual(spec.mounts, [
    { type: 'tmpfs', source: '', target: '/run', readOnly: false, tmpfsOptions: 'rw,noexec,size=64m' },
    { type: 'tmpfs', source: '', target: '/ro', readOnly: true, tmpfsOptions: 'ro' },
    { type: 'volume', source: '', target: '/data', readOnly: false },
  ]);
  assert.deepEqual(spec.extra.Config, { Volumes: { '/data': {}, '/run': {} } });
  rejects({ HostConfig: { Tmpfs: { relative: '' } } }, "invalid mount path: 'relative' mount path must be absolute");
});

test('create: RestartPolicy', () => {
  const policy = (value: unknown) => decode({ HostConfig: { RestartPolicy: value } }).spec.restartPolicy;
  assert.deepEqual(policy({ Name: '' }), { name: 'no', maximumRetryCount: 0 });
  assert.deepEqual(policy({ Name: '', MaximumRetryCount: 5 }), { name: 'no', maximumRetryCount: 0 });
  assert.deepEqual(policy({ Name: 'always' }), { name: 'always', maximumRetryCount: 0 });
  assert.deepEqual(policy({ Name: 'on-failure', MaximumRetryCount: 3 }), { name: 'on-failure', maximumRetryCount: 3 });
  assert.deepEqual(policy({ Name: 'unless-stopped' }), { name: 'unless-stopped', maximumRetryCount: 0 });
  rejects({ HostConfig: { RestartPolicy: { Name: 'sometimes' } } }, "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
  rejects({ HostConfig: { RestartPolicy: { Name: 'always', MaximumRetryCount: 2 } } }, "invalid restart policy: maximum retry count can only be used with 'on-failure'");
  rejects({ HostConfig: { RestartPolicy: { Name: 'no', MaximumRetryCount: -1 } } }, "invalid restart policy: maximum retry count can only be used with 'on-failure' and cannot be negative");
  rejects({ HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: -1 } } }, 'invalid restart policy: maximum retry count cannot be negative');
  rejects({ HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'always' } } }, "can't create 'AutoRemove' container with restart policy");
  assert.equal(decode({ HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'no' } } }).spec.autoRemove, true);
});

test('create: memory and swap', () => {
  const resources = (hostConfig: Record<string, unknown>) => decode({ HostConfig: hostConfig }).spec.resources;
  assert.equal(resources({ Memory: 6 * 1024 * 1024 }).memory, 6 * 1024 * 1024);
  assert.equal(resources({ Memory: 64 << 20, MemorySwap: -1 }).memorySwap, -1);
  rejects({ HostConfig: { Memory: 1024 } }, 'Minimum memory limit allowed is 6MB');
  rejects({ HostConfig: { Memory: 64 << 20, MemorySwap: 32 << 20 } }, 'Minimum memoryswap limit should be larger than memory limit, see usage');
  rejects({ HostConfig: { MemorySwap: 32 << 20 } }, 'You should always set the Memory limit when using Memoryswap limit, see usage');
});

test('create: CPU limits', () => {
  const resources = (hostConfig: Record<string, unknown>) => decode({ HostConfig: hostConfig }).spec.resources;
  assert.equal(resources({ NanoCpus: 1_500_000_000 }).nanoCpus, 1_500_000_000);
  assert.equal(resources({ CpuQuota: 50_000 }).nanoCpus, 500_000_000, 'quota over the default 100ms period');
  assert.equal(resources({ CpuQuota: 150_000, CpuPeriod: 50_000 }).nanoCpus, 3_000_000_000);
  assert.equal(resources({ CpuPeriod: 50_000 }).nanoCpus, 0, 'a period alone sets no limit');
  assert.equal(resources({ CpuShares: 512 }).cpuShares, 512);
  rejects({ HostConfig: { NanoCpus: 3_000_000_000 } }, 'range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
  rejects({ HostConfig: { NanoCpus: 1_000_000_000, CpuQuota: 50_000 } }, 'Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  rejects({ HostConfig: { NanoCpus: 1_000_000_000, CpuPeriod: 50_000 } }, 'Conflicting options: Nano CPUs and CPU Period cannot both be set');
  rejects({ HostConfig: { CpuPeriod: 500 } }, 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  rejects({ HostConfig: { CpuQuota: 500 } }, 'CPU cfs quota can not be less than 1ms (i.e. 1000)');
  rejects({ HostConfig: { CpuShares: -1 } }, 'invalid CPU shares (-1): value must be a positive integer');
});

test('create: pids, ulimits and devices', () => {
  const resources = (hostConfig: Record<string, unknown>) => decode({ HostConfig: hostConfig }).spec.resources;
  assert.equal(resources({ PidsLimit: 100 }).pidsLimit, 100);
  assert.equal(resources({ PidsLimit: 0 }).pidsLimit, null, '0 is unlimited');
  assert.equal(resources({ PidsLimit: -1 }).pidsLimit, null, '-1 is unlimited');
  assert.deepEqual(resources({ Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }] }).ulimits, [{ name: 'nofile', soft: 1024, hard: 2048 }]);
  rejects({ HostConfig: { Ulimits: [{ Name: 'nofile', Soft: 4096, Hard: 1024 }] } }, 'ulimit soft limit must be less than or equal to hard limit: 4096 > 1024');
  rejects({ HostConfig: { Ulimits: [{ Name: 'bogus', Soft: 1, Hard: 1 }] } }, 'invalid ulimit type: bogus');
  rejects({ HostConfig: { Ulimits: [{ Name: 'nofile', Soft: '1', Hard: 1 }] } }, /HostConfig.Ulimits\[0\].Soft: expected an integer/);
  assert.deepEqual(resources({ Devices: [{ PathOnHost: '/dev/fuse' }] }).devices, [
    { pathOnHost: '/dev/fuse', pathInContainer: '/dev/fuse', cgroupPermissions: 'rwm' },
  ]);
  rejects({ HostConfig: { Devices: [{ PathOnHost: '/dev/fuse', CgroupPermissions: 'rx' }] } }, 'invalid device mode: rx');
});

test('create: network modes', () => {
  const network = (mode: string) => decode({ HostConfig: { NetworkMode: mode } }).spec.networkMode;
  assert.equal(network(''), 'bridge');
  assert.equal(network('default'), 'bridge');
  assert.equal(network('bridge'), 'bridge');
  assert.equal(network('none'), 'none');
  assert.equal(network('host'), 'host');
  assert.equal(network('mynet'), 'mynet', 'user networks pass through to the engine');
  rejects({ HostConfig: { NetworkMode: 'container:abc' } }, /not supported yet/);

  const withEndpoint = decode({
    HostConfig: { NetworkMode: 'mynet' },
    NetworkingConfig: { EndpointsConfig: { mynet: { Aliases: ['a', 'b'], IPAMConfig: { IPv4Address: '10.9.0.5' }, DriverOpts: { x: 'y' } } } },
  });
  assert.deepEqual(withEndpoint.spec.networkAttachment, { aliases: ['a', 'b'], ipv4Address: '10.9.0.5' });
  assert.deepEqual(withEndpoint.spec.extra.NetworkingConfig, { EndpointsConfig: { mynet: { DriverOpts: { x: 'y' } } } });
  const defaultEndpoint = decode({ HostConfig: { NetworkMode: 'default' }, NetworkingConfig: { EndpointsConfig: { bridge: {} } } });
  assert.deepEqual(defaultEndpoint.spec.networkAttachment, { aliases: [], ipv4Address: '' });
  assert.equal(decode({}).spec.networkAttachment, undefined);

  rejects({ HostConfig: { NetworkMode: 'host' }, NetworkingConfig: { EndpointsConfig: { none: {} } } }, /names network "none" but the network mode is "host"/);
  rejects({ HostConfig: { NetworkMode: 'mynet' }, NetworkingConfig: { EndpointsConfig: { mynet: { IPAMConfig: { IPv4Address: '10.9.0' } } } } }, /invalid IPv4 address: 10\.9\.0/);
  rejects({ HostConfig: { NetworkMode: 'mynet' }, NetworkingConfig: { EndpointsConfig: { mynet: { IPAMConfig: { IPv6Address: 'fd00::5' } } } } }, /IPv4 only/);
});

test('create: namespaces, capabilities and misc host settings', () => {
  const { spec } = decode({
    HostConfig: {
      CapAdd: ['net_admin', 'CAP_SYS_TIME'],
      CapDrop: ['ALL'],
      Privileged: true,
      ReadonlyRootfs: true,
      SecurityOpt: ['no-new-privileges'],
      Init: true,
      ShmSize: 1 << 20,
      Sysctls: { 'net.ipv4.ip_forward': '1' },
      PidMode: 'host',
      IpcMode: 'shareable',
      GroupAdd: ['audio'],
      ConsoleSize: [24, 80],
      LogConfig: { Type: 'json-file', Config: { 'max-size': '1m' } },
    },
  });
  assert.deepEqual(spec.capAdd, ['CAP_NET_ADMIN', 'CAP_SYS_TIME']);
  assert.deepEqual(spec.capDrop, ['ALL']);
  assert.equal(spec.privileged && spec.readOnlyRootfs && spec.init, true);
  assert.deepEqual(spec.securityOpt, ['no-new-privileges']);
  assert.equal(spec.shmSize, 1 << 20);
  assert.deepEqual(spec.sysctls, { 'net.ipv4.ip_forward': '1' });
  assert.equal(spec.pidMode, 'host');
  assert.equal(spec.ipcMode, 'shareable');
  assert.deepEqual(spec.groupAdd, ['audio']);
  assert.deepEqual(spec.consoleSize, [24, 80]);
  assert.deepEqual(spec.logConfig, { type: 'json-file', config: { 'max-size': '1m' } });

  assert.equal(decode({ HostConfig: { ConsoleSize: [24, 80] } }, '1.41').spec.consoleSize, null, 'ignored before API 1.42');
  assert.equal(decode({ HostConfig: { ConsoleSize: [0, 0] } }).spec.consoleSize, null);
  assert.equal(decode({}, '1.39').spec.ipcMode, 'shareable', 'old clients get the old default');
  rejects({ HostConfig: { CapAdd: ['FOO'] } }, 'invalid CapAdd: unknown capability: "CAP_FOO"');
  rejects({ HostConfig: { CapDrop: ['BAR'] } }, 'invalid CapDrop: unknown capability: "CAP_BAR"');
  rejects({ HostConfig: { ShmSize: -1 } }, 'SHM size can not be less than 0');
  rejects({ HostConfig: { PidMode: 'weird' } }, 'invalid PID mode: weird');
  rejects({ HostConfig: { IpcMode: 'weird' } }, 'invalid IPC mode: weird');
  rejects({ HostConfig: { LogConfig: { Type: 'syslog' } } }, /invalid log driver "syslog"/);
  rejects({ HostConfig: { ConsoleSize: [24] } }, /ConsoleSize: expected an array of two non-negative integers/);
  rejects({ HostConfig: { VolumesFrom: ['other'] } }, /VolumesFrom \(--volumes-from\) is not supported yet/);
});

test('create: stored fields and warnings', () => {
  const { spec, warnings } = decode({
    Healthcheck: { Test: ['CMD', 'true'] },
    OnBuild: ['RUN true'],
    HostConfig: {
      PortBindings: { '80/tcp': [{ HostPort: '8080' }] },
      ExtraHosts: ['db:10.0.0.2'],
      CpuQuota: 50_000,
      MemorySwappiness: 10,
      OomKillDisable: false,
    },
  });
  assert.deepEqual(spec.extra.Config, { OnBuild: ['RUN true'] });
  assert.deepEqual(spec.healthcheck, { test: ['CMD', 'true'], interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 });
  assert.deepEqual(spec.extra.HostConfig, {
    PortBindings: { '80/tcp': [{ HostPort: '8080' }] },
    ExtraHosts: ['db:10.0.0.2'],
    MemorySwappiness: 10,
    OomKillDisable: false,
    CpuQuota: 50_000,
  });
  assert.deepEqual(warnings, []);
  assert.deepEqual(spec.portBindings, [{ hostIp: '', hostPort: 8080, hostPortEnd: 8080, containerPort: 80, protocol: 'tcp' }]);
  assert.deepEqual(spec.extraHosts, ['db:10.0.0.2']);
  const hostWarnings = decode({ HostConfig: { NetworkMode: 'host', PortBindings: { '80/tcp': [{}] } } }).warnings;
  assert.deepEqual(hostWarnings, ['Published ports are discarded when using host network mode']);
});

test('create: published ports', () => {
  const ports = (bindings: unknown) => decode({ HostConfig: { PortBindings: bindings } }).spec.portBindings ?? [];
  assert.deepEqual(ports({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] }), [
    { hostIp: '127.0.0.1', hostPort: 8080, hostPortEnd: 8080, containerPort: 80, protocol: 'tcp' },
  ]);
  assert.deepEqual(ports({ '53/udp': [{ HostPort: '' }] }), [{ hostIp: '', hostPort: 0, hostPortEnd: 0, containerPort: 53, protocol: 'udp' }]);
  assert.deepEqual(ports({ '80': null }), [{ hostIp: '', hostPort: 0, hostPortEnd: 0, containerPort: 80, protocol: 'tcp' }], 'null bindings publish on a free port');
  assert.deepEqual(
    ports({ '80-81/tcp': [{ HostPort: '8080-8081' }] }).map((spec) => `${spec.hostPort}->${spec.containerPort}`),
    ['8080->80', '8081->81'],
  );
  assert.deepEqual(ports({}), []);

  rejects({ HostConfig: { PortBindings: { '80-82/tcp': [{ HostPort: '8080-8081' }] } } }, /invalid ranges specified for container and host Ports: 80-82 and 8080-8081/);
  rejects({ HostConfig: { PortBindings: { '80/tcp': [{ HostPort: 8080 }] } } }, /PortBindings/);
  rejects({ HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '99999' }] } } }, /invalid hostPort: 99999/);
  rejects({ HostConfig: { PortBindings: { '80/tcp': [{ HostIp: 'localhost', HostPort: '1' }] } } }, /invalid IP address: localhost/);

  const all = decode({ HostConfig: { PublishAllPorts: true } }).spec;
  assert.equal(all.publishAllPorts, true);
  assert.equal(decode({}).spec.publishAllPorts, false);
});

test('create: DNS and extra hosts', () => {
  const { spec, warnings } = decode({
    HostConfig: { Dns: ['10.0.0.53'], DnsSearch: ['example.test'], DnsOptions: ['ndots:2'], ExtraHosts: ['db:10.0.0.2', 'gw=host-gateway', 'v6:[fd00::1]'] },
  });
  assert.deepEqual(spec.dns, ['10.0.0.53']);
  assert.deepEqual(spec.dnsSearch, ['example.test']);
  assert.deepEqual(spec.dnsOptions, ['ndots:2']);
  assert.deepEqual(spec.extraHosts, ['db:10.0.0.2', 'gw=host-gateway', 'v6:[fd00::1]']);
  assert.deepEqual(warnings, []);
  const echoed = spec.extra.HostConfig as Record<string, unknown>;
  assert.deepEqual(echoed.Dns, ['10.0.0.53'], 'inspect echoes the request form');

  rejects({ HostConfig: { Dns: ['dns.example'] } }, /invalid DNS server address in HostConfig.Dns: "dns.example"/);
  rejects({ HostConfig: { ExtraHosts: ['db'] } }, /invalid IP address in add-host: "db"/);
  rejects({ HostConfig: { ExtraHosts: ['db:nothing'] } }, /invalid IP address in add-host/);
});
