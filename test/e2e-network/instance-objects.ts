// Snapshots of the kernel objects, mounts, listeners and processes that one
// berthd instance owns, for leak checks and restart tests. Other tests on the
// same host create links of their own at the same time, so link checks look
// only at names the test saw its own instance create.
import fs from 'node:fs/promises';
import path from 'node:path';
import { run } from '../../src/common/subprocess';
import { chainNames } from '../../src/network/firewall/chains';
import { request, type TestDaemon } from '../helpers/daemon';

export interface InstanceSnapshot {
  // Interface names from `ip -o link`, without the "@peer" suffix.
  links: Set<string>;
  // `iptables-save` lines that name one of the instance's chains, sorted.
  firewallLines: string[];
  // Mount points under the daemon's root.
  mounts: string[];
  // Local addresses of the resolver's UDP and TCP listeners, as "udp 10.1.2.1:53".
  resolverListeners: string[];
  // Entries of the instance's network namespace directory.
  namespaces: string[];
  // Processes whose command line contains the daemon's root, as "pid command".
  processes: string[];
}

export function firewallTag(instance: string): string {
  return chainNames(instance).forward.replace(/-FWD$/, '');
}

export async function linkNames(): Promise<Set<string>> {
  const output = (await run('ip', ['-o', 'link'])).stdout;
  const names = new Set<string>();
  for (const line of output.split('\n')) {
    const match = /^\d+: ([^:@]+)[@:]/.exec(line);
    if (match) names.add(match[1]);
  }
  return names;
}

export async function resolverPid(daemon: TestDaemon): Promise<number | null> {
  const text = await fs.readFile(path.join(daemon.root, 'run', 'network', 'dns', 'resolver.pid'), 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

async function listenersOf(pid: number | null): Promise<string[]> {
  if (!pid) return [];
  const found: string[] = [];
  for (const [protocol, flags] of [['udp', '-lunpH'], ['tcp', '-ltnpH']] as const) {
    const output = (await run('ss', [flags])).stdout;
    for (const line of output.split('\n')) {
      if (!line.includes(`pid=${pid},`)) continue;
      const columns = line.trim().split(/\s+/);
      found.push(`${protocol} ${columns[3]}`);
    }
  }
  return found.sort();
}

export async function snapshotInstance(daemon: TestDaemon): Promise<InstanceSnapshot> {
  const tag = firewallTag(daemon.instance);
  const rules = (await run('iptables-save', [])).stdout;
  const firewallLines = rules
    .split('\n')
    .filter((line) => line.includes(tag))
    .map((line) => line.replace(/\[\d+:\d+\]$/, ''))
    .sort();

  const mountinfo = await fs.readFile('/proc/self/mountinfo', 'utf8');
  const mounts = mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((mountPoint): mountPoint is string => Boolean(mountPoint) && mountPoint.startsWith(daemon.root + '/'))
    .sort();

  const namespaces = (await fs.readdir(path.join(daemon.root, 'run', 'network', 'netns')).catch(() => [] as string[])).sort();

  const processes: string[] = [];
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const commandLine = await fs.readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (commandLine.includes(daemon.root)) processes.push(`${entry} ${commandLine.replace(/\0/g, ' ').trim()}`);
  }

  return {
    links: await linkNames(),
    firewallLines,
    mounts,
    resolverListeners: await listenersOf(await resolverPid(daemon)),
    namespaces,
    processes: processes.sort(),
  };
}

// Host-side interface names of the instance's endpoints and its user bridges, from its network records.
export async function instanceInterfaces(daemon: TestDaemon): Promise<string[]> {
  const directory = path.join(daemon.root, 'data', 'network', 'networks');
  const names: string[] = [];
  for (const file of await fs.readdir(directory)) {
    const record = JSON.parse(await fs.readFile(path.join(directory, file), 'utf8')) as {
      bridgeName?: string;
      builtIn?: boolean;
      endpoints: Record<string, { hostInterface: string }>;
    };
    if (record.bridgeName && !record.builtIn) names.push(record.bridgeName);
    for (const endpoint of Object.values(record.endpoints)) names.push(endpoint.hostInterface);
  }
  return names;
}

// Calls the Engine API and fails with the response body unless the status is one of expected.
export async function api<T = unknown>(daemon: TestDaemon, method: string, requestPath: string, body?: unknown, expected = [200, 201, 204]): Promise<T> {
  const response = await request(daemon.socketPath, method, requestPath, body);
  if (!expected.includes(response.status)) {
    throw new Error(`${method} ${requestPath}: HTTP ${response.status} ${response.body.toString()}`);
  }
  return response.body.length > 0 && String(response.headers['content-type']).includes('json') ? response.json<T>() : (undefined as T);
}
