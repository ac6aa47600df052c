import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { randomInt } from 'node:crypto';
import { run } from '../../src/common/subprocess';
import { createNetns, removeNetns } from '../../src/network/bridge/netns';
import { deleteLink, findLink } from '../../src/network/bridge/iproute';
import { macFromAddress } from '../../src/network/bridge/bridge-driver';
import { NetworkService } from '../../src/network/service';
import { canPing, containerId, inSandbox, leftovers, startInNamespace, startNetworking, stopProcess, waitForOutput, type TestNetworking } from './helpers';

let networking: TestNetworking;
let service: NetworkService;

// An "outside" namespace of the test's own, linked to the host by a veth pair, stands for the world past the host.
let outsideNetns = '';
let outsideLink = '';
const outsidePrefix = `10.199.${randomInt(1, 250)}`;

before(async () => {
  networking = await startNetworking();
  service = networking.service;
  outsideNetns = path.join(networking.root, 'outside');
  outsideLink = `${networking.instance}o`;
  await createNetns(outsideNetns);
  await run('ip', ['link', 'add', outsideLink, 'type', 'veth', 'peer', 'name', `${networking.instance}p`]);
  await run('ip', ['link', 'set', `${networking.instance}p`, 'netns', outsideNetns]);
  await run('ip', ['address', 'add', `${outsidePrefix}.1/24`, 'dev', outsideLink]);
  await run('ip', ['link', 'set', outsideLink, 'up']);
  await inSandbox(outsideNetns, ['ip', 'address', 'add', `${outsidePrefix}.2/24`, 'dev', `${networking.instance}p`]);
  await inSandbox(outsideNetns, ['ip', 'link', 'set', `${networking.instance}p`, 'up']);
});

after(async () => {
  try {
    await deleteLink(outsideLink);
    await removeNetns(outsideNetns);
  } finally {
    await networking.cleanup();
  }
  assert.deepEqual(await leftovers(networking), []);
});

async function sandbox(network: string, name: string) {
  const id = containerId();
  const netnsPath = await service.prepareSandbox(id);
  const endpoint = await service.connect(id, network, { name });
  return { id, netnsPath, endpoint };
}

// Connects to the outside server and returns what it printed (the client address it saw), or the error code.
async function fetchFromOutside(netnsPath: string): Promise<string> {
  const script = [
    `const socket = require('net').connect(7000, '${outsidePrefix}.2');`,
    `socket.setTimeout(1500, () => { process.stdout.write('TIMEOUT'); process.exit(0); });`,
    `socket.on('data', (d) => process.stdout.write(d)).on('error', (e) => process.stdout.write('ERR ' + e.code));`,
  ].join('\n');
  const result = await inSandbox(netnsPath, [process.execPath, '-e', script], 4000);
  return result.stdout.trim() || `no reply (exit ${result.exitCode})`;
}

test('built-in networks exist', () => {
  const names = service.list().map((network) => network.name).sort();
  assert.deepEqual(names, ['bridge', 'host', 'none']);
  assert.equal(service.get('bridge').bridgeName, `${networking.instance}0`);
});

test('bridge network pings and isolation', async () => {
  const alpha = await service.create({ name: 'alpha' });
  const beta = await service.create({ name: 'beta' });
  assert.notEqual(alpha.ipam?.subnet, beta.ipam?.subnet);

  const one = await sandbox('alpha', 'one');
  const two = await sandbox('alpha', 'two');
  const three = await sandbox('beta', 'three');

  const links = JSON.parse((await inSandbox(one.netnsPath, ['ip', '-j', 'link', 'show', 'eth0'])).stdout);
  assert.equal(links[0].address, one.endpoint.macAddress);
  const routes = (await inSandbox(one.netnsPath, ['ip', 'route'])).stdout;
  assert.match(routes, new RegExp(`default via ${alpha.ipam?.gateway.replace(/\./g, '\\.')} dev eth0`));

  // The bridge keeps an address derived from its gateway, so a leaving port cannot change it.
  const alphaBridge = await findLink(alpha.bridgeName as string);
  assert.equal(alphaBridge?.address, macFromAddress(alpha.ipam?.gateway as string));

  assert.equal(await canPing(two.netnsPath, one.endpoint.ipAddress), true, 'same network must reach');
  assert.equal(await canPing(three.netnsPath, beta.ipam?.gateway as string), true, 'own gateway must reach');
  assert.equal(await canPing(three.netnsPath, one.endpoint.ipAddress), false, 'other network must not reach');

  // A sandbox on both networks reaches both.
  const both = containerId();
  const bothPath = await service.prepareSandbox(both);
  await service.connect(both, 'alpha', { name: 'both' });
  const second = await service.connect(both, 'beta', { name: 'both' });
  assert.equal(second.ipAddress.startsWith((beta.ipam?.subnet as string).split('.').slice(0, 3).join('.')), true);
  assert.equal(await canPing(bothPath, one.endpoint.ipAddress), true);
  assert.equal(await canPing(bothPath, three.endpoint.ipAddress), true);
  assert.ok((await inSandbox(bothPath, ['ip', '-o', 'link'])).stdout.includes('eth1'));

  await service.disconnect(both, 'beta');
  assert.equal(await canPing(bothPath, three.endpoint.ipAddress), false, 'disconnected network must not reach');
  assert.equal(await canPing(bothPath, one.endpoint.ipAddress), true);

  // Reconnected to beta and then cut from alpha, the sandbox gets its default route through beta.
  await service.connect(both, 'beta', { name: 'both' });
  await service.disconnect(both, 'alpha');
  const movedRoutes = (await inSandbox(bothPath, ['ip', 'route'])).stdout;
  assert.match(movedRoutes, new RegExp(`default via ${(beta.ipam?.gateway as string).replace(/\./g, '\\.')} dev eth1`));
  assert.equal(await canPing(bothPath, three.endpoint.ipAddress), true);

  for (const id of [one.id, two.id, three.id, both]) await service.releaseSandbox(id);
  await assert.rejects(service.remove('bridge'), /pre-defined network/);
  await service.remove('alpha');
  assert.equal(await findLink(alpha.bridgeName as string), undefined);
  const rules = (await run('iptables-save', [])).stdout;
  assert.ok(!rules.includes(alpha.bridgeName as string), 'rules of a removed network must be gone');
  assert.ok(rules.includes(beta.bridgeName as string), 'rules of the remaining network must stay');

  assert.deepEqual(await service.prune(), ['beta']);
  assert.equal(await findLink(beta.bridgeName as string), undefined);
});

test('outbound masquerade and internal network', async () => {
  const server = startInNamespace(outsideNetns, `require('net').createServer((s) => s.end(s.remoteAddress)).listen(7000, '0.0.0.0', () => console.log('ready'))`);
  try {
    await waitForOutput(server, 'ready');
    await service.create({ name: 'outbound' });
    await service.create({ name: 'closed', internal: true });
    const open = await sandbox('outbound', 'open');
    const closed = await sandbox('closed', 'closed');

    // The outside namespace has no route back to the bridge subnet, so a reply arrives only through masquerade.
    assert.equal(await fetchFromOutside(open.netnsPath), `${outsidePrefix}.1`);

    const closedRoutes = (await inSandbox(closed.netnsPath, ['ip', 'route'])).stdout;
    assert.doesNotMatch(closedRoutes, /default/);
    // Even with routes added by hand both ways, the firewall drops traffic that leaves an internal bridge.
    const gateway = service.get('closed').ipam?.gateway as string;
    await inSandbox(closed.netnsPath, ['ip', 'route', 'add', 'default', 'via', gateway]);
    await inSandbox(outsideNetns, ['ip', 'route', 'add', service.get('closed').ipam?.subnet as string, 'via', `${outsidePrefix}.1`]);
    assert.equal(await fetchFromOutside(closed.netnsPath), 'TIMEOUT');
    assert.equal(await canPing(closed.netnsPath, gateway), true, 'internal network still reaches its gateway');

    await service.releaseSandbox(open.id);
    await service.releaseSandbox(closed.id);
    await service.remove('outbound');
    await service.remove('closed');
  } finally {
    await stopProcess(server);
  }
});

test('default bridge and icc off', async () => {
  const quiet = await service.create({ name: 'quiet', options: { 'com.docker.network.bridge.enable_icc': 'false' } });
  const a = await sandbox('quiet', 'a');
  const b = await sandbox('quiet', 'b');
  assert.equal(await canPing(a.netnsPath, quiet.ipam?.gateway as string), true);
  assert.equal(await canPing(a.netnsPath, b.endpoint.ipAddress), false);

  const c = await sandbox('bridge', 'c');
  const d = await sandbox('bridge', 'd');
  assert.equal(await canPing(c.netnsPath, d.endpoint.ipAddress), true);
  await assert.rejects(service.connect(c.id, 'bridge', { name: 'c' }), /already exists/);
  await assert.rejects(service.connect(d.id, 'quiet', { name: 'd', ipAddress: '10.210.250.9' }), /user configured subnets/);

  for (const id of [a.id, b.id, c.id, d.id]) await service.releaseSandbox(id);
  await service.remove('quiet');
});

test('restart restores state', async () => {
  const net = await service.create({ name: 'lasting', subnet: '10.198.77.0/24', gateway: '10.198.77.254' });
  const a = await sandbox('lasting', 'a');
  const b = await sandbox('lasting', 'b', );
  assert.equal(a.endpoint.ipAddress, '10.198.77.1');
  const before = (await run('iptables-save', [])).stdout.split('\n').filter((line) => line.includes(service.chainNames.forward.replace(/-FWD$/, ''))).sort();

  // A new service over the same roots is what berthd does after a restart.
  const restarted = new NetworkService({ instance: networking.instance, stateRoot: path.join(networking.root, 'state'), runRoot: path.join(networking.root, 'run'), dnsUpstreams: [] });
  await restarted.init();
  const afterRules = (await run('iptables-save', [])).stdout.split('\n').filter((line) => line.includes(service.chainNames.forward.replace(/-FWD$/, ''))).sort();
  assert.deepEqual(afterRules, before);
  assert.equal(restarted.get('lasting').id, net.id);
  assert.equal(await canPing(b.netnsPath, a.endpoint.ipAddress), true);

  const c = containerId();
  await restarted.prepareSandbox(c);
  const third = await restarted.connect(c, 'lasting', { name: 'c', ipAddress: '10.198.77.50' });
  assert.equal(third.ipAddress, '10.198.77.50');
  for (const id of [a.id, b.id, c]) await restarted.releaseSandbox(id);
  await restarted.remove('lasting');
  // The first service object keeps stale records; reload it before the after hook uses it.
  await service.init();
  assert.equal(service.list().some((network) => network.name === 'lasting'), false);
});
