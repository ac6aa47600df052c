// The shortcuts that keep container network set-up and release fast: the
// native namespace creation, batched ip commands, the veth made directly in
// the sandbox, background veth deletion, and the skipped firewall and
// resolver updates when nothing changed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { run } from '../../src/common/subprocess';
import { createEndpoint, macFromAddress, newHostInterfaceName, removeEndpoint } from '../../src/network/bridge/bridge-driver';
import { deleteLink, findLink, ipBatch, ipJson, linkAddresses } from '../../src/network/bridge/iproute';
import { createNetns, isNetnsMounted, removeNetns } from '../../src/network/bridge/netns';
import { ResolverSupervisor } from '../../src/network/dns/supervisor';
import { Firewall } from '../../src/network/firewall/firewall';
import { containerId, leftovers, startNetworking, uniqueName, type TestNetworking } from './helpers';

let networking: TestNetworking;

before(async () => {
  networking = await startNetworking();
});

after(async () => {
  await networking.cleanup();
  assert.deepEqual(await leftovers(networking), []);
});

function bridgeOfDefaultNetwork(): { bridge: string; gateway: string; prefix: string } {
  const network = networking.service.get('bridge');
  const gateway = network.ipam?.gateway as string;
  return { bridge: network.bridgeName as string, gateway, prefix: gateway.split('.').slice(0, 3).join('.') };
}

async function waitUntilGone(name: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await findLink(name))) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

test('native netns has loopback up', async () => {
  const file = path.join(networking.root, 'probe-netns');
  assert.equal(await isNetnsMounted(file), false);
  await fs.writeFile(file, '');
  assert.equal(await isNetnsMounted(file), false);

  await createNetns(file);
  await createNetns(file);
  try {
    assert.equal(await isNetnsMounted(file), true);
    const mounts = (await fs.readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((line) => line.split(' ')[4] === file);
    assert.equal(mounts.length, 1);
    const loopback = await findLink('lo', file);
    assert.ok(loopback?.flags.includes('UP'), `lo flags: ${loopback?.flags.join(',')}`);
    const hostNamespace = await fs.readlink('/proc/self/ns/net');
    const sandboxNamespace = (await run('nsenter', [`--net=${file}`, 'readlink', '/proc/self/ns/net'])).stdout.trim();
    assert.notEqual(sandboxNamespace, hostNamespace);
  } finally {
    await removeNetns(file);
  }
  assert.equal(await isNetnsMounted(file), false);
  await assert.rejects(fs.stat(file), { code: 'ENOENT' });
});

test('ipBatch rejects blank arguments', async () => {
  await assert.rejects(ipBatch([['link', 'set', 'dev', 'lo one', 'up']]), /invalid argument "lo one"/);
  await assert.rejects(ipBatch([['link', 'show', 'dev', '']]), /invalid argument ""/);
  const output = await ipBatch([['link', 'show', 'dev', 'lo'], ['link', 'show', 'dev', 'lo']]);
  assert.equal(output.match(/^1: lo: <LOOPBACK/gm)?.length, 2);
});

test('createEndpoint configures both ends', async () => {
  const { bridge, gateway, prefix } = bridgeOfDefaultNetwork();
  const file = path.join(networking.root, 'endpoint-netns');
  const hostInterface = newHostInterfaceName();
  const address = `${prefix}.250`;
  await createNetns(file);
  try {
    await createEndpoint({ bridge, netnsPath: file, hostInterface, containerInterface: 'eth0', ipAddress: address, prefixLength: 24, macAddress: macFromAddress(address), mtu: 1400, defaultGateway: gateway });

    const hostEnd = await ipJson<{ master?: string; operstate: string; mtu: number; linkinfo?: { info_slave_data?: { hairpin?: boolean } } }[]>(['-d', 'link', 'show', 'dev', hostInterface]);
    assert.equal(hostEnd[0].master, bridge);
    assert.equal(hostEnd[0].mtu, 1400);
    assert.equal(hostEnd[0].linkinfo?.info_slave_data?.hairpin, true);
    const sandboxEnd = await findLink('eth0', file);
    assert.equal(sandboxEnd?.address, macFromAddress(address));
    assert.equal(sandboxEnd?.mtu, 1400);
    assert.ok(sandboxEnd?.flags.includes('UP'));
    assert.deepEqual(await linkAddresses('eth0', file), [`${address}/24`]);
    const routes = (await run('nsenter', [`--net=${file}`, 'ip', 'route', 'show', 'default'])).stdout;
    assert.match(routes, new RegExp(`default via ${gateway.replace(/\./g, '\\.')} dev eth0`));
  } finally {
    await removeEndpoint(hostInterface);
    await removeNetns(file);
  }
  assert.equal(await findLink(hostInterface), undefined);
});

test('createEndpoint failure removes veth', async () => {
  const { bridge, prefix } = bridgeOfDefaultNetwork();
  const file = path.join(networking.root, 'failing-netns');
  const hostInterface = newHostInterfaceName();
  const address = `${prefix}.251`;
  await createNetns(file);
  try {
    // A gateway outside the subnet makes the sandbox-side batch fail after the pair exists.
    const settings = { bridge, netnsPath: file, hostInterface, containerInterface: 'eth0', ipAddress: address, prefixLength: 24, macAddress: macFromAddress(address), mtu: 1500, defaultGateway: '192.0.2.1' };
    await assert.rejects(createEndpoint(settings), /nsenter/);
    assert.equal(await findLink(hostInterface), undefined);
    assert.equal(await findLink('eth0', file), undefined);
  } finally {
    await deleteLink(hostInterface);
    await removeNetns(file);
  }
});

test('createEndpoint keeps foreign link', async () => {
  const { bridge, prefix } = bridgeOfDefaultNetwork();
  const file = path.join(networking.root, 'clash-netns');
  const takenName = uniqueName('nd');
  const address = `${prefix}.252`;
  await createNetns(file);
  try {
    await run('ip', ['link', 'add', 'name', takenName, 'type', 'bridge']);
    assert.ok(await findLink(takenName));
    const settings = { bridge, netnsPath: file, hostInterface: takenName, containerInterface: 'eth0', ipAddress: address, prefixLength: 24, macAddress: macFromAddress(address), mtu: 1500, defaultGateway: null };
    await assert.rejects(createEndpoint(settings), /File exists/);
    assert.ok(await findLink(takenName), `link ${takenName} of another owner was deleted`);
  } finally {
    await deleteLink(takenName);
    await removeNetns(file);
  }
});

test('releaseSandbox deletes veth soon', async () => {
  const { service } = networking;
  const id = containerId();
  const netnsPath = await service.prepareSandbox(id);
  await service.connect(id, 'bridge', { name: 'release-probe' });
  const endpoint = service.get('bridge').endpoints[id];
  assert.ok(await findLink(endpoint.hostInterface));

  await service.releaseSandbox(id);
  assert.equal(service.get('bridge').endpoints[id], undefined);
  assert.equal(await isNetnsMounted(netnsPath), false);
  assert.equal(await waitUntilGone(endpoint.hostInterface, 3000), true, `veth ${endpoint.hostInterface} still present 3 s after release`);
});

test('firewall skips unchanged rules', async () => {
  const firewall = new Firewall(uniqueName('fw'));
  const network = { bridge: uniqueName('fb'), subnet: '10.199.250.0/24', internal: false, icc: true };
  const port = { hostIp: '', hostPort: 40999, containerIp: '10.199.250.2', containerPort: 80, protocol: 'tcp' as const };
  const natRules = async () => (await run('iptables', ['-w', '-t', 'nat', '-S', firewall.chains.postrouting])).stdout;
  try {
    await firewall.apply({ networks: [network], ports: [] });
    assert.match(await natRules(), /MASQUERADE/);

    // Rules deleted behind the firewall's back stay deleted while the state is unchanged,
    // which shows that an unchanged apply() runs no iptables-restore.
    await run('iptables', ['-w', '-t', 'nat', '-F', firewall.chains.postrouting]);
    await firewall.apply({ networks: [network], ports: [] });
    assert.doesNotMatch(await natRules(), /MASQUERADE/);

    await firewall.apply({ networks: [network], ports: [port] });
    assert.match(await natRules(), /-s 10\.199\.250\.0\/24 ! -o \S+ -j MASQUERADE/);
    assert.match(await natRules(), /--dport 80 -j MASQUERADE/);
    const jumps = (await run('iptables', ['-w', '-t', 'nat', '-S', 'POSTROUTING'])).stdout;
    assert.equal(jumps.split('\n').filter((line) => line.includes(`-j ${firewall.chains.postrouting}`)).length, 1);
  } finally {
    await firewall.remove();
  }
  const saved = (await run('iptables-save', [])).stdout;
  assert.equal(saved.includes(firewall.chains.postrouting), false);
});

test('resolver records skip same content', async () => {
  const directory = path.join(networking.root, 'resolver-probe');
  const supervisor = new ResolverSupervisor(directory);
  const file = path.join(directory, 'records.json');
  const names: Record<string, string[]> = { web: ['10.199.251.2'] };
  const records = { upstreams: ['127.0.0.1'], listeners: [{ address: '10.199.251.1', subnet: '10.199.251.0/24', names }] };

  await supervisor.writeRecords(records);
  const first = await fs.stat(file);
  await supervisor.writeRecords(structuredClone(records));
  assert.equal((await fs.stat(file)).ino, first.ino);

  names.db = ['10.199.251.3'];
  await supervisor.writeRecords(records);
  assert.notEqual((await fs.stat(file)).ino, first.ino);
  assert.deepEqual(JSON.parse(await fs.readFile(file, 'utf8')).listeners[0].names.db, ['10.199.251.3']);
});
