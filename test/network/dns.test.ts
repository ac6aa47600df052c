import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import path from 'node:path';
import { buildResponse, parseQuestion, RCODE_NOERROR, RCODE_NXDOMAIN } from '../../src/network/dns/codec';
import { formatIPv4 } from '../../src/network/cidr';
import { NetworkService } from '../../src/network/service';
import { containerId, inSandbox, leftovers, startNetworking, type TestNetworking } from './helpers';

let networking: TestNetworking;
let upstream: dgram.Socket;
const upstreamQueries: string[] = [];

// The test's upstream server on loopback: outside.test has one address, every other name is NXDOMAIN.
async function startUpstream(): Promise<number> {
  upstream = dgram.createSocket('udp4');
  upstream.on('message', (message, remote) => {
    const question = parseQuestion(message);
    if (!question) return;
    upstreamQueries.push(question.name);
    const known = question.name === 'outside.test';
    upstream.send(buildResponse(message, question, known ? RCODE_NOERROR : RCODE_NXDOMAIN, known ? ['203.0.113.7'] : []), remote.port, remote.address);
  });
  await new Promise<void>((resolve) => upstream.bind(0, '127.0.0.1', resolve));
  return upstream.address().port;
}

before(async () => {
  const port = await startUpstream();
  networking = await startNetworking([`127.0.0.1:${port}`]);
});

after(async () => {
  upstream.close();
  await networking.cleanup();
  assert.deepEqual(await leftovers(networking), []);
});

// Resolves name inside the sandbox through server; returns the sorted addresses or the error code.
async function lookup(netnsPath: string, server: string, name: string): Promise<string> {
  const script = `
    const { Resolver } = require('dns').promises;
    const resolver = new Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers(['${server}']);
    resolver.resolve4('${name}').then((a) => console.log(a.sort().join(',')), (e) => console.log(e.code));`;
  const result = await inSandbox(netnsPath, [process.execPath, '-e', script]);
  return result.stdout.trim();
}

// Sends an A query over DNS-over-TCP framing and returns the addresses in the response.
function queryTcp(server: string, name: string): Promise<string[]> {
  const labels = name.split('.').map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label)]));
  const query = Buffer.concat([Buffer.from([0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, 1, 0, 1])]);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(query.length);
  return new Promise((resolve, reject) => {
    const socket = net.connect(53, server, () => socket.write(Buffer.concat([length, query])));
    let buffered = Buffer.alloc(0);
    socket.setTimeout(2000, () => socket.destroy(new Error('DNS over TCP timed out')));
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2 || buffered.length < 2 + buffered.readUInt16BE(0)) return;
      socket.end();
      const response = buffered.subarray(2);
      const rcode = response.readUInt16BE(2) & 0xf;
      if (rcode !== 0) reject(new Error(`DNS over TCP query for ${name}: response code ${rcode}`));
      const count = response.readUInt16BE(6);
      const addresses: string[] = [];
      for (let index = 0; index < count; index++) addresses.push(formatIPv4(response.readUInt32BE(response.length - 4 * (count - index))));
      resolve(addresses);
    });
  });
}

// The resolver binds a new gateway address within about a second, so retry until it responds.
async function lookupWhenReady(netnsPath: string, server: string, name: string): Promise<string> {
  let answer = '';
  for (let attempt = 0; attempt < 10; attempt++) {
    answer = await lookup(netnsPath, server, name);
    if (answer !== 'ECONNREFUSED' && answer !== 'ETIMEOUT') return answer;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return answer;
}

test('embedded dns names per network', async () => {
  const service = networking.service;
  const alpha = await service.create({ name: 'alpha' });
  const beta = await service.create({ name: 'beta' });
  const alphaGateway = alpha.ipam?.gateway as string;
  const betaGateway = beta.ipam?.gateway as string;

  const webId = containerId();
  await service.prepareSandbox(webId);
  const web = await service.connect(webId, 'alpha', { name: '/web', aliases: ['www'] });
  const clientId = containerId();
  const clientPath = await service.prepareSandbox(clientId);
  await service.connect(clientId, 'alpha', { name: 'client' });
  const otherId = containerId();
  const otherPath = await service.prepareSandbox(otherId);
  await service.connect(otherId, 'beta', { name: 'other' });

  assert.equal(await lookupWhenReady(clientPath, alphaGateway, 'web'), web.ipAddress);
  assert.equal(await lookup(clientPath, alphaGateway, 'WWW'), web.ipAddress);
  assert.equal(await lookup(clientPath, alphaGateway, webId.slice(0, 12)), web.ipAddress);

  // The host's own address on the bridge is inside the subnet, so it may query over TCP too.
  assert.deepEqual(await queryTcp(alphaGateway, 'www'), [web.ipAddress]);

  // Unknown names go to the upstream server.
  assert.equal(await lookup(clientPath, alphaGateway, 'outside.test'), '203.0.113.7');
  assert.equal(await lookup(clientPath, alphaGateway, 'missing.test'), 'ENOTFOUND');
  assert.ok(upstreamQueries.includes('outside.test'));
  assert.ok(!upstreamQueries.includes('web'), 'local names must not be forwarded');

  // A sandbox on another network does not learn the name, through its own resolver or the other network's.
  assert.equal(await lookupWhenReady(otherPath, betaGateway, 'outside.test'), '203.0.113.7');
  assert.equal(await lookup(otherPath, betaGateway, 'web'), 'ENOTFOUND');
  assert.equal(await lookup(otherPath, alphaGateway, 'web'), 'EREFUSED');

  // After disconnect the name is gone.
  await service.disconnect(webId, 'alpha');
  let answer = '';
  for (let attempt = 0; attempt < 10 && answer !== 'ENOTFOUND'; attempt++) {
    answer = await lookup(clientPath, alphaGateway, 'web');
    if (answer !== 'ENOTFOUND') await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.equal(answer, 'ENOTFOUND');

  for (const id of [webId, clientId, otherId]) await service.releaseSandbox(id);
});

test('resolver survives service restart', async () => {
  const service = networking.service;
  await service.create({ name: 'gamma' });
  const id = containerId();
  const netnsPath = await service.prepareSandbox(id);
  const endpoint = await service.connect(id, 'gamma', { name: 'steady' });
  const gateway = endpoint.gateway;
  assert.equal(await lookupWhenReady(netnsPath, gateway, 'steady'), endpoint.ipAddress);
  const pid = await service.resolverPid();
  assert.ok(pid);

  // berthd restarting is a new service over the same roots; the resolver process stays the same.
  const restarted = new NetworkService({ instance: networking.instance, stateRoot: path.join(networking.root, 'state'), runRoot: path.join(networking.root, 'run'), dnsUpstreams: service['options'].dnsUpstreams });
  await restarted.init();
  assert.equal(await restarted.resolverPid(), pid);
  assert.equal(await lookup(netnsPath, gateway, 'steady'), endpoint.ipAddress);

  // If the resolver dies, the next change starts a new one.
  process.kill(pid, 'SIGKILL');
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(await restarted.resolverPid(), null);
  await restarted.create({ name: 'delta' });
  const newPid = await restarted.resolverPid();
  assert.ok(newPid);
  assert.notEqual(newPid, pid);
  assert.equal(await lookupWhenReady(netnsPath, gateway, 'steady'), endpoint.ipAddress);

  await restarted.releaseSandbox(id);
  await restarted.remove('gamma');
  await restarted.remove('delta');
  await service.init();
});

test('qualified name needs a shared network', async () => {
  const service = networking.service;
  const north = await service.create({ name: 'north' });
  await service.create({ name: 'south' });
  const northGateway = north.ipam?.gateway as string;

  // web is on both networks, client only on north, lone only on south, and both on north then south.
  const webId = containerId();
  await service.prepareSandbox(webId);
  const webNorth = await service.connect(webId, 'north', { name: 'web', aliases: ['www'] });
  const webSouth = await service.connect(webId, 'south', { name: 'web' });
  const clientId = containerId();
  const clientPath = await service.prepareSandbox(clientId);
  await service.connect(clientId, 'north', { name: 'client' });
  const loneId = containerId();
  const lonePath = await service.prepareSandbox(loneId);
  const lone = await service.connect(loneId, 'south', { name: 'lone' });
  const bothId = containerId();
  const bothPath = await service.prepareSandbox(bothId);
  await service.connect(bothId, 'north', { name: 'both' });
  await service.connect(bothId, 'south', { name: 'both' });

  // Positive: the name and the alias qualified with the client's own network.
  assert.equal(await lookupWhenReady(clientPath, northGateway, 'web.north'), webNorth.ipAddress);
  assert.equal(await lookup(clientPath, northGateway, 'WWW.North'), webNorth.ipAddress);

  // Negative: the same container name qualified with a network the client is not on.
  assert.equal(await lookup(clientPath, northGateway, 'web.south'), 'ENOTFOUND');
  assert.equal(await lookup(clientPath, northGateway, 'lone.south'), 'ENOTFOUND');
  assert.equal(await lookup(lonePath, lone.gateway, 'client.north'), 'ENOTFOUND');
  assert.ok(upstreamQueries.includes('web.south'), 'a name hidden from the client is forwarded like any unknown name');

  // A container on both networks queries its first network's resolver and still resolves south's names.
  assert.equal(await lookup(bothPath, northGateway, 'web.south'), webSouth.ipAddress);
  assert.equal(await lookup(bothPath, northGateway, 'lone.south'), lone.ipAddress);
  assert.equal(await lookup(bothPath, northGateway, 'lone'), lone.ipAddress);

  // After disconnecting from south, south's names are out of reach again.
  await service.disconnect(bothId, 'south');
  let answer = '';
  for (let attempt = 0; attempt < 10 && answer !== 'ENOTFOUND'; attempt++) {
    answer = await lookup(bothPath, northGateway, 'lone.south');
    if (answer !== 'ENOTFOUND') await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.equal(answer, 'ENOTFOUND');

  for (const id of [webId, clientId, loneId, bothId]) await service.releaseSandbox(id);
  await service.remove('north');
  await service.remove('south');
});
