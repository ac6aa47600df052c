// Published ports and name lookups while berthd is killed and after it starts
// again, and a restart that re-creates a user bridge and firewall lines
// deleted while berthd was down. Traffic goes only to loopback, the test's
// own bridge addresses and its containers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../src/common/subprocess';
import { chainNames } from '../../src/network/firewall/chains';
import { assertDockerTalksToBerth, docker } from '../helpers/cli';
import { startDaemon, type TestDaemon } from '../helpers/daemon';
import { linkNames, snapshotInstance } from './instance-objects';

let daemon: TestDaemon;
let wwwDirectory: string;
const INDEX = 'served while berthd restarts\n';

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
  return result.stdout.trim();
}

function fetchText(host: string, port: number, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host, port, path: '/', timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve(Buffer.concat(chunks).toString()));
    });
    request.on('timeout', () => request.destroy(new Error(`GET http://${host}:${port}/ timed out`)));
    request.on('error', reject);
  });
}

async function fetchWhenReady(host: string, port: number, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fetchText(host, port);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

// Runs a program of the container's image in its mount and network namespaces,
// which works while berthd is down because it needs no exec session.
async function inContainer(pid: number, args: string[], timeoutMs: number) {
  return run('nsenter', ['-t', String(pid), '-m', '-n', '-r', '-w', '--', ...args], { allowFailure: true, timeoutMs });
}

// Fetches http://<name>/ from inside the container: a name lookup through the embedded DNS, then HTTP.
// Returns the body, or a description of the failure.
async function fetchByName(pid: number, name: string, timeoutMs = 5000): Promise<string> {
  // NOTE: the image's busybox wget crashes with SIGSEGV when given -T, so the subprocess timeout bounds it instead.
  try {
    const result = await inContainer(pid, ['/bin/busybox', 'wget', '-q', '-O', '-', `http://${name}/`], timeoutMs);
    return result.exitCode === 0 ? result.stdout : `wget exit ${result.exitCode}: ${result.stderr.trim()}`;
  } catch (error) {
    return `wget failed: ${(error as Error).message}`;
  }
}

async function fetchByNameWhenReady(pid: number, name: string): Promise<string> {
  let output = '';
  for (let attempt = 0; attempt < 20; attempt++) {
    output = await fetchByName(pid, name);
    if (output === INDEX) return output;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return output;
}

interface Setup {
  networkId: string;
  gateway: string;
  hostPort: number;
  clientPid: number;
}

async function startPair(network: string): Promise<Setup> {
  const networkId = await dockerOk(['network', 'create', network]);
  await dockerOk(['run', '-d', '--name', `${network}-web`, '--network', network, '-p', '80', '-v', `${wwwDirectory}:/www`, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/www']);
  await dockerOk(['run', '-d', '--name', `${network}-client`, '--network', network, 'busybox', 'sleep', '1d']);
  const gateway = await dockerOk(['network', 'inspect', '--format', '{{(index .IPAM.Config 0).Gateway}}', network]);
  const hostPort = Number(await dockerOk(['inspect', '--format', '{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}}', `${network}-web`]));
  const clientPid = Number(await dockerOk(['inspect', '--format', '{{.State.Pid}}', `${network}-client`]));
  assert.ok(hostPort > 0, `host port of ${network}-web: ${hostPort}`);
  assert.ok(clientPid > 0, `PID of ${network}-client: ${clientPid}`);
  return { networkId, gateway, hostPort, clientPid };
}

async function removePair(network: string): Promise<void> {
  await dockerOk(['rm', '-f', `${network}-web`, `${network}-client`]);
  await dockerOk(['network', 'rm', network]);
}

test('ports and names work while berthd is down', async () => {
  const { gateway, hostPort, clientPid } = await startPair('rs1');

  assert.equal(await fetchWhenReady('127.0.0.1', hostPort), INDEX, 'published port on 127.0.0.1 before the kill');
  assert.equal(await fetchText(gateway, hostPort), INDEX, 'published port on the bridge address before the kill');
  assert.equal(await fetchByNameWhenReady(clientPid, 'rs1-web'), INDEX, 'client reaches web by name before the kill');

  await daemon.killDaemon();
  try {
    assert.equal(await fetchText('127.0.0.1', hostPort), INDEX, 'published port on 127.0.0.1 while berthd is down');
    assert.equal(await fetchText(gateway, hostPort), INDEX, 'published port on the bridge address while berthd is down');
    assert.equal(await fetchByName(clientPid, 'rs1-web'), INDEX, 'client reaches web by name while berthd is down');
    assert.equal(await fetchByName(clientPid, 'rs1-web.rs1'), INDEX, 'qualified name while berthd is down');
    const unknown = await fetchByName(clientPid, 'rs1-missing');
    assert.match(unknown, /^wget (exit|failed)/, 'negative control: an unknown name does not resolve');
  } finally {
    await daemon.restartDaemon();
  }

  assert.equal(await fetchText('127.0.0.1', hostPort), INDEX, 'published port on 127.0.0.1 after the restart');
  assert.equal(await fetchText(gateway, hostPort), INDEX, 'published port on the bridge address after the restart');
  assert.equal(await fetchByName(clientPid, 'rs1-web'), INDEX, 'client reaches web by name after the restart');
  assert.equal(await dockerOk(['inspect', '--format', '{{.State.Pid}}', 'rs1-client']), String(clientPid), 'the client kept running');

  await removePair('rs1');
});

test('restart re-creates deleted bridge and rules', async () => {
  const { networkId, gateway, hostPort, clientPid } = await startPair('rs2');
  const bridge = `br-${networkId.slice(0, 12)}`;
  assert.equal(await fetchWhenReady('127.0.0.1', hostPort), INDEX);
  assert.equal(await fetchByNameWhenReady(clientPid, 'rs2-web'), INDEX);
  const intact = await snapshotInstance(daemon);
  assert.ok(intact.links.has(bridge), `bridge ${bridge} exists before the deletion`);
  assert.ok(intact.firewallLines.some((line) => line.includes(bridge)), 'firewall lines name the bridge');

  await daemon.killDaemon();
  try {
    await run('ip', ['link', 'delete', bridge]);
    const chains = chainNames(daemon.instance);
    for (const chain of [chains.forward, chains.isolation1, chains.isolation2]) await run('iptables', ['-w', '-t', 'filter', '-F', chain]);
    for (const chain of [chains.portMap, chains.postrouting]) await run('iptables', ['-w', '-t', 'nat', '-F', chain]);

    // The deletion took effect: the port and the neighbour are out of reach while berthd is down.
    assert.ok(!(await linkNames()).has(bridge), 'the bridge is gone');
    await assert.rejects(fetchText('127.0.0.1', hostPort, 1000), 'the published port no longer answers');
    assert.notEqual(await fetchByName(clientPid, 'rs2-web', 2000), INDEX, 'client no longer reaches web');
  } finally {
    await daemon.restartDaemon();
  }

  const restored = await snapshotInstance(daemon);
  assert.ok(restored.links.has(bridge), `bridge ${bridge} is back`);
  assert.deepEqual(restored.firewallLines, intact.firewallLines, 'the firewall lines are back as they were');
  assert.equal(await fetchWhenReady('127.0.0.1', hostPort, 5000), INDEX, 'published port on 127.0.0.1 answers again');
  assert.equal(await fetchText(gateway, hostPort), INDEX, 'published port on the bridge address answers again');
  assert.equal(await fetchByNameWhenReady(clientPid, 'rs2-web'), INDEX, 'the running client reaches web by name again');

  // A container started after the restart joins the re-created bridge too.
  await dockerOk(['run', '-d', '--name', 'rs2-late', '--network', 'rs2', 'busybox', 'sleep', '1d']);
  const latePid = Number(await dockerOk(['inspect', '--format', '{{.State.Pid}}', 'rs2-late']));
  assert.equal(await fetchByNameWhenReady(latePid, 'rs2-web'), INDEX, 'a new container reaches web by name');

  await dockerOk(['rm', '-f', 'rs2-late']);
  await removePair('rs2');
});
