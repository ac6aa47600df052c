// The create request that run/create build, and the option parsers behind
// it, compared with the bodies the docker 28 CLI sends for the same flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseFlags } from '../../src/cli/flags';
import { RUN_FLAGS } from '../../src/cli/commands/run-flags';
import { buildCreateRequest, normalizeCapabilities, type CreateRequestOptions } from '../../src/cli/commands/container-config';
import { parseMount, parseVolumeFlags, splitCsv } from '../../src/cli/commands/mount-options';
import { addPublishedPort, parseDevice, parseRestartPolicy, parseUlimit, parseSecurityOptions, type PortSettings } from '../../src/cli/commands/option-parsers';
import { exitCodeForStartError } from '../../src/cli/commands/run';
import { parseReference, familiarString, normalizedName, withDefaultTag } from '../../src/cli/reference';

function build(argv: string[], options: Partial<CreateRequestOptions> = {}) {
  const parsed = parseFlags(RUN_FLAGS, argv, { interspersed: false });
  return buildCreateRequest(parsed.flags, parsed.args, { environment: { HOME: '/root' }, consoleSize: null, mode: 'run', cwd: '/work', ...options });
}

test('default body matches docker run', () => {
  const request = build(['busybox']);
  const body = request.body as Record<string, unknown>;
  assert.equal(body.Image, 'busybox');
  assert.equal(body.Cmd, null);
  assert.equal(body.Env, null);
  assert.deepEqual(body.Volumes, {});
  assert.equal(body.AttachStdout, true);
  assert.equal(body.AttachStderr, true);
  assert.equal(body.AttachStdin, false);
  assert.equal(body.StdinOnce, false);
  assert.equal(request.body.HostConfig.NetworkMode, 'default');
  assert.deepEqual(request.body.HostConfig.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
  assert.deepEqual(request.body.HostConfig.ConsoleSize, [0, 0]);
  assert.equal(request.body.HostConfig.MemorySwappiness, -1);
  assert.deepEqual(Object.keys((body.NetworkingConfig as { EndpointsConfig: object }).EndpointsConfig), ['default']);
});

test('interactive run with volumes and memory', () => {
  const request = build(['-i', '--rm', '-e', 'A=1', '-e', 'HOME', '-e', 'UNSET_VARIABLE', '-v', '/tmp:/x', '-v', '/data', '-v', './rel:/y', '--memory', '1k', '--name', 'foo', 'busybox', 'echo', 'hi']);
  const body = request.body as Record<string, unknown>;
  assert.equal(request.name, 'foo');
  assert.equal(body.AttachStdin, true);
  assert.equal(body.OpenStdin, true);
  assert.equal(body.StdinOnce, true);
  assert.deepEqual(body.Env, ['A=1', 'HOME=/root', 'UNSET_VARIABLE']);
  assert.deepEqual(body.Cmd, ['echo', 'hi']);
  assert.deepEqual(body.Volumes, { '/data': {} });
  assert.deepEqual(request.body.HostConfig.Binds, ['/tmp:/x', '/work/rel:/y']);
  assert.equal(request.body.HostConfig.Memory, 1024);
  assert.equal(request.body.HostConfig.AutoRemove, true);
});

test('detached run attaches nothing', () => {
  const body = build(['-i', 'busybox'], { mode: 'run-detached' }).body as Record<string, unknown>;
  assert.equal(body.AttachStdin, false);
  assert.equal(body.AttachStdout, false);
  assert.equal(body.StdinOnce, false);
  assert.equal(body.OpenStdin, true);
});

test('resource and security options', () => {
  const request = build([
    '--cap-add', 'net_admin', '--cap-drop', 'ALL', '--cpus', '1.5', '-m', '1g', '--memory-swap', '-1', '--pids-limit', '100',
    '--ulimit', 'nofile=1024:2048', '--shm-size', '128m', '--sysctl', 'net.ipv4.ip_forward=1', '--device', '/dev/null:/dev/mynull:rw',
    '--restart', 'on-failure:3', '--tmpfs', '/run:rw,size=64m', '--network', 'none', '-p', '8080:80', '--init', '--stop-timeout', '5',
    '--entrypoint', '', '-l', 'a=b', '-l', 'c', '--log-opt', 'max-size=1m', 'busybox',
  ]);
  const host = request.body.HostConfig;
  const body = request.body as Record<string, unknown>;
  assert.deepEqual(host.CapAdd, ['CAP_NET_ADMIN']);
  assert.deepEqual(host.CapDrop, ['ALL']);
  assert.equal(host.NanoCpus, 1_500_000_000);
  assert.equal(host.Memory, 1024 ** 3);
  assert.equal(host.MemorySwap, -1);
  assert.equal(host.PidsLimit, 100);
  assert.deepEqual(host.Ulimits, [{ Name: 'nofile', Soft: 1024, Hard: 2048 }]);
  assert.equal(host.ShmSize, 128 * 1024 ** 2);
  assert.deepEqual(host.Sysctls, { 'net.ipv4.ip_forward': '1' });
  assert.deepEqual(host.Devices, [{ PathOnHost: '/dev/null', PathInContainer: '/dev/mynull', CgroupPermissions: 'rw' }]);
  assert.deepEqual(host.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
  assert.deepEqual(host.Tmpfs, { '/run': 'rw,size=64m' });
  assert.equal(host.NetworkMode, 'none');
  assert.deepEqual((body.NetworkingConfig as { EndpointsConfig: object }).EndpointsConfig, {});
  assert.deepEqual(host.PortBindings, { '80/tcp': [{ HostIp: '', HostPort: '8080' }] });
  assert.deepEqual(body.ExposedPorts, { '80/tcp': {} });
  assert.equal(host.Init, true);
  assert.equal(body.StopTimeout, 5);
  assert.deepEqual(body.Entrypoint, ['']);
  assert.deepEqual(body.Labels, { a: 'b', c: '' });
  assert.deepEqual(host.LogConfig, { Type: '', Config: { 'max-size': '1m' } });
});

test('conflicting and invalid options', () => {
  assert.throws(() => build(['--rm', '--restart', 'always', 'busybox']), /conflicting options: cannot specify both --restart and --rm/);
  assert.throws(() => build(['-p', 'abc', 'busybox']), /invalid containerPort: abc/);
  assert.throws(() => build(['--tmpfs', 'relative', 'busybox']), /must be absolute/);
  assert.throws(() => build(['--env-file', '/nonexistent/env', 'busybox']), /open \/nonexistent\/env: no such file or directory/);
});

test('env and label files', () => {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cli-env-'));
  try {
    const envFile = path.join(directory, 'env');
    fs.writeFileSync(envFile, '\uFEFF# comment\n\nA=1\n  B=two words\nHOME\nUNSET_VARIABLE\n');
    const labelFile = path.join(directory, 'labels');
    fs.writeFileSync(labelFile, 'x=1\ny\n');
    const body = build(['--env-file', envFile, '-e', 'C=3', '--label-file', labelFile, 'busybox']).body as Record<string, unknown>;
    assert.deepEqual(body.Env, ['A=1', 'B=two words', 'HOME=/root', 'C=3']);
    assert.deepEqual(body.Labels, { x: '1', y: '' });
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
});

test('seccomp profile file is sent as its JSON', () => {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cli-seccomp-'));
  try {
    const profile = path.join(directory, 'profile.json');
    fs.writeFileSync(profile, '{\n  "defaultAction": "SCMP_ACT_ALLOW"\n}\n');
    assert.deepEqual(parseSecurityOptions([`seccomp=${profile}`, 'no-new-privileges', 'seccomp=unconfined']), ['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}', 'no-new-privileges', 'seccomp=unconfined']);
    assert.throws(() => parseSecurityOptions([`seccomp=${path.join(directory, 'missing.json')}`]), /opening seccomp profile .* failed/);
    assert.throws(() => parseSecurityOptions(['label']), /Invalid --security-opt: "label"/);
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
});

test('mount option parsing', () => {
  assert.deepEqual(parseMount('type=bind,source=/tmp,target=/mnt,readonly'), { Type: 'bind', Source: '/tmp', Target: '/mnt', ReadOnly: true });
  assert.deepEqual(parseMount('src=./data,dst=/d', '/work'), { Type: 'volume', Source: '/work/data', Target: '/d' });
  assert.deepEqual(parseMount('type=volume,src=v,dst=/v,volume-label=x=y,volume-nocopy'), { Type: 'volume', Source: 'v', Target: '/v', VolumeOptions: { DriverConfig: {}, Labels: { x: 'y' }, NoCopy: true } });
  assert.deepEqual(parseMount('type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1770'), { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1048576, Mode: 0o1770 } });
  assert.deepEqual(parseMount('type=bind,src=/a,dst=/b,bind-propagation=rshared,ro=false'), { Type: 'bind', Source: '/a', Target: '/b', BindOptions: { Propagation: 'rshared' }, ReadOnly: false });
  assert.throws(() => parseMount('type=bind,src=/a'), /target is required/);
  assert.throws(() => parseMount('type=tmpfs,dst=/t,volume-nocopy'), /cannot mix 'volume-\*' options with mount type 'tmpfs'/);
  assert.throws(() => parseMount('type=bind,dst=/t,bogus'), /invalid field 'bogus' must be a key=value pair/);
  assert.throws(() => parseMount('type=tmpfs,dst=/t,tmpfs-mode=9'), /invalid value for tmpfs-mode: 9/);
  assert.deepEqual(splitCsv('type=bind,"src=/a,b",dst=/c'), ['type=bind', 'src=/a,b', 'dst=/c']);
  assert.deepEqual(parseVolumeFlags(['/data', 'name:/v:ro', '../up:/u'], '/work/sub'), { binds: ['name:/v:ro', '/work/up:/u'], anonymous: ['/data'] });
});

test('ports, ulimits, devices and restart policies', () => {
  const settings: PortSettings = { exposed: {}, bindings: {} };
  addPublishedPort(settings, '127.0.0.1::53/udp');
  addPublishedPort(settings, '7000-7001:8000-8001');
  addPublishedPort(settings, '9090-9099:80');
  addPublishedPort(settings, '[::1]:8443:443');
  assert.deepEqual(settings.bindings, {
    '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }],
    '8000/tcp': [{ HostIp: '', HostPort: '7000' }],
    '8001/tcp': [{ HostIp: '', HostPort: '7001' }],
    '80/tcp': [{ HostIp: '', HostPort: '9090-9099' }],
    '443/tcp': [{ HostIp: '::1', HostPort: '8443' }],
  });
  assert.throws(() => addPublishedPort(settings, '1-3:4-5'), /invalid ranges specified for container and host Ports: 4-5 and 1-3/);
  assert.throws(() => addPublishedPort(settings, 'x:80'), /invalid hostPort: x/);

  assert.deepEqual(parseUlimit('nproc=10'), { Name: 'nproc', Soft: 10, Hard: 10 });
  assert.throws(() => parseUlimit('bogus=1'), /invalid ulimit type: bogus/);
  assert.throws(() => parseUlimit('nofile=2048:1024'), /ulimit soft limit must be less than or equal to hard limit: 2048 > 1024/);

  assert.deepEqual(parseDevice('/dev/fuse'), { PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' });
  assert.deepEqual(parseDevice('/dev/fuse:r'), { PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'r' });
  assert.throws(() => parseDevice('/dev/a:/dev/b:rwx'), /invalid device specification/);

  assert.deepEqual(parseRestartPolicy('always'), { Name: 'always', MaximumRetryCount: 0 });
  assert.throws(() => parseRestartPolicy('on-failure:x'), /maximum retry count must be an integer/);
  assert.throws(() => parseRestartPolicy(':3'), /no policy provided before colon/);

  assert.deepEqual(normalizeCapabilities(['net_admin', 'CAP_SYS_ADMIN', 'all', 'NET_ADMIN']), ['CAP_NET_ADMIN', 'CAP_SYS_ADMIN', 'ALL']);
});

test('start errors map to exit codes', () => {
  assert.equal(exitCodeForStartError('exec: "nosuchcmd": executable file not found in $PATH'), 127);
  assert.equal(exitCodeForStartError('exec: "/x": stat /x: no such file or directory'), 127);
  assert.equal(exitCodeForStartError('exec: "/etc/passwd": permission denied'), 126);
  assert.equal(exitCodeForStartError('Minimum memory limit allowed is 6MB'), 125);
});

test('image references normalize like docker', () => {
  const cases: Array<[string, string, string]> = [
    ['busybox', 'docker.io/library/busybox', 'busybox:latest'],
    ['foo/bar:1', 'docker.io/foo/bar', 'foo/bar:1'],
    ['localhost:5000/x/y', 'localhost:5000/x/y', 'localhost:5000/x/y:latest'],
    ['quay.io/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'quay.io/a/b', 'quay.io/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'],
  ];
  for (const [text, name, familiar] of cases) {
    const reference = parseReference(text);
    assert.equal(normalizedName(reference), name, text);
    assert.equal(familiarString(withDefaultTag(reference)), familiar, text);
  }
  assert.throws(() => parseReference('Busybox'), /must be lowercase/);
  assert.throws(() => parseReference('a b'), /invalid reference format/);
});
