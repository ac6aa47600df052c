// Published ports seen from the host (node:http on loopback), `port` output
// of both CLIs, and container names that resolve through the embedded DNS on
// user networks but not on the default bridge. Traffic goes only to loopback
// and to the test's own containers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { assertDockerTalksToBerth, berth, docker } from '../helpers/cli';
import { startDaemon, type TestDaemon } from '../helpers/daemon';

let daemon: TestDaemon;
let wwwDirectory: string;
const INDEX = 'published through a port binding\n';

before(async () => {
  daemon = await startDaemon();
  await assertDockerTalksToBerth(daemon);
  wwwDirectory = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-www-'));
  await fs.writeFile(path.join(wwwDirectory, 'index.html'), INDEX);
});

after(async () => {
  await daemon?.stop();
  if (wwwDirectory) await fs.rm(wwwDirectory, { recursive: true, force: true });
});

async function dockerOk(args: string[]): Promise<string> {
  const result = await docker(daemon, args);
  assert.equal(result.exitCode, 0, `docker ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

// Returns a TCP port that nothing on the host listens on at the moment.
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function fetchText(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host, port, path: '/', timeout: 2000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve(Buffer.concat(chunks).toString()));
    });
    request.on('timeout', () => request.destroy(new Error(`GET http://${host}:${port}/ timed out`)));
    request.on('error', reject);
  });
}

// Retries while httpd in the new container is still starting.
async function fetchWhenReady(host: string, port: number): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await fetchText(host, port);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

test('port bound to 127.0.0.1 answers there only', async () => {
  const hostPort = await freePort();
  await dockerOk(['run', '-d', '--name', 'published', '-p', `127.0.0.1:${hostPort}:80`, '-v', `${wwwDirectory}:/www`, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/www']);

  assert.equal(await fetchWhenReady('127.0.0.1', hostPort), INDEX, 'positive control: the bound address answers');
  await assert.rejects(fetchText('127.0.0.2', hostPort), (error: NodeJS.ErrnoException) => error.code === 'ECONNREFUSED', 'another loopback address is refused');
  assert.equal(await fetchText('127.0.0.1', hostPort), INDEX, 'the bound address still answers after the refused attempt');

  assert.equal(await dockerOk(['port', 'published']), `80/tcp -> 127.0.0.1:${hostPort}\n`);
  assert.equal(await dockerOk(['port', 'published', '80/tcp']), `127.0.0.1:${hostPort}\n`);
  const berthPorts = await berth(daemon, ['port', 'published']);
  assert.equal(berthPorts.stdout, `80/tcp -> 127.0.0.1:${hostPort}\n`, berthPorts.stderr);
  const berthOne = await berth(daemon, ['port', 'published', '80']);
  assert.equal(berthOne.stdout, `127.0.0.1:${hostPort}\n`, berthOne.stderr);
  const unpublished = await berth(daemon, ['port', 'published', '81']);
  assert.equal(unpublished.exitCode, 1);
  assert.equal(unpublished.stderr, "Error: No public port '81' published for published\n");

  const listed = await dockerOk(['ps', '--format', '{{.Names}} {{.Ports}}']);
  assert.equal(listed, `published 127.0.0.1:${hostPort}->80/tcp\n`);
  await dockerOk(['rm', '-f', 'published']);
});

test('publish all exposed ports on free ports', async () => {
  await dockerOk(['run', '-d', '--name', 'everything', '-P', '--expose', '80', '-v', `${wwwDirectory}:/www`, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/www']);
  const mapping = await dockerOk(['port', 'everything', '80']);
  const match = /^0\.0\.0\.0:(\d+)\n$/.exec(mapping);
  assert.ok(match, `port prints one wildcard binding: ${mapping}`);
  assert.equal(await fetchWhenReady('127.0.0.1', Number(match[1])), INDEX);

  const settings = JSON.parse(await dockerOk(['inspect', '--format', '{{json .NetworkSettings.Ports}}', 'everything']));
  assert.deepEqual(settings, { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: match[1] }] });
  await dockerOk(['rm', '-f', 'everything']);
});

test('names resolve on user networks only', async () => {
  await dockerOk(['network', 'create', 'names_net']);
  await dockerOk(['run', '-d', '--name', 'target', '--network', 'names_net', '--network-alias', 'target-alias', 'busybox', 'sleep', '1d']);
  await dockerOk(['run', '-d', '--name', 'peer', '--network', 'names_net', 'busybox', 'sleep', '1d']);
  await dockerOk(['run', '-d', '--name', 'bridged-target', 'busybox', 'sleep', '1d']);
  await dockerOk(['run', '-d', '--name', 'bridged', 'busybox', 'sleep', '1d']);

  const byName = await docker(daemon, ['exec', 'peer', 'ping', '-c1', '-W1', 'target']);
  assert.equal(byName.exitCode, 0, `a container name resolves on a user network: ${byName.stdout}${byName.stderr}`);
  const byAlias = await docker(daemon, ['exec', 'peer', 'ping', '-c1', '-W1', 'target-alias']);
  assert.equal(byAlias.exitCode, 0, `a network alias resolves on a user network: ${byAlias.stdout}${byAlias.stderr}`);

  const onBridge = await docker(daemon, ['exec', 'bridged', 'ping', '-c1', '-W1', 'bridged-target']);
  assert.notEqual(onBridge.exitCode, 0, 'container names do not resolve on the default bridge');
  assert.match(onBridge.stderr, /bad address/);
  const localName = await docker(daemon, ['exec', 'bridged', 'ping', '-c1', '-W1', 'localhost']);
  assert.equal(localName.exitCode, 0, `positive control: the same container resolves localhost: ${localName.stderr}`);

  await dockerOk(['rm', '-f', 'target', 'peer', 'bridged-target', 'bridged']);
  await dockerOk(['network', 'rm', 'names_net']);
});
