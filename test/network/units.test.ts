import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePortSpec, portSpecsFromBindings } from '../../src/network/ports';
import { hostsFile, resolvConf, parseExtraHost } from '../../src/network/etc-files';
import { macFromAddress } from '../../src/network/bridge/bridge-driver';
import { chainNames } from '../../src/network/firewall/chains';
import { defaultBridgeName, userBridgeName } from '../../src/network/naming';
import { buildResponse, parseQuestion } from '../../src/network/dns/codec';
import { buildRecords, lookupName } from '../../src/network/dns/records';
import type { EndpointRecord, NetworkRecord } from '../../src/network/types';

test('port spec forms', () => {
  assert.deepEqual(parsePortSpec('80'), [{ hostIp: '', hostPort: 0, hostPortEnd: 0, containerPort: 80, protocol: 'tcp' }]);
  assert.deepEqual(parsePortSpec('8080:80/udp'), [{ hostIp: '', hostPort: 8080, hostPortEnd: 8080, containerPort: 80, protocol: 'udp' }]);
  assert.deepEqual(parsePortSpec('127.0.0.1::80'), [{ hostIp: '127.0.0.1', hostPort: 0, hostPortEnd: 0, containerPort: 80, protocol: 'tcp' }]);
  assert.deepEqual(parsePortSpec('127.0.0.1:9000:90'), [{ hostIp: '127.0.0.1', hostPort: 9000, hostPortEnd: 9000, containerPort: 90, protocol: 'tcp' }]);
});

test('port spec ranges one to one', () => {
  const specs = parsePortSpec('8000-8002:9000-9002');
  assert.deepEqual(specs.map((spec) => [spec.hostPort, spec.containerPort]), [[8000, 9000], [8001, 9001], [8002, 9002]]);
  assert.deepEqual(parsePortSpec('7000-7010:80'), [{ hostIp: '', hostPort: 7000, hostPortEnd: 7010, containerPort: 80, protocol: 'tcp' }]);
  assert.equal(parsePortSpec('5000-5001').length, 2);
});

test('port spec rejects bad input', () => {
  assert.throws(() => parsePortSpec('8000-8001:80-82'), /invalid ranges specified for container and host Ports: 80-82 and 8000-8001/);
  assert.throws(() => parsePortSpec('80/sctp'), /invalid proto: sctp/);
  assert.throws(() => parsePortSpec('abc'), /invalid containerPort: abc/);
  assert.throws(() => parsePortSpec('70000:80'), /invalid hostPort: 70000/);
  assert.throws(() => parsePortSpec('nothost:80:80'), /invalid IP address: nothost/);
  assert.throws(() => parsePortSpec('1:2:3:4'), /invalid port specification/);
});

test('port bindings from API shape', () => {
  const specs = portSpecsFromBindings({ '80/tcp': [{ HostIp: '', HostPort: '8080' }], '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
  assert.deepEqual(specs, [
    { hostIp: '', hostPort: 8080, hostPortEnd: 8080, containerPort: 80, protocol: 'tcp' },
    { hostIp: '127.0.0.1', hostPort: 0, hostPortEnd: 0, containerPort: 53, protocol: 'udp' },
  ]);
});

test('mac address from IPv4', () => {
  assert.equal(macFromAddress('172.17.0.2'), '02:42:ac:11:00:02');
  assert.equal(macFromAddress('10.210.3.254'), '02:42:0a:d2:03:fe');
});

test('kernel object names fit limits', () => {
  assert.equal(defaultBridgeName('berth'), 'berth0');
  const long = defaultBridgeName('a-very-long-instance-name');
  assert.equal(long.length, 15);
  assert.notEqual(long, defaultBridgeName('a-very-long-instance-namf'));
  assert.equal(userBridgeName('0123456789abcdef'), 'br-0123456789ab');
  assert.equal(chainNames('berth').forward, 'BERTH-BERTH-FWD');
  for (const name of Object.values(chainNames('abcdefghijklmnopqrstuvwx'))) assert.ok(name.length <= 28, name);
});

test('hosts file content', () => {
  const content = hostsFile({ hostname: 'web', ipAddress: '10.210.0.5', extraHosts: ['db:10.0.0.9', 'host.docker.internal:host-gateway'], hostGateway: '10.210.0.1' });
  const lines = content.trimEnd().split('\n');
  assert.equal(lines[0], '127.0.0.1\tlocalhost');
  assert.ok(lines.includes('10.0.0.9\tdb'));
  assert.ok(lines.includes('10.210.0.1\thost.docker.internal'));
  assert.equal(lines[lines.length - 1], '10.210.0.5\tweb');
  const none = hostsFile({ hostname: 'web', ipAddress: null });
  assert.ok(!none.includes('web'));
  assert.throws(() => parseExtraHost('x:host-gateway', null), /no host gateway/);
  assert.throws(() => parseExtraHost('x:notanip', null), /invalid IP address/);
});

test('resolv.conf per mode', () => {
  const host = 'search corp.example\nnameserver 127.0.0.53\nnameserver 10.1.1.1\noptions edns0\n';
  assert.equal(resolvConf({ mode: 'user', hostResolvConf: host, resolverAddress: '10.210.1.1' }), 'search corp.example\nnameserver 10.210.1.1\noptions ndots:0 edns0\n');
  assert.equal(resolvConf({ mode: 'bridge', hostResolvConf: host }), 'search corp.example\nnameserver 10.1.1.1\noptions edns0\n');
  assert.equal(resolvConf({ mode: 'bridge', hostResolvConf: 'nameserver 127.0.0.53\n' }), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
  assert.equal(resolvConf({ mode: 'bridge', hostResolvConf: host, dns: ['10.9.9.9'], dnsSearch: ['a.test'] }), 'search a.test\nnameserver 10.9.9.9\noptions edns0\n');
  assert.equal(resolvConf({ mode: 'host', hostResolvConf: host }), 'search corp.example\nnameserver 127.0.0.53\nnameserver 10.1.1.1\noptions edns0\n');
});

test('dns codec round trip', () => {
  // Query for "Web.test" type A, ID 0x1234, RD set.
  const query = Buffer.from('123401000001000000000000035765620474657374000001000130', 'hex').subarray(0, 26);
  const question = parseQuestion(query);
  assert.ok(question);
  assert.equal(question.name, 'web.test');
  assert.equal(question.type, 1);
  const response = buildResponse(query, question, 0, ['10.210.0.7']);
  assert.equal(response.readUInt16BE(0), 0x1234);
  assert.equal(response.readUInt16BE(2) & 0x8000, 0x8000);
  assert.equal(response.readUInt16BE(6), 1);
  assert.deepEqual([...response.subarray(response.length - 4)], [10, 210, 0, 7]);
  assert.equal(parseQuestion(response), null);
});

// A user bridge network record with the given endpoints, as the store saves it.
function userNetwork(name: string, thirdOctet: number, endpoints: { container: string; host: number; name: string; aliases?: string[] }[]): NetworkRecord {
  const subnet = `10.99.${thirdOctet}.0/24`;
  const gateway = `10.99.${thirdOctet}.1`;
  const record = {
    id: `${name}-id`,
    name,
    driver: 'bridge',
    builtIn: false,
    ipam: { subnet, gateway, ipRange: null, userSubnet: false },
    endpoints: {} as Record<string, EndpointRecord>,
  } as NetworkRecord;
  for (const endpoint of endpoints) {
    record.endpoints[endpoint.container] = {
      containerId: endpoint.container,
      networkId: record.id,
      name: endpoint.name,
      aliases: endpoint.aliases ?? [],
      ipAddress: `10.99.${thirdOctet}.${endpoint.host}`,
      gateway,
    } as EndpointRecord;
  }
  return record;
}

test('resolver records qualify names', () => {
  const web = 'a'.repeat(64);
  const client = 'b'.repeat(64);
  const both = 'c'.repeat(64);
  const north = userNetwork('north', 1, [
    { container: web, host: 2, name: 'web', aliases: ['www'] },
    { container: client, host: 3, name: 'client' },
    { container: both, host: 4, name: 'both' },
  ]);
  const south = userNetwork('south', 2, [
    { container: web, host: 2, name: 'web' },
    { container: both, host: 4, name: 'both' },
  ]);
  const records = buildRecords([north, south], []);

  assert.deepEqual(lookupName(records, '10.99.1.1', '10.99.1.3', 'web.north'), ['10.99.1.2']);
  assert.deepEqual(lookupName(records, '10.99.1.1', '10.99.1.3', 'www.north'), ['10.99.1.2']);
  assert.deepEqual(lookupName(records, '10.99.1.1', '10.99.1.3', 'web'), ['10.99.1.2']);
  assert.equal(lookupName(records, '10.99.1.1', '10.99.1.3', 'web.south'), undefined);
  assert.deepEqual(lookupName(records, '10.99.1.1', '10.99.1.4', 'web.south'), ['10.99.2.2']);
  assert.deepEqual(records.listeners[0].peers, { '10.99.1.2': ['10.99.2.1'], '10.99.1.4': ['10.99.2.1'] });
  assert.equal(lookupName(records, '10.99.9.1', '10.99.1.3', 'web'), undefined);
});
