// Shared setup of the network integration tests: a NetworkService in a
// temporary root with a unique instance name, commands inside sandboxes, and
// a leak check that lists kernel objects named after the instance.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { configureLogger } from '../../src/common/logger';
import { run } from '../../src/common/subprocess';
import { readSysctl, writeSysctl } from '../../src/network/bridge/iproute';
import { NetworkService } from '../../src/network/service';

export interface TestNetworking {
  instance: string;
  root: string;
  service: NetworkService;
  // Bridges created by the test, for the leak check.
  bridges: Set<string>;
  cleanup(): Promise<void>;
}

// Keeps test output readable; BERTH_TEST_LOG_LEVEL=debug shows the module's logs.
configureLogger((process.env.BERTH_TEST_LOG_LEVEL as 'debug' | undefined) ?? 'warn');

export async function startNetworking(dnsUpstreams: string[] = []): Promise<TestNetworking> {
  const instance = `nt${randomBytes(3).toString('hex')}`;
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-net-test-'));
  const forwarding = await readSysctl('net.ipv4.ip_forward');
  const service = new NetworkService({
    instance,
    stateRoot: path.join(root, 'state'),
    runRoot: path.join(root, 'run'),
    dnsUpstreams,
  });
  const bridges = new Set<string>();
  const networking: TestNetworking = {
    instance,
    root,
    service,
    bridges,
    async cleanup() {
      for (const network of service.list()) if (network.bridgeName) bridges.add(network.bridgeName);
      await service.teardown();
      await fs.rm(root, { recursive: true, force: true });
      // The bridge driver turns forwarding on, as Docker does; the test leaves the host as it found it.
      await writeSysctl('net.ipv4.ip_forward', forwarding);
    },
  };
  await service.init();
  return networking;
}

// Runs a command inside a sandbox's network namespace.
export async function inSandbox(netnsPath: string, args: string[], timeoutMs = 10_000) {
  return run('nsenter', [`--net=${netnsPath}`, ...args], { allowFailure: true, timeoutMs });
}

export async function canPing(netnsPath: string, address: string): Promise<boolean> {
  const result = await inSandbox(netnsPath, ['busybox', 'ping', '-c', '1', '-W', '1', address]);
  return result.exitCode === 0;
}

// Starts a long-running Node.js program inside a namespace; the caller kills it by its PID.
export function startInNamespace(netnsPath: string, script: string): ChildProcess {
  return spawn('nsenter', [`--net=${netnsPath}`, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
}

// Resolves when the child prints a line containing marker.
export function waitForOutput(child: ChildProcess, marker: string, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`no "${marker}" from process ${child.pid} within ${timeoutMs} ms; output: ${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(marker)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  });
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

// Lists objects that carry the instance's names and are still present on the host.
export async function leftovers(networking: TestNetworking): Promise<string[]> {
  const found: string[] = [];
  const links = (await run('ip', ['-o', 'link'])).stdout;
  for (const bridge of networking.bridges) if (links.includes(` ${bridge}:`)) found.push(`link ${bridge}`);
  const rules = (await run('iptables-save', [])).stdout;
  const tag = networking.service.chainNames.forward.replace(/-FWD$/, '');
  for (const line of rules.split('\n')) if (line.includes(tag)) found.push(`iptables ${line}`);
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const commandLine = await fs.readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (commandLine.includes(networking.root)) found.push(`process ${entry} ${commandLine.replace(/\0/g, ' ')}`);
  }
  const mounts = await fs.readFile('/proc/self/mountinfo', 'utf8');
  for (const line of mounts.split('\n')) if (line.includes(networking.root)) found.push(`mount ${line}`);
  return found;
}

export function uniqueName(prefix: string): string {
  return `${prefix}${randomBytes(3).toString('hex')}`;
}

export function containerId(): string {
  return randomBytes(32).toString('hex');
}
