// Runs a bridge scenario with the FORWARD policy set to DROP, as it is once
// Docker has run. The policy is changed only inside a private network
// namespace that stands for the host, so the real host's firewall is untouched:
// the test re-runs this file with --scenario inside that namespace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../src/common/subprocess';
import { createNetns, removeNetns } from '../../src/network/bridge/netns';
import { parsePortSpec } from '../../src/network/ports';
import { canPing, containerId, inSandbox, startInNamespace, startNetworking, stopProcess, waitForOutput } from './helpers';

interface ScenarioResult {
  policy: string;
  sameNetworkPing: boolean;
  otherNetworkPing: boolean;
  outsideReply: string;
  publishedReply: string;
}

const SCENARIO_FLAG = '--scenario';

async function scenario(): Promise<ScenarioResult> {
  await run('iptables', ['-w', '-P', 'FORWARD', 'DROP']);
  await run('ip', ['link', 'set', 'lo', 'up']);
  const policy = /-P FORWARD (\w+)/.exec((await run('iptables', ['-w', '-S', 'FORWARD'])).stdout)?.[1] ?? 'unknown';
  const networking = await startNetworking();
  const service = networking.service;
  const outsideNetns = path.join(networking.root, 'outside');
  const server = { process: undefined as ReturnType<typeof startInNamespace> | undefined };
  try {
    await service.create({ name: 'left' });
    await service.create({ name: 'right' });
    const sandboxes: { id: string; netnsPath: string; ip: string }[] = [];
    for (const network of ['left', 'left', 'right']) {
      const id = containerId();
      const netnsPath = await service.prepareSandbox(id);
      const endpoint = await service.connect(id, network, { name: id.slice(0, 8) });
      sandboxes.push({ id, netnsPath, ip: endpoint.ipAddress });
    }

    // The "outside" world of this private host: one more namespace behind a veth pair.
    await createNetns(outsideNetns);
    await run('ip', ['link', 'add', 'outhost', 'type', 'veth', 'peer', 'name', 'outpeer']);
    await run('ip', ['link', 'set', 'outpeer', 'netns', outsideNetns]);
    await run('ip', ['address', 'add', '10.197.0.1/24', 'dev', 'outhost']);
    await run('ip', ['link', 'set', 'outhost', 'up']);
    await inSandbox(outsideNetns, ['ip', 'address', 'add', '10.197.0.2/24', 'dev', 'outpeer']);
    await inSandbox(outsideNetns, ['ip', 'link', 'set', 'outpeer', 'up']);
    server.process = startInNamespace(outsideNetns, `require('net').createServer((s) => s.end(s.remoteAddress)).listen(7000, '0.0.0.0', () => console.log('ready'))`);
    await waitForOutput(server.process, 'ready');
    const client = `const s = require('net').connect(7000, '10.197.0.2'); s.setTimeout(1500, () => { process.stdout.write('TIMEOUT'); process.exit(0); }); s.on('data', (d) => process.stdout.write(d)).on('error', (e) => process.stdout.write('ERR ' + e.code));`;
    const outsideReply = (await inSandbox(sandboxes[0].netnsPath, [process.execPath, '-e', client])).stdout.trim();

    const web = startInNamespace(sandboxes[1].netnsPath, `require('net').createServer((s) => s.end('published')).listen(80, '0.0.0.0', () => console.log('ready'))`);
    let publishedReply = '';
    try {
      await waitForOutput(web, 'ready');
      const [binding] = await service.publish(sandboxes[1].id, parsePortSpec('127.0.0.1::80'));
      publishedReply = await new Promise<string>((resolve) => {
        let data = '';
        const socket = net.connect(binding.hostPort, '127.0.0.1');
        socket.setTimeout(2000, () => resolve('TIMEOUT'));
        socket.on('data', (chunk) => (data += chunk.toString())).on('end', () => resolve(data)).on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      });
    } finally {
      await stopProcess(web);
    }

    return {
      policy,
      sameNetworkPing: await canPing(sandboxes[0].netnsPath, sandboxes[1].ip),
      otherNetworkPing: await canPing(sandboxes[2].netnsPath, sandboxes[0].ip),
      outsideReply,
      publishedReply,
    };
  } finally {
    if (server.process) await stopProcess(server.process);
    await run('ip', ['link', 'delete', 'outhost'], { allowFailure: true });
    await removeNetns(outsideNetns);
    await networking.cleanup();
  }
}

if (process.argv.includes(SCENARIO_FLAG)) {
  scenario().then(
    (result) => process.stdout.write(`RESULT ${JSON.stringify(result)}\n`),
    (error: unknown) => {
      process.stdout.write(`FAILED ${(error as Error).stack}\n`);
      process.exitCode = 1;
    },
  );
} else {
  test('forward policy drop scenario', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-net-drop-'));
    const hostNetns = path.join(root, 'host');
    try {
      await createNetns(hostNetns);
      const result = await run('nsenter', [`--net=${hostNetns}`, process.execPath, __filename, SCENARIO_FLAG], { allowFailure: true, timeoutMs: 60_000 });
      const line = result.stdout.split('\n').find((entry) => entry.startsWith('RESULT '));
      assert.ok(line, `scenario failed: ${result.stdout}${result.stderr}`);
      const outcome = JSON.parse(line.slice('RESULT '.length)) as ScenarioResult;
      assert.equal(outcome.policy, 'DROP');
      assert.equal(outcome.sameNetworkPing, true);
      assert.equal(outcome.otherNetworkPing, false);
      assert.equal(outcome.outsideReply, '10.197.0.1');
      assert.equal(outcome.publishedReply, 'published');
    } finally {
      await removeNetns(hostNetns);
      await fs.rm(root, { recursive: true, force: true });
    }
    // The real host keeps its own FORWARD policy.
    assert.doesNotMatch((await run('iptables', ['-w', '-S', 'FORWARD'])).stdout, /-P FORWARD DROP/);
  });
}

