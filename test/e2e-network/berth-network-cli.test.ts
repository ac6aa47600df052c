// The berth CLI's network options against a real berthd: network create
// with IPAM and driver options, ls filters and formats, inspect -f, connect
// with --alias and --ip, disconnect -f, prune, and run's --ip,
// --network-alias, --dns, --dns-search, --dns-option and --add-host.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { berth } from '../helpers/cli';
import { startDaemon, type TestDaemon } from '../helpers/daemon';

let daemon: TestDaemon;

before(async () => {
  daemon = await startDaemon();
});

after(async () => {
  await daemon?.stop();
});

async function ok(args: string[], input?: string): Promise<string> {
  const result = await berth(daemon, args, input);
  assert.equal(result.exitCode, 0, `berth ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

test('network create options reach inspect', async () => {
  const id = (
    await ok([
      'network', 'create', '--subnet', '10.123.45.0/24', '--gateway', '10.123.45.254', '--ip-range', '10.123.45.128/25',
      '--internal', '--attachable', '--label', 'team=net', '-o', 'com.docker.network.driver.mtu=1400', 'configured',
    ])
  ).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const inspected = JSON.parse(await ok(['network', 'inspect', '-f', '{{json .}}', 'configured']));
  assert.equal(inspected.Id, id);
  assert.deepEqual(inspected.IPAM.Config, [{ Subnet: '10.123.45.0/24', IPRange: '10.123.45.128/25', Gateway: '10.123.45.254' }]);
  assert.equal(inspected.Internal, true);
  assert.equal(inspected.Attachable, true);
  assert.deepEqual(inspected.Labels, { team: 'net' });
  assert.equal(inspected.Options['com.docker.network.driver.mtu'], '1400');

  const duplicate = await berth(daemon, ['network', 'create', 'configured']);
  assert.equal(duplicate.exitCode, 1);
  assert.equal(duplicate.stderr, 'Error response from daemon: network with name configured already exists\n');
  const orphanGateway = await berth(daemon, ['network', 'create', '--gateway', '10.1.1.1', 'orphan']);
  assert.equal(orphanGateway.exitCode, 1);
  assert.match(orphanGateway.stderr, /must have a corresponding subnet/);
  const badSubnet = await berth(daemon, ['network', 'create', '--subnet', '10.1.1.0/33', 'badsubnet']);
  assert.equal(badSubnet.exitCode, 1);
  assert.match(badSubnet.stderr, /^Error response from daemon: .*10\.1\.1\.0\/33/);
  await ok(['network', 'rm', 'configured']);
});

test('network ls filters, quiet and formats', async () => {
  const id = (await ok(['network', 'create', '--label', 'color=blue', 'listed'])).trim();
  try {
    assert.equal(await ok(['network', 'ls', '-q', '--filter', 'name=listed']), `${id.slice(0, 12)}\n`);
    assert.equal(await ok(['network', 'ls', '-q', '--no-trunc', '--filter', 'label=color=blue']), `${id}\n`);
    assert.equal(await ok(['network', 'ls', '--format', '{{.Name}}', '--filter', 'type=builtin']), 'bridge\nhost\nnone\n');
    assert.equal(await ok(['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Label "color"}}', '--filter', 'type=custom']), 'listed bridge blue\n');
    assert.equal(await ok(['network', 'ls', '--format', '{{.Name}}', '--filter', 'dangling=true']), 'listed\n');
    const badFilter = await berth(daemon, ['network', 'ls', '--filter', 'type=other']);
    assert.equal(badFilter.exitCode, 1);
    assert.match(badFilter.stderr, /invalid filter: 'type'='other'/);
  } finally {
    await ok(['network', 'rm', 'listed']);
  }
});

test('connect with alias and address, disconnect -f', async () => {
  await ok(['network', 'create', '--subnet', '10.124.0.0/24', 'joined']);
  await ok(['run', '-d', '--name', 'joiner', 'busybox', 'sleep', '1d']);
  await ok(['network', 'connect', '--alias', 'joiner-alias', '--ip', '10.124.0.77', 'joined', 'joiner']);
  const endpoint = JSON.parse(await ok(['inspect', '-f', '{{json .NetworkSettings.Networks.joined}}', 'joiner']));
  assert.equal(endpoint.IPAddress, '10.124.0.77');
  assert.deepEqual(endpoint.Aliases, ['joiner-alias']);
  assert.deepEqual(endpoint.IPAMConfig, { IPv4Address: '10.124.0.77' });
  const addresses = (await ok(['exec', 'joiner', 'ip', '-4', '-o', 'addr', 'show'])).split('\n').filter((line) => line.includes('inet '));
  assert.ok(addresses.some((line) => line.includes('10.124.0.77/24')), `the address is on an interface: ${addresses.join('; ')}`);
  assert.equal(addresses.filter((line) => !line.includes(' lo ')).length, 2, 'one interface on the default bridge and one on joined');

  const inUse = await berth(daemon, ['network', 'rm', 'joined']);
  assert.equal(inUse.exitCode, 1);
  assert.match(inUse.stderr, /has active endpoints/);

  await ok(['network', 'disconnect', 'joined', 'joiner']);
  const notConnected = await berth(daemon, ['network', 'disconnect', 'joined', 'joiner']);
  assert.equal(notConnected.exitCode, 1, 'disconnecting twice fails without -f');
  await ok(['network', 'disconnect', '-f', 'joined', 'joiner']);
  assert.equal(await ok(['inspect', '-f', '{{range $name, $_ := .NetworkSettings.Networks}}{{$name}} {{end}}', 'joiner']), 'bridge \n');
  await ok(['rm', '-f', 'joiner']);
  await ok(['network', 'rm', 'joined']);
});

test('run network flags', async () => {
  await ok(['network', 'create', '--subnet', '10.125.0.0/24', 'flagged']);
  try {
    const onUserNetwork = await ok([
      'run', '--rm', '--net', 'flagged', '--ip', '10.125.0.9', '--network-alias', 'flag-alias', 'busybox', 'sh', '-c', 'ip -4 -o addr show eth0; ping -c1 -W1 flag-alias',
    ]);
    assert.match(onUserNetwork, /inet 10\.125\.0\.9\/24/);
    assert.match(onUserNetwork, /1 packets received/, 'the container resolves its own alias');

    // The default bridge writes the servers and options as given; user networks point resolv.conf at the embedded resolver.
    const onBridge = await ok([
      'run', '--rm', '--dns', '10.125.0.53', '--dns-search', 'example.test', '--dns-option', 'ndots:3', '--add-host', 'extra.test:10.9.8.7',
      'busybox', 'sh', '-c', 'cat /etc/resolv.conf; grep extra.test /etc/hosts',
    ]);
    assert.match(onBridge, /^nameserver 10\.125\.0\.53$/m);
    assert.match(onBridge, /^search example\.test$/m);
    assert.match(onBridge, /^options ndots:3$/m);
    assert.match(onBridge, /^10\.9\.8\.7\textra\.test$/m);

    const badIp = await berth(daemon, ['run', '--rm', '--ip', 'not-an-ip', 'busybox', 'true']);
    assert.equal(badIp.exitCode, 125);
    assert.match(badIp.stderr, /invalid IPv4 address: not-an-ip/);
    const aliasOnBridge = await berth(daemon, ['run', '--rm', '--network-alias', 'nope', 'busybox', 'true']);
    assert.notEqual(aliasOnBridge.exitCode, 0);
    assert.match(aliasOnBridge.stderr, /user defined networks/);
  } finally {
    await ok(['network', 'rm', 'flagged']);
  }
});

test('network prune asks, then removes unused networks', async () => {
  await ok(['network', 'create', '--label', 'keep=yes', 'kept']);
  await ok(['network', 'create', 'unused']);
  await ok(['network', 'create', 'used']);
  await ok(['create', '--name', 'user-of-used', '--network', 'used', 'busybox', 'true']);

  const declined = await ok(['network', 'prune'], 'n\n');
  assert.match(declined, /WARNING! This will remove all custom networks not used by at least one container/);
  assert.match(await ok(['network', 'ls', '--format', '{{.Name}}']), /unused/, 'declining keeps the networks');

  assert.equal(await ok(['network', 'prune', '-f', '--filter', 'label=keep=yes']), 'Deleted Networks:\nkept\n\n');
  assert.equal(await ok(['network', 'prune', '-f']), 'Deleted Networks:\nunused\n\n');
  assert.equal(await ok(['network', 'ls', '--format', '{{.Name}}', '--filter', 'type=custom']), 'used\n', 'a network a container uses stays');
  await ok(['rm', 'user-of-used']);
  await ok(['network', 'rm', 'used']);
});
