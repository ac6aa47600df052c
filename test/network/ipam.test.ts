import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidr, overlaps, formatCidr } from '../../src/network/cidr';
import { allocateAddress, DEFAULT_ADDRESS_POOLS, planIpam, releaseAddress } from '../../src/network/ipam';
import type { NetworkRecord } from '../../src/network/types';

function networkWith(ipam: NetworkRecord['ipam']): NetworkRecord {
  return {
    id: 'n1', name: 'net1', driver: 'bridge', created: '', internal: false, attachable: false, labels: {}, options: {},
    ipam, bridgeName: 'br-test', mtu: 1500, icc: true, builtIn: false, allocations: {}, lastAllocated: null, endpoints: {},
  };
}

test('cidr parse rejects host bits', () => {
  assert.equal(formatCidr(parseCidr('10.1.2.0/24')), '10.1.2.0/24');
  assert.throws(() => parseCidr('10.1.2.3/24'), /it should be 10\.1\.2\.0\/24/);
  assert.throws(() => parseCidr('10.1.2.0'), /invalid CIDR/);
  assert.throws(() => parseCidr('10.1.256.0/24'), /invalid IPv4 address/);
});

test('cidr overlap', () => {
  assert.equal(overlaps(parseCidr('10.0.0.0/8'), parseCidr('10.5.0.0/16')), true);
  assert.equal(overlaps(parseCidr('10.5.0.0/24'), parseCidr('10.5.1.0/24')), false);
});

test('default pool avoids Docker and Podman ranges', () => {
  const foreign = ['172.17.0.0/16', '172.18.0.0/15', '172.20.0.0/14', '172.24.0.0/13', '192.168.0.0/16', '10.88.0.0/13'].map((text) => parseCidr(text));
  for (const pool of DEFAULT_ADDRESS_POOLS) {
    const base = parseCidr(pool.base);
    for (const range of foreign) assert.equal(overlaps(base, range), false, `${pool.base} overlaps ${formatCidr(range)}`);
  }
});

test('planIpam picks first free /24', () => {
  const first = planIpam({}, [], [], DEFAULT_ADDRESS_POOLS);
  assert.deepEqual(first, { subnet: '10.210.0.0/24', gateway: '10.210.0.1', ipRange: null, userSubnet: false });

  const second = planIpam({}, [parseCidr(first.subnet)], [], DEFAULT_ADDRESS_POOLS);
  assert.equal(second.subnet, '10.210.1.0/24');
});

test('planIpam skips host routes', () => {
  const routes = [parseCidr('10.210.0.0/23', false), parseCidr('0.0.0.0/0', false)];
  assert.equal(planIpam({}, [], routes, DEFAULT_ADDRESS_POOLS).subnet, '10.210.2.0/24');
});

test('planIpam reports exhausted pools', () => {
  const pools = [{ base: '10.230.0.0/23', size: 24 }];
  const used = [parseCidr('10.230.0.0/24'), parseCidr('10.230.1.0/24')];
  assert.throws(() => planIpam({}, used, [], pools), /could not find an available/);
  assert.equal(planIpam({}, used.slice(0, 1), [], pools).subnet, '10.230.1.0/24');
});

test('planIpam user subnet gateway range', () => {
  const plan = planIpam({ subnet: '10.240.0.0/16', gateway: '10.240.0.254', ipRange: '10.240.5.0/24' }, [], [], DEFAULT_ADDRESS_POOLS);
  assert.deepEqual(plan, { subnet: '10.240.0.0/16', gateway: '10.240.0.254', ipRange: '10.240.5.0/24', userSubnet: true });
});

test('planIpam rejects bad user input', () => {
  assert.throws(() => planIpam({ subnet: '10.240.0.0/16' }, [parseCidr('10.240.3.0/24')], [], DEFAULT_ADDRESS_POOLS), /Pool overlaps/);
  assert.throws(() => planIpam({ subnet: '10.240.0.0/16', gateway: '10.241.0.1' }, [], [], DEFAULT_ADDRESS_POOLS), /invalid gateway/);
  assert.throws(() => planIpam({ subnet: '10.240.0.0/16', ipRange: '10.241.0.0/24' }, [], [], DEFAULT_ADDRESS_POOLS), /invalid ip-range/);
  assert.throws(() => planIpam({ gateway: '10.240.0.1' }, [], [], DEFAULT_ADDRESS_POOLS), /require --subnet/);
  assert.throws(() => planIpam({ subnet: '10.240.0.0/31' }, [], [], DEFAULT_ADDRESS_POOLS), /30 or less/);
  // A user subnet may shadow a host route, as in Docker; only automatic choices avoid routes.
  assert.equal(planIpam({ subnet: '10.240.0.0/16' }, [], [parseCidr('10.240.0.0/16')], DEFAULT_ADDRESS_POOLS).subnet, '10.240.0.0/16');
});

test('allocateAddress serial with release', () => {
  const network = networkWith({ subnet: '10.250.0.0/29', gateway: '10.250.0.1', ipRange: null, userSubnet: true });
  assert.equal(allocateAddress(network, 'e1'), '10.250.0.2');
  assert.equal(allocateAddress(network, 'e2'), '10.250.0.3');
  releaseAddress(network, '10.250.0.2');
  // Serial allocation goes on after the last address before reusing a released one.
  assert.equal(allocateAddress(network, 'e3'), '10.250.0.4');
  assert.equal(allocateAddress(network, 'e4'), '10.250.0.5');
  assert.equal(allocateAddress(network, 'e5'), '10.250.0.6');
  // .7 is the broadcast address, so the allocator wraps to the released .2.
  assert.equal(allocateAddress(network, 'e6'), '10.250.0.2');
  assert.throws(() => allocateAddress(network, 'e7'), /no available addresses/);
  assert.equal(network.allocations['10.250.0.3'], 'e2');
});

test('allocateAddress honours ip range', () => {
  const network = networkWith({ subnet: '10.250.0.0/24', gateway: '10.250.0.1', ipRange: '10.250.0.128/30', userSubnet: true });
  assert.equal(allocateAddress(network, 'e1'), '10.250.0.128');
  assert.equal(allocateAddress(network, 'e2'), '10.250.0.129');
});

test('allocateAddress requested address', () => {
  const network = networkWith({ subnet: '10.250.0.0/24', gateway: '10.250.0.1', ipRange: null, userSubnet: true });
  assert.equal(allocateAddress(network, 'e1', '10.250.0.77'), '10.250.0.77');
  assert.throws(() => allocateAddress(network, 'e2', '10.250.0.77'), /Address already in use/);
  assert.throws(() => allocateAddress(network, 'e2', '10.250.0.1'), /Address already in use/);
  assert.throws(() => allocateAddress(network, 'e2', '10.251.0.5'), /no configured subnet/);
  assert.equal(allocateAddress(network, 'e3'), '10.250.0.2');
});
