// Docker's JSON shapes: status text, container inspect and summary, image
// inspect and summary per API version, system info and version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandText, containerInspectShape, containerSummaryShape } from '../../src/api/shapes/container';
import { imageInspectShape, imageSummaryShape } from '../../src/api/shapes/image';
import { containerStatusText, humanDuration } from '../../src/api/shapes/status';
import { systemVersionShape } from '../../src/api/shapes/system';
import type { ContainerRecord, ContainerState } from '../../src/container/types';
import type { ContainerNetworkState } from '../../src/engine/engine';
import { InMemoryEngineDouble, busyboxImage } from './in-memory-engine-double';

const NO_DETAILS = { execIds: [], lowerDirs: [], upperDir: '', workDir: '', mergedDir: '' };
const NONE_NETWORK: ContainerNetworkState = {
  networks: [{ networkId: 'e'.repeat(64), networkName: 'none', aliases: [], requestedIpv4Address: '', endpoint: null }],
  ports: [],
  exposedPorts: [],
};

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

test('status: human durations', () => {
  const table: [number, string][] = [
    [0, 'Less than a second'],
    [999, 'Less than a second'],
    [SECOND, '1 second'],
    [3 * SECOND, '3 seconds'],
    [59 * SECOND, '59 seconds'],
    [MINUTE, 'About a minute'],
    [119 * SECOND, 'About a minute'],
    [2 * MINUTE, '2 minutes'],
    [59 * MINUTE, '59 minutes'],
    [HOUR, 'About an hour'],
    [89 * MINUTE, 'About an hour'],
    [90 * MINUTE, '2 hours'],
    [47 * HOUR, '47 hours'],
    [48 * HOUR, '2 days'],
    [13 * DAY, '13 days'],
    [14 * DAY, '2 weeks'],
    [59 * DAY, '8 weeks'],
    [60 * DAY, '2 months'],
    [729 * DAY, '24 months'],
    [730 * DAY, '2 years'],
  ];
  for (const [milliseconds, expected] of table) assert.equal(humanDuration(milliseconds), expected, `${milliseconds} ms`);
});

const NOW = Date.parse('2024-06-01T12:00:00Z');
const ZERO = '0001-01-01T00:00:00Z';

function state(overrides: Partial<ContainerState>): ContainerState {
  return { status: 'created', pid: 0, exitCode: 0, error: '', oomKilled: false, startedAt: ZERO, finishedAt: ZERO, ...overrides };
}

test('status: ps status text', () => {
  const ago = (milliseconds: number) => new Date(NOW - milliseconds).toISOString();
  const table: [ContainerState, string][] = [
    [state({ status: 'created' }), 'Created'],
    [state({ status: 'running', startedAt: ago(3 * SECOND) }), 'Up 3 seconds'],
    [state({ status: 'running', startedAt: '2024-06-01T11:59:59.123456789Z' }), 'Up Less than a second'],
    [state({ status: 'paused', startedAt: ago(2 * SECOND) }), 'Up 2 seconds (Paused)'],
    [state({ status: 'exited', exitCode: 137, startedAt: ago(10 * MINUTE), finishedAt: ago(5 * MINUTE) }), 'Exited (137) 5 minutes ago'],
    [state({ status: 'exited', exitCode: 0, startedAt: ago(2 * HOUR), finishedAt: ago(HOUR) }), 'Exited (0) About an hour ago'],
    [state({ status: 'exited' }), 'Created'],
    [state({ status: 'restarting', exitCode: 1, startedAt: ago(MINUTE), finishedAt: ago(500) }), 'Restarting (1) Less than a second ago'],
    [state({ status: 'removing' }), 'Removal In Progress'],
    [state({ status: 'dead' }), 'Dead'],
  ];
  for (const [input, expected] of table) assert.equal(containerStatusText(input, NOW), expected, input.status);
});

function runningRecord(engine: InMemoryEngineDouble): ContainerRecord {
  const record = engine.addContainer({
    name: 'web',
    created: '2024-06-01T11:00:00.123456789Z',
    path: 'sh',
    args: ['-c', 'echo hi; sleep 1'],
    spec: {
      image: 'busybox',
      cmd: ['-c', 'echo hi; sleep 1'],
      entrypoint: ['sh'],
      labels: { team: 'api' },
      extra: { HostConfig: { Binds: ['/a:/b'], Dns: ['10.0.0.1'] }, Config: { OnBuild: ['RUN x'] } },
    },
    mounts: [{ type: 'bind', name: '', source: '/a', destination: '/b', driver: '', mode: '', rw: true, propagation: 'rprivate' }],
  });
  engine.setStatus(record.id, 'running');
  return record;
}

test('inspect: top-level keys in dockerd order', () => {
  const engine = new InMemoryEngineDouble();
  const record = runningRecord(engine);
  const shape = containerInspectShape(record, { apiVersion: '1.50', image: busyboxImage().config.config ?? null, size: null, details: NO_DETAILS, networks: NONE_NETWORK });
  assert.deepEqual(Object.keys(shape), [
    'Id', 'Created', 'Path', 'Args', 'State', 'Image', 'ResolvConfPath', 'HostnamePath', 'HostsPath', 'LogPath', 'Name',
    'RestartCount', 'Driver', 'Platform', 'MountLabel', 'ProcessLabel', 'AppArmorProfile', 'ExecIDs', 'HostConfig',
    'GraphDriver', 'Mounts', 'Config', 'NetworkSettings',
  ]);
  assert.equal(shape.Name, '/web');
  assert.deepEqual(Object.keys(shape.State as object), [
    'Status', 'Running', 'Paused', 'Restarting', 'OOMKilled', 'Dead', 'Pid', 'ExitCode', 'Error', 'StartedAt', 'FinishedAt',
  ]);
  assert.deepEqual(shape.Mounts, [{ Type: 'bind', Source: '/a', Destination: '/b', Mode: '', RW: true, Propagation: 'rprivate' }]);

  const sized = containerInspectShape(record, { apiVersion: '1.50', image: null, size: { sizeRw: 10, sizeRootFs: 20 }, details: NO_DETAILS, networks: NONE_NETWORK });
  assert.equal(sized.SizeRw, 10);
  assert.equal(sized.SizeRootFs, 20);
});

test('inspect: HostConfig echoes stored request fields', () => {
  const engine = new InMemoryEngineDouble();
  const hostConfig = containerInspectShape(runningRecord(engine), { apiVersion: '1.50', image: null, size: null, details: NO_DETAILS, networks: NONE_NETWORK }).HostConfig as Record<string, unknown>;
  assert.deepEqual(hostConfig.Binds, ['/a:/b']);
  assert.deepEqual(hostConfig.Dns, ['10.0.0.1']);
  assert.equal(hostConfig.NetworkMode, 'none');
  assert.deepEqual(hostConfig.LogConfig, { Type: 'k8s-file', Config: {} });
  assert.deepEqual(hostConfig.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
  assert.equal(hostConfig.ShmSize, 64 * 1024 * 1024, "dockerd's default shm size");
  assert.equal(hostConfig.IpcMode, 'private');
  assert.equal(hostConfig.Runtime, 'runc');
  assert.deepEqual(hostConfig.ConsoleSize, [0, 0]);
  for (const key of ['CapAdd', 'MemorySwappiness', 'PidsLimit', 'VolumesFrom', 'OomKillDisable']) assert.equal(hostConfig[key], null, key);
});

test('inspect: Config merges the image config', () => {
  const engine = new InMemoryEngineDouble();
  const record = engine.addContainer({ spec: { image: 'busybox', labels: { b: '2' } }, effectiveEnv: ['PATH=/bin', 'X=1'] });
  const image = { Cmd: ['sh'], Entrypoint: null, Labels: { a: '1' }, Volumes: { '/data': {} }, ExposedPorts: { '80/tcp': {} } };
  const config = containerInspectShape(record, { apiVersion: '1.50', image, size: null, details: NO_DETAILS, networks: NONE_NETWORK }).Config as Record<string, unknown>;
  assert.deepEqual(config.Cmd, ['sh'], 'the image command when the request has none');
  assert.equal(config.Entrypoint, null);
  assert.deepEqual(config.Labels, { a: '1', b: '2' });
  assert.deepEqual(config.Volumes, { '/data': {} });
  assert.deepEqual(config.ExposedPorts, { '80/tcp': {} });
  assert.deepEqual(config.Env, ['PATH=/bin', 'X=1']);
  assert.equal(config.Image, 'busybox');
  assert.equal(config.Hostname, record.id.slice(0, 12));
  assert.equal(config.OnBuild, null);
  assert.equal('StopTimeout' in config, false);

  const withEntrypoint = engine.addContainer({ spec: { entrypoint: ['/entry'], cmd: null } });
  const merged = containerInspectShape(withEntrypoint, { apiVersion: '1.50', image, size: null, details: NO_DETAILS, networks: NONE_NETWORK }).Config as Record<string, unknown>;
  assert.equal(merged.Cmd, null, "a request Entrypoint drops the image's Cmd");
  assert.deepEqual(merged.Entrypoint, ['/entry']);
});

test('inspect: NetworkSettings by API version', () => {
  const engine = new InMemoryEngineDouble();
  const record = runningRecord(engine);
  const current = containerInspectShape(record, { apiVersion: '1.50', image: null, size: null, details: NO_DETAILS, networks: NONE_NETWORK }).NetworkSettings as Record<string, unknown>;
  for (const key of ['Bridge', 'IPAddress', 'Gateway', 'MacAddress', 'EndpointID', 'HairpinMode']) assert.ok(key in current, `${key} until API 1.52`);
  assert.equal(current.IPAddress, '');
  assert.equal(current.SandboxKey, '/proc/4242/ns/net');
  const networks = current.Networks as Record<string, Record<string, unknown>>;
  assert.deepEqual(Object.keys(networks), ['none']);
  assert.equal(networks.none.IPAddress, '');
  assert.equal(networks.none.GwPriority, 0);
  assert.equal(networks.none.DNSNames, null);

  const old = containerInspectShape(record, { apiVersion: '1.43', image: null, size: null, details: NO_DETAILS, networks: NONE_NETWORK }).NetworkSettings as Record<string, unknown>;
  const oldEndpoint = (old.Networks as Record<string, Record<string, unknown>>).none;
  assert.equal('GwPriority' in oldEndpoint, false, 'GwPriority came with API 1.48');
  assert.equal('DNSNames' in oldEndpoint, false, 'DNSNames came with API 1.44');

  const host = engine.addContainer({ spec: { networkMode: 'host' } });
  const hostNetworks = (containerInspectShape(host, { apiVersion: '1.50', image: null, size: null, details: NO_DETAILS, networks: engine.networks.state(host) }).NetworkSettings as { Networks: object }).Networks;
  assert.deepEqual(Object.keys(hostNetworks), ['host']);
});

test('summary: ps fields', () => {
  const engine = new InMemoryEngineDouble();
  const record = runningRecord(engine);
  const summary = containerSummaryShape(record, { apiVersion: '1.50', image: { Labels: { base: 'yes' } }, size: null, now: Date.parse(record.state.startedAt) + 3000, networks: NONE_NETWORK });
  assert.deepEqual(Object.keys(summary), ['Id', 'Names', 'Image', 'ImageID', 'Command', 'Created', 'Ports', 'Labels', 'State', 'Status', 'HostConfig', 'NetworkSettings', 'Mounts']);
  assert.deepEqual(summary.Names, ['/web']);
  assert.equal(summary.Command, "sh -c 'echo hi; sleep 1'");
  assert.equal(summary.Created, Math.floor(Date.parse('2024-06-01T11:00:00Z') / 1000));
  assert.deepEqual(summary.Ports, []);
  assert.deepEqual(summary.Labels, { base: 'yes', team: 'api' });
  assert.equal(summary.State, 'running');
  assert.equal(summary.Status, 'Up 3 seconds');
  assert.deepEqual(summary.HostConfig, { NetworkMode: 'none' });
  assert.equal(commandText({ ...record, path: 'true', args: [] }), 'true');
});

test('image: inspect for API 1.50', () => {
  const shape = imageInspectShape(busyboxImage(), '1.50');
  assert.deepEqual(shape.RepoTags, ['busybox:latest']);
  assert.deepEqual(shape.RepoDigests, []);
  assert.equal(shape.Created, '2024-09-26T21:31:42Z');
  assert.equal('Container' in shape, false);
  assert.equal('ContainerConfig' in shape, false);
  assert.equal('VirtualSize' in shape, false);
  assert.deepEqual(shape.Config, {
    Cmd: ['sh'], Entrypoint: null, Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Labels: null,
    OnBuild: null, User: '', Volumes: null, WorkingDir: '',
  });
  assert.deepEqual(shape.RootFS, { Type: 'layers', Layers: [`sha256:${'c'.repeat(64)}`] });
  assert.equal(shape.Os, 'linux');
  assert.equal(shape.Architecture, 'amd64');
  assert.equal(shape.Size, 4_261_550);
});

test('image: inspect for older API versions', () => {
  const v144 = imageInspectShape(busyboxImage(), '1.44');
  assert.equal(v144.Container, '', 'Container until API 1.45');
  assert.equal((v144.ContainerConfig as Record<string, unknown>).Hostname, '');
  assert.equal('VirtualSize' in v144, false);
  assert.equal((v144.Config as Record<string, unknown>).Tty, false, 'container-config keys before API 1.50');

  const v143 = imageInspectShape(busyboxImage(), '1.43');
  assert.equal(v143.VirtualSize, 4_261_550, 'VirtualSize until API 1.44');
  const withoutCreated = busyboxImage();
  delete withoutCreated.config.created;
  assert.equal(imageInspectShape(withoutCreated, '1.43').Created, ZERO);
  assert.equal('Created' in imageInspectShape(withoutCreated, '1.44'), false);
});

test('image: summary by API version', () => {
  const current = imageSummaryShape(busyboxImage(), '1.50', 3);
  assert.deepEqual(Object.keys(current), ['Containers', 'Created', 'Id', 'Labels', 'ParentId', 'RepoDigests', 'RepoTags', 'SharedSize', 'Size']);
  assert.equal(current.Containers, -1, 'counted only from API 1.51');
  assert.equal(current.Created, Math.floor(Date.parse('2024-09-26T21:31:42Z') / 1000));

  const untagged = { ...busyboxImage(), repoTags: [] };
  assert.deepEqual(imageSummaryShape(untagged, '1.43', 0).RepoTags, []);
  assert.deepEqual(imageSummaryShape(untagged, '1.42', 0).RepoTags, ['<none>:<none>']);
  assert.deepEqual(imageSummaryShape(untagged, '1.42', 0).RepoDigests, ['<none>@<none>']);
  assert.equal(imageSummaryShape(untagged, '1.43', 0).VirtualSize, 4_261_550);
});

test('version: shape', () => {
  const shape = systemVersionShape('1.2.3');
  assert.equal(shape.Version, '1.2.3');
  assert.equal(shape.ApiVersion, '1.50');
  assert.equal(shape.MinAPIVersion, '1.24');
  assert.equal(shape.Os, 'linux');
  assert.deepEqual(shape.Platform, { Name: 'Berth' });
  const engine = (shape.Components as { Name: string; Details: Record<string, string> }[])[0];
  assert.equal(engine.Name, 'Engine');
  assert.equal(engine.Details.ApiVersion, '1.50');
});
