// Fixtures of the network benchmark: a dockerd of the benchmark's own (data
// root, exec root and socket under a temporary directory, stopped by its PID),
// a bare veth pair between two namespaces, and iperf3 runs.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DOCKER } from '../test/helpers/daemon';

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

// Runs a command and returns its stdout. Throws with stderr when it fails.
export function check(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 120_000): string {
  const result = spawnSync(command, args, { env, encoding: 'utf8', timeout: timeoutMs });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal}): ${result.stderr || result.error?.message}`);
  }
  return result.stdout;
}

// Receiver throughput of one iperf3 -J run, in Gbit/s.
export function iperf3Gbits(json: string): number {
  const report = JSON.parse(json) as { end?: { sum_received?: { bits_per_second: number } }; error?: string };
  if (!report.end?.sum_received) throw new Error(`iperf3 reported no result: ${report.error ?? json.slice(0, 300)}`);
  return report.end.sum_received.bits_per_second / 1e9;
}

export interface Dockerd {
  socketPath: string;
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

// Starts Debian's dockerd on its own roots and socket. Docker's iptables rules
// and default bridge are off (--iptables=false --bridge=none), so that stopping
// it leaves no chains behind on a host where other tests run; see docs/performance.md
// for what that changes in the measured paths.
export async function startDockerd(directory: string): Promise<Dockerd> {
  fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
  const socketPath = path.join(directory, 'docker.sock');
  const log = fs.openSync(path.join(directory, 'dockerd.log'), 'a');
  const child: ChildProcess = spawn(
    'dockerd',
    [
      '--data-root', path.join(directory, 'data'),
      '--exec-root', path.join(directory, 'exec'),
      '--pidfile', path.join(directory, 'dockerd.pid'),
      '-H', `unix://${socketPath}`,
      '--iptables=false',
      '--ip-masq=false',
      '--bridge=none',
    ],
    { stdio: ['ignore', log, log] },
  );
  fs.closeSync(log);
  const env = { ...process.env, DOCKER_HOST: `unix://${socketPath}`, DOCKER_CONFIG: path.join(directory, 'docker-config') };

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + 60_000;
  while (spawnSync(DOCKER, ['version'], { env, stdio: 'ignore' }).status !== 0) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      const output = fs.readFileSync(path.join(directory, 'dockerd.log'), 'utf8');
      throw new Error(`dockerd did not respond on ${socketPath}; its log:\n${output.slice(-3000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { socketPath, env, stop };
}

export interface BarePair {
  serverAddress: string;
  // Runs iperf3 -c in the client namespace and returns Gbit/s.
  measure(seconds: number): number;
  remove(): void;
}

// Two namespaces joined by one veth pair, or with throughBridge by two veth pairs
// on a Linux bridge in the host namespace (the topology of two containers on a
// bridge network, without a container runtime). Addresses come from the
// benchmarking range 198.18.0.0/15 (RFC 2544). An iperf3 server runs in the first namespace.
export async function startBarePair(tag: string, throughBridge: boolean): Promise<BarePair> {
  const kind = throughBridge ? 'b' : 'p';
  const serverNs = `berth-bench-${kind}s-${tag}`;
  const clientNs = `berth-bench-${kind}c-${tag}`;
  const bridge = `bbr${tag}`.slice(0, 15);
  const subnet = throughBridge ? '198.18.1' : '198.18.0';
  const serverAddress = `${subnet}.1`;
  let server: ChildProcess | null = null;

  const remove = () => {
    if (server?.pid && server.exitCode === null) server.kill('SIGKILL');
    // Deleting a namespace deletes the veth ends inside it, and with them the pairs.
    for (const namespace of [serverNs, clientNs]) spawnSync('ip', ['netns', 'delete', namespace], { stdio: 'ignore' });
    if (throughBridge) spawnSync('ip', ['link', 'delete', bridge], { stdio: 'ignore' });
  };

  try {
    check('ip', ['netns', 'add', serverNs]);
    check('ip', ['netns', 'add', clientNs]);
    if (throughBridge) {
      check('ip', ['link', 'add', bridge, 'type', 'bridge']);
      check('ip', ['link', 'set', 'dev', bridge, 'up']);
      for (const [namespace, hostEnd] of [[serverNs, `bvs${tag}`], [clientNs, `bvc${tag}`]]) {
        check('ip', ['link', 'add', hostEnd.slice(0, 15), 'master', bridge, 'up', 'type', 'veth', 'peer', 'name', 'bench0', 'netns', namespace]);
      }
    } else {
      check('ip', ['link', 'add', 'bench0', 'netns', serverNs, 'type', 'veth', 'peer', 'name', 'bench0', 'netns', clientNs]);
    }
    check('ip', ['-n', serverNs, 'address', 'add', `${serverAddress}/24`, 'dev', 'bench0']);
    check('ip', ['-n', clientNs, 'address', 'add', `${subnet}.2/24`, 'dev', 'bench0']);
    for (const namespace of [serverNs, clientNs]) {
      check('ip', ['-n', namespace, 'link', 'set', 'dev', 'bench0', 'up']);
      check('ip', ['-n', namespace, 'link', 'set', 'dev', 'lo', 'up']);
    }
    // `ip netns exec` execs iperf3 in place, so the child's PID is the server's.
    server = spawn('ip', ['netns', 'exec', serverNs, 'iperf3', '-s', '-B', serverAddress], { stdio: 'ignore' });
    await new Promise((resolve) => setTimeout(resolve, 500));
  } catch (error) {
    remove();
    throw error;
  }

  return {
    serverAddress,
    measure: (seconds) => iperf3Gbits(check('ip', ['netns', 'exec', clientNs, 'iperf3', '-c', serverAddress, '-t', String(seconds), '-J'])),
    remove,
  };
}
