// Network endpoints and the network parts of container inspect and list,
// through the in-memory engine double.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { networkSettingsShape } from '../../src/api/shapes/network';
import { startHarness, type Harness } from './api-harness';
import { InMemoryEngineDouble } from './in-memory-engine-double';

let harness: Harness;

before(async () => {
  harness = await startHarness();
});

after(async () => {
  await harness?.close();
});

function filtersQuery(filters: Record<string, string[]>): string {
  return encodeURIComponent(JSON.stringify(Object.fromEntries(Object.entries(filters).map(([key, values]) => [key, Object.fromEntries(values.map((value) => [value, true]))]))));
}

async function networkNames(filters: Record<string, string[]>): Promise<string[]> {
  const response = await harness.request('GET', `/networks?filters=${filtersQuery(filters)}`);
  assert.equal(response.status, 200, response.text);
  return response.json<{ Name: string }[]>().map((network) => network.Name).sort();
}

test('networks: list has the predefined networks', async () => {
  const response = await harness.request('GET', '/networks');
  assert.equal(response.status, 200);
  const networks = response.json<Record<string, unknown>[]>();
  assert.deepEqual(networks.map((network) => network.Name).sort(), ['bridge', 'host', 'none']);
  const bridge = networks.find((network) => network.Name === 'bridge')!;
  assert.deepEqual(Object.keys(bridge), [
    'Name', 'Id', 'Created', 'Scope', 'Driver', 'EnableIPv4', 'EnableIPv6', 'IPAM', 'Internal', 'Attachable', 'Ingress',
    'ConfigFrom', 'ConfigOnly', 'Containers', 'Options', 'Labels',
  ]);
  assert.equal(bridge.Scope, 'local');
  assert.deepEqual(bridge.IPAM, { Driver: 'default', Options: null, Config: [{ Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' }] });
  const none = networks.find((network) => network.Name === 'none')!;
  assert.equal(none.Driver, 'null');
  assert.deepEqual((none.IPAM as { Config: unknown[] }).Config, []);

  const old = await harness.request('GET', '/v1.46/networks');
  assert.equal('EnableIPv4' in old.json<Record<string, unknown>[]>()[0], false, 'EnableIPv4 came with API 1.47');
});

test('networks: create, inspect and remove', async () => {
  const created = await harness.request('POST', '/networks/create', {
    Name: 'appnet',
    Driver: 'bridge',
    IPAM: { Config: [{ Subnet: '10.77.0.0/24', Gateway: '10.77.0.1', IPRange: '10.77.0.128/25' }] },
    Internal: true,
    Labels: { team: 'api' },
    Options: { 'com.docker.network.driver.mtu': '1400' },
  });
  assert.equal(created.status, 201, created.text);
  const { Id, Warning } = created.json<{ Id: string; Warning: string }>();
  assert.match(Id, /^[0-9a-f]{64}$/);
  assert.equal(Warning, '');
  const request = harness.engine.calls.at(-1)!.args[0] as Record<string, unknown>;
  assert.equal(request.subnet, '10.77.0.0/24');
  assert.equal(request.gateway, '10.77.0.1');
  assert.equal(request.ipRange, '10.77.0.128/25');
  assert.equal(request.internal, true);

  const inspected = await harness.request('GET', '/networks/appnet');
  assert.equal(inspected.status, 200);
  const network = inspected.json<Record<string, unknown>>();
  assert.equal(network.Id, Id);
  assert.deepEqual(network.IPAM, { Driver: 'default', Options: {}, Config: [{ Subnet: '10.77.0.0/24', IPRange: '10.77.0.128/25', Gateway: '10.77.0.1' }] });
  assert.deepEqual(network.Labels, { team: 'api' });
  assert.deepEqual(network.Containers, {});
  assert.equal((await harness.request('GET', `/networks/${Id.slice(0, 12)}`)).status, 200, 'an ID prefix finds the network');
  assert.equal((await harness.request('GET', '/networks/appnet?scope=swarm')).status, 404);

  const duplicate = await harness.request('POST', '/networks/create', { Name: 'appnet' });
  assert.equal(duplicate.status, 409);
  assert.equal(duplicate.json().message, 'network with name appnet already exists');

  assert.equal((await harness.request('DELETE', '/networks/appnet')).status, 204);
  const gone = await harness.request('GET', '/networks/appnet');
  assert.equal(gone.status, 404);
  assert.equal(gone.json().message, 'network appnet not found');
});

test('networks: create rejects bad requests', async () => {
  const cases: [unknown, number, RegExp][] = [
    [{ Name: '' }, 400, /network name must not be empty/],
    [{ Name: 'x1', IPAM: { Config: [{ Subnet: 'nonsense' }] } }, 400, /invalid subnet nonsense/],
    [{ Name: 'x2', EnableIPv6: true }, 501, /IPv4 only/],
    [{ Name: 'x3', IPAM: { Config: [{ Subnet: '10.1.0.0/24' }, { Subnet: '10.2.0.0/24' }] } }, 501, /one IPv4 subnet/],
    [{ Name: 'x4', IPAM: { Driver: 'dhcp' } }, 404, /IPAM driver "dhcp" not found/],
    [{ Name: 'x5', Scope: 'swarm' }, 501, /Berth networks are local/],
  ];
  for (const [body, status, message] of cases) {
    const response = await harness.request('POST', '/networks/create', body);
    assert.equal(response.status, status, JSON.stringify(body));
    assert.match(response.json<{ message: string }>().message, message);
  }
  const control = await harness.request('POST', '/networks/create', { Name: 'x6', IPAM: { Config: [{ Subnet: '10.3.0.0/24' }] } });
  assert.equal(control.status, 201, 'a valid request of the same form succeeds');
  assert.equal((await harness.request('DELETE', '/networks/x6')).status, 204);
});

test('networks: list filters', async () => {
  await harness.request('POST', '/networks/create', { Name: 'filtered-a', Labels: { tier: 'front' } });
  await harness.request('POST', '/networks/create', { Name: 'filtered-b', Labels: { tier: 'back' } });
  try {
    assert.deepEqual(await networkNames({ type: ['custom'] }), ['filtered-a', 'filtered-b']);
    assert.deepEqual(await networkNames({ type: ['builtin'] }), ['bridge', 'host', 'none']);
    assert.deepEqual(await networkNames({ name: ['filtered'] }), ['filtered-a', 'filtered-b'], 'name matches a part of the name');
    assert.deepEqual(await networkNames({ label: ['tier=front'] }), ['filtered-a']);
    assert.deepEqual(await networkNames({ label: ['tier'] }), ['filtered-a', 'filtered-b']);
    assert.deepEqual(await networkNames({ driver: ['null'] }), ['none']);
    assert.deepEqual(await networkNames({ dangling: ['true'] }), ['filtered-a', 'filtered-b']);
    assert.deepEqual(await networkNames({ dangling: ['false'] }), ['bridge', 'host', 'none']);
    const bridgeId = harness.engine.networks.find('bridge').id;
    assert.deepEqual(await networkNames({ id: [bridgeId.slice(0, 10)] }), ['bridge']);

    const badType = await harness.request('GET', `/networks?filters=${filtersQuery({ type: ['other'] })}`);
    assert.equal(badType.status, 400);
    assert.equal(badType.json().message, "invalid filter: 'type'='other'");
    const badName = await harness.request('GET', `/networks?filters=${filtersQuery({ colour: ['red'] })}`);
    assert.equal(badName.status, 400);
  } finally {
    await harness.request('DELETE', '/networks/filtered-a');
    await harness.request('DELETE', '/networks/filtered-b');
  }
});

test('networks: predefined and used networks stay', async () => {
  const bridge = await harness.request('DELETE', '/networks/bridge');
  assert.equal(bridge.status, 403);
  assert.equal(bridge.json().message, 'bridge is a pre-defined network and cannot be removed');

  await harness.request('POST', '/networks/create', { Name: 'busy' });
  const container = harness.engine.addContainer({ name: 'busy-user', spec: { networkMode: 'busy' } });
  const busy = await harness.request('DELETE', '/networks/busy');
  assert.equal(busy.status, 409);
  assert.match(busy.json<{ message: string }>().message, /has active endpoints/);

  const pruned = await harness.request('POST', '/networks/prune');
  assert.equal(pruned.status, 200);
  assert.deepEqual(pruned.json(), { NetworksDeleted: [] }, 'prune keeps networks in use');

  harness.engine.containers.delete(container.id);
  await harness.request('POST', '/networks/create', { Name: 'labelled', Labels: { keep: 'no' } });
  const byLabel = await harness.request('POST', `/networks/prune?filters=${filtersQuery({ label: ['keep=no'] })}`);
  assert.deepEqual(byLabel.json(), { NetworksDeleted: ['labelled'] });
  const rest = await harness.request('POST', '/networks/prune');
  assert.deepEqual(rest.json(), { NetworksDeleted: ['busy'] });

  const before = Date.now() / 1000;
  const untilReply = await harness.request('POST', `/networks/prune?filters=${filtersQuery({ until: ['1h'] })}`);
  assert.equal(untilReply.status, 200);
  const untilCall = harness.engine.calls.filter((call) => call.method === 'pruneNetworks').at(-1);
  const until = (untilCall?.args[0] as { until: number }).until;
  assert.ok(Math.abs(until - (before - 3600)) < 60, `until is one hour ago in seconds, got ${until}`);
  const twoUntils = await harness.request('POST', `/networks/prune?filters=${filtersQuery({ until: ['1h', '2h'] })}`);
  assert.equal(twoUntils.status, 400);
});

test('networks: connect and disconnect', async () => {
  await harness.request('POST', '/networks/create', { Name: 'joinme' });
  const container = harness.engine.addContainer({ name: 'joiner' });
  const connected = await harness.request('POST', '/networks/joinme/connect', {
    Container: 'joiner',
    EndpointConfig: { Aliases: ['j1'], IPAMConfig: { IPv4Address: '172.20.0.9' }, NetworkID: 'ignored' },
  });
  assert.equal(connected.status, 200, connected.text);
  assert.deepEqual(harness.engine.calls.at(-1), { method: 'connectNetwork', args: ['joinme', 'joiner', { aliases: ['j1'], ipv4Address: '172.20.0.9' }] });
  assert.ok(harness.engine.networks.joined(container)[harness.engine.networks.find('joinme').id]);

  const missing = await harness.request('POST', '/networks/joinme/connect', { EndpointConfig: {} });
  assert.equal(missing.status, 400);
  assert.match(missing.json<{ message: string }>().message, /Container must name a container/);
  const badAddress = await harness.request('POST', '/networks/joinme/connect', { Container: 'joiner', EndpointConfig: { IPAMConfig: { IPv4Address: 'x' } } });
  assert.equal(badAddress.status, 400);

  const disconnected = await harness.request('POST', '/networks/joinme/disconnect', { Container: 'joiner', Force: true });
  assert.equal(disconnected.status, 200);
  assert.deepEqual(harness.engine.calls.at(-1), { method: 'disconnectNetwork', args: ['joinme', 'joiner', true] });
  const again = await harness.request('POST', '/networks/joinme/disconnect', { Container: 'joiner' });
  assert.equal(again.status, 400, 'disconnecting twice without force fails');
  harness.engine.containers.delete(container.id);
  await harness.request('DELETE', '/networks/joinme');
});

test('create: an unknown network is a 400', async () => {
  const response = await harness.request('POST', '/containers/create', { Image: 'busybox', HostConfig: { NetworkMode: 'nope' } });
  assert.equal(response.status, 400, 'not 404, which the Docker CLI reads as a missing image');
  assert.equal(response.json().message, 'network nope not found');
  const control = await harness.request('POST', '/containers/create', { Image: 'busybox', HostConfig: { NetworkMode: 'bridge' } });
  assert.equal(control.status, 201);
});

test('inspect and ps: bridge endpoint and ports', async () => {
  const engine = new InMemoryEngineDouble();
  const local = await startHarness(engine);
  try {
    const record = engine.addContainer({ name: 'web', spec: { networkMode: 'bridge', exposedPorts: ['80/tcp', '443/tcp'] } });
    engine.setStatus(record.id, 'running');
    engine.networks.ports.set(record.id, [
      { hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp', containerIp: '172.17.0.2', networkId: 'n' },
      { hostIp: '127.0.0.1', hostPort: 8081, containerPort: 80, protocol: 'tcp', containerIp: '172.17.0.2', networkId: 'n' },
    ]);

    const settings = (await local.request('GET', '/containers/web/json')).json<{ NetworkSettings: Record<string, unknown> }>().NetworkSettings;
    assert.equal(settings.IPAddress, '172.17.0.2', 'the default bridge endpoint is copied to the top level');
    assert.equal(settings.Gateway, '172.17.0.1');
    assert.equal(settings.IPPrefixLen, 16);
    assert.deepEqual(settings.Ports, {
      '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }, { HostIp: '127.0.0.1', HostPort: '8081' }],
      '443/tcp': null,
    });
    const bridge = (settings.Networks as Record<string, Record<string, unknown>>).bridge;
    assert.equal(bridge.IPAddress, '172.17.0.2');
    assert.equal(bridge.NetworkID, engine.networks.find('bridge').id);
    assert.equal(bridge.DNSNames, null, 'no embedded DNS names on the default bridge');

    const modern = networkSettingsShape(record, engine.networks.state(record), '1.52');
    assert.equal('IPAddress' in modern, false, 'API 1.52 dropped the top-level copy');

    const summary = (await local.request('GET', '/containers/json')).json<Record<string, unknown>[]>()[0];
    assert.deepEqual(summary.Ports, [
      { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
      { IP: '127.0.0.1', PrivatePort: 80, PublicPort: 8081, Type: 'tcp' },
      { PrivatePort: 443, Type: 'tcp' },
    ]);
    assert.deepEqual(summary.HostConfig, { NetworkMode: 'bridge' });
    assert.deepEqual(Object.keys((summary.NetworkSettings as { Networks: object }).Networks), ['bridge']);

    engine.setStatus(record.id, 'exited');
    const stopped = (await local.request('GET', '/containers/web/json')).json<{ NetworkSettings: Record<string, unknown> }>().NetworkSettings;
    assert.deepEqual(stopped.Ports, {}, 'a stopped container has no ports');
    assert.equal(stopped.IPAddress, '');
  } finally {
    await local.close();
  }
});

test('inspect: user network endpoint has DNS names', async () => {
  const engine = new InMemoryEngineDouble();
  const local = await startHarness(engine);
  try {
    await local.request('POST', '/networks/create', { Name: 'names' });
    const record = engine.addContainer({ name: 'db', spec: { networkMode: 'names', networkAttachment: { aliases: ['database'], ipv4Address: '' } } });
    engine.setStatus(record.id, 'running');
    const settings = (await local.request('GET', '/containers/db/json')).json<{ NetworkSettings: Record<string, unknown> }>().NetworkSettings;
    const endpoint = (settings.Networks as Record<string, Record<string, unknown>>).names;
    assert.deepEqual(endpoint.DNSNames, ['db', 'database', record.id.slice(0, 12)]);
    assert.deepEqual(endpoint.Aliases, ['database']);
    assert.match(endpoint.IPAddress as string, /^172\.\d+\.0\.2$/);
    assert.equal(settings.IPAddress, '', 'only the default bridge fills the top level');

    const network = (await local.request('GET', '/networks/names')).json<{ Containers: Record<string, Record<string, unknown>> }>();
    assert.deepEqual(network.Containers[record.id], {
      Name: 'db',
      EndpointID: endpoint.EndpointID,
      MacAddress: endpoint.MacAddress,
      IPv4Address: `${endpoint.IPAddress}/16`,
      IPv6Address: '',
    });
  } finally {
    await local.close();
  }
});
