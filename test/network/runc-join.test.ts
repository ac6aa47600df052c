// Checks the contract with the runtime: a container started by runc with the
// spec's network namespace path set to the sandbox file has the endpoint that
// connect() created, and reaches another sandbox on the same network.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { run } from '../../src/common/subprocess';
import type { NetworkService } from '../../src/network/service';
import { containerId, leftovers, startNetworking, type TestNetworking } from './helpers';

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

// Writes an OCI bundle whose root filesystem is Debian's static busybox and whose
// process runs the shell script; the network namespace is the given file.
async function writeBundle(bundle: string, netnsPath: string, script: string): Promise<void> {
  await fs.mkdir(path.join(bundle, 'rootfs', 'bin'), { recursive: true });
  await fs.copyFile('/bin/busybox', path.join(bundle, 'rootfs', 'bin', 'busybox'));
  await run('runc', ['spec', '--bundle', bundle]);
  const configFile = path.join(bundle, 'config.json');
  const config = JSON.parse(await fs.readFile(configFile, 'utf8'));
  config.process.terminal = false;
  config.process.args = ['/bin/busybox', 'sh', '-c', script];
  config.process.env = [...config.process.env.filter((entry: string) => !entry.startsWith('PATH=')), 'PATH=/bin'];
  // ping needs a raw socket.
  config.process.capabilities.bounding.push('CAP_NET_RAW');
  config.process.capabilities.effective.push('CAP_NET_RAW');
  config.process.capabilities.permitted.push('CAP_NET_RAW');
  config.root.readonly = true;
  config.linux.namespaces = config.linux.namespaces.map((namespace: { type: string }) =>
    namespace.type === 'network' ? { type: 'network', path: netnsPath } : namespace,
  );
  await fs.writeFile(configFile, JSON.stringify(config));
}

test('runc joins sandbox namespace', async () => {
  await service.create({ name: 'runtime' });
  const peerId = containerId();
  await service.prepareSandbox(peerId);
  const peer = await service.connect(peerId, 'runtime', { name: 'peer' });

  const id = containerId();
  const netnsPath = await service.prepareSandbox(id);
  const endpoint = await service.connect(id, 'runtime', { name: 'app' });
  const bundle = path.join(networking.root, 'bundle');
  const runcRoot = path.join(networking.root, 'runc');
  await writeBundle(bundle, netnsPath, `ip -o -4 addr show eth0; ping -c 1 -W 2 ${peer.ipAddress} >/dev/null && echo PING_OK`);

  const containerName = `${networking.instance}-${id.slice(0, 8)}`;
  try {
    const result = await run('runc', ['--root', runcRoot, 'run', '--bundle', bundle, containerName], { allowFailure: true, timeoutMs: 20_000 });
    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`inet ${endpoint.ipAddress.replace(/\./g, '\\.')}/${endpoint.prefixLength}`));
    assert.match(result.stdout, /PING_OK/);
  } finally {
    await run('runc', ['--root', runcRoot, 'delete', '--force', containerName], { allowFailure: true });
  }
  await service.releaseSandbox(id);
  await service.releaseSandbox(peerId);
  await service.remove('runtime');
});
