import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { parsePortSpec } from '../../src/network/ports';
import type { NetworkService } from '../../src/network/service';
import { containerId, inSandbox, leftovers, startInNamespace, startNetworking, stopProcess, waitForOutput, type TestNetworking } from './helpers';

let networking: TestNetworking;
let service: NetworkService;

before(async () => {
  networking = await startNetworking();
  service = networking.service;
});

after(async () => {
  await networking.cleanup();
  assert.deepEqual(await leftovers(networking), []);
});

// Connects to host:port and returns the server's greeting, or the error code.
function tcpGreeting(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    let data = '';
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve('TIMEOUT');
    });
    socket.on('data', (chunk) => (data += chunk.toString()));
    socket.on('end', () => resolve(data));
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

function udpExchange(host: string, port: number, message: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      resolve('TIMEOUT');
    }, 2000);
    socket.on('message', (reply) => {
      clearTimeout(timer);
      socket.close();
      resolve(reply.toString());
    });
    socket.send(message, port, host);
  });
}

// A server in the sandbox: TCP ports greet with "tcp <port>", UDP ports echo "udp <port> <message>".
function sandboxServer(netnsPath: string, tcpPorts: number[], udpPorts: number[]) {
  const script = `
    const net = require('net'), dgram = require('dgram');
    let pending = ${tcpPorts.length + udpPorts.length};
    const ready = () => { if (--pending === 0) console.log('ready'); };
    for (const port of ${JSON.stringify(tcpPorts)}) net.createServer((s) => s.end('tcp ' + port)).listen(port, '0.0.0.0', ready);
    for (const port of ${JSON.stringify(udpPorts)}) {
      const socket = dgram.createSocket('udp4');
      socket.on('message', (m, r) => socket.send('udp ' + port + ' ' + m, r.port, r.address));
      socket.bind(port, '0.0.0.0', ready);
    }`;
  return startInNamespace(netnsPath, script);
}

test('published tcp udp and range ports', async () => {
  await service.create({ name: 'web' });
  const id = containerId();
  const netnsPath = await service.prepareSandbox(id);
  await service.connect(id, 'web', { name: 'server' });
  const server = sandboxServer(netnsPath, [80, 9000, 9001, 9002], [53]);
  try {
    await waitForOutput(server, 'ready');
    const bindings = await service.publish(id, [
      ...parsePortSpec('127.0.0.1::80'),
      ...parsePortSpec('127.0.0.1::53/udp'),
      ...parsePortSpec('127.0.0.1::9000-9002'),
    ]);
    assert.equal(bindings.length, 5);
    const tcp80 = bindings.find((binding) => binding.containerPort === 80 && binding.protocol === 'tcp');
    const udp53 = bindings.find((binding) => binding.protocol === 'udp');
    assert.ok(tcp80);
    assert.ok(udp53);
    assert.ok(tcp80.hostPort >= 49153, `random port ${tcp80.hostPort} out of range`);

    assert.equal(await tcpGreeting('127.0.0.1', tcp80.hostPort), 'tcp 80');
    // Bound to 127.0.0.1 only: another loopback address of the host gets no forwarding.
    assert.equal(await tcpGreeting('127.0.0.2', tcp80.hostPort), 'ECONNREFUSED');
    assert.equal(await udpExchange('127.0.0.1', udp53.hostPort, 'ping'), 'udp 53 ping');

    for (const containerPort of [9000, 9001, 9002]) {
      const binding = bindings.find((entry) => entry.containerPort === containerPort);
      assert.ok(binding);
      assert.equal(await tcpGreeting('127.0.0.1', binding.hostPort), `tcp ${containerPort}`);
    }

    // A fixed host range maps one to one.
    const base = 20000 + Math.floor(Math.random() * 20000);
    const fixed = await service.publish(id, parsePortSpec(`127.0.0.1:${base}-${base + 1}:9001-9002`));
    assert.deepEqual(fixed.map((binding) => [binding.hostPort, binding.containerPort]), [[base, 9001], [base + 1, 9002]]);
    assert.equal(await tcpGreeting('127.0.0.1', base + 1), 'tcp 9002');
    await assert.rejects(service.publish(id, parsePortSpec(`127.0.0.1:${base}:80`)), /port is already allocated/);

    // Published on every address, the port also forwards from 127.0.0.2.
    const everywhere = await service.publish(id, parsePortSpec(`${base + 2}:80`));
    assert.equal(everywhere[0].hostPort, base + 2);
    assert.equal(await tcpGreeting('127.0.0.2', base + 2), 'tcp 80');

    await service.releaseSandbox(id);
    assert.equal(service.ports(id).length, 0);
    assert.equal(await tcpGreeting('127.0.0.1', tcp80.hostPort), 'ECONNREFUSED');
  } finally {
    await stopProcess(server);
  }
  await service.remove('web');
});

// Connects from inside a sandbox and returns what the server sent, or an error marker.
async function greetingFromSandbox(netnsPath: string, host: string, port: number): Promise<string> {
  const script = [
    `const socket = require('net').connect(${port}, '${host}');`,
    `let data = ''; socket.setTimeout(1500, () => { process.stdout.write('TIMEOUT'); process.exit(0); });`,
    `socket.on('data', (d) => (data += d)).on('end', () => process.stdout.write(data)).on('error', (e) => process.stdout.write('ERR ' + e.code));`,
  ].join('\n');
  return (await inSandbox(netnsPath, [process.execPath, '-e', script], 5000)).stdout.trim();
}

test('published port through gateway hairpin', async () => {
  const network = await service.create({ name: 'hairpin' });
  const gateway = network.ipam?.gateway as string;
  const serverId = containerId();
  const serverPath = await service.prepareSandbox(serverId);
  await service.connect(serverId, 'hairpin', { name: 'server' });
  const neighborId = containerId();
  const neighborPath = await service.prepareSandbox(neighborId);
  await service.connect(neighborId, 'hairpin', { name: 'neighbor' });
  const server = sandboxServer(serverPath, [80], []);
  try {
    await waitForOutput(server, 'ready');
    const [binding] = await service.publish(serverId, parsePortSpec('80'));
    // The gateway is a host address, so the host's DNAT applies to it from inside the network too.
    assert.equal(await greetingFromSandbox(serverPath, gateway, binding.hostPort), 'tcp 80');
    assert.equal(await greetingFromSandbox(neighborPath, gateway, binding.hostPort), 'tcp 80');
    assert.equal(await greetingFromSandbox(neighborPath, gateway, binding.hostPort + 1 > 65535 ? 1 : binding.hostPort + 1), 'ERR ECONNREFUSED');
  } finally {
    await stopProcess(server);
    await service.releaseSandbox(serverId);
    await service.releaseSandbox(neighborId);
    await service.remove('hairpin');
  }
});

test('publish rejects busy host port', async () => {
  await service.create({ name: 'busy' });
  const id = containerId();
  await service.prepareSandbox(id);
  await service.connect(id, 'busy', { name: 'x' });
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  try {
    const port = (holder.address() as net.AddressInfo).port;
    await assert.rejects(service.publish(id, parsePortSpec(`127.0.0.1:${port}:80`)), /port is already allocated/);
    const free = await service.publish(id, parsePortSpec('127.0.0.1::80'));
    assert.notEqual(free[0].hostPort, port);
  } finally {
    holder.close();
    await service.releaseSandbox(id);
    await service.remove('busy');
  }
});
