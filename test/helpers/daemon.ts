// Starts a real berthd for a test: its own instance name and temporary root,
// so tests never touch /run/berth or another test's objects. stop() ends the
// daemon and removes everything the instance created: containers (through
// runc, by the instance's own runc root), mounts, cgroups and directories.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import { NetworkService } from '../../src/network/service';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const BERTHD = path.join(REPO_ROOT, 'dist/src/bin/berthd.js');
export const BERTH = path.join(REPO_ROOT, 'dist/src/bin/berth.js');
export const BUSYBOX_ARCHIVE = path.join(REPO_ROOT, 'build/images/busybox.tar');
export const DOCKER = '/usr/local/bin/docker';

export interface TestDaemon {
  instance: string;
  root: string;
  socketPath: string;
  logFile: string;
  // Environment for the berth CLI and the docker CLI pointing at this daemon.
  env: NodeJS.ProcessEnv;
  pid(): number;
  // Stops berthd with SIGTERM. Containers keep running.
  stopDaemon(): Promise<void>;
  // Kills berthd and its whole process group with SIGKILL.
  killDaemon(): Promise<void>;
  // Starts berthd again on the same root, stopping it first with SIGTERM if it still runs.
  restartDaemon(): Promise<void>;
  // Stops the daemon and removes every object of the instance.
  stop(): Promise<void>;
}

export interface StartOptions {
  loadBusybox?: boolean;
  extraEnv?: NodeJS.ProcessEnv;
}

export async function startDaemon(options: StartOptions = {}): Promise<TestDaemon> {
  const instance = `bt-${randomBytes(4).toString('hex')}`;
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-test-'));
  const socketPath = path.join(root, 'run', `${instance}.sock`);
  const logFile = path.join(root, 'berthd.log');
  const daemonEnv: NodeJS.ProcessEnv = {
    ...process.env,
    BERTH_INSTANCE: instance,
    BERTH_ROOT: root,
    BERTH_SOCKET: socketPath,
    BERTH_CONFIG: path.join(root, 'berthd.json'),
    BERTH_LOG_LEVEL: process.env.BERTH_TEST_LOG_LEVEL ?? 'debug',
    // Containers and the embedded resolver send lookups to loopback, where nothing answers, so
    // that no test lookup reaches the host's resolver. Tests that resolve names run their own server.
    BERTH_DNS: '127.0.0.1',
    // A pool of the test's own, so that parallel instances and the host's networks never overlap.
    BERTH_DEFAULT_ADDRESS_POOLS: `10.${200 + randomInt(50)}.0.0/16:24`,
    ...options.extraEnv,
  };
  let child: ChildProcess | null = null;

  const launch = async () => {
    const log = fs.openSync(logFile, 'a');
    child = spawn(process.execPath, [BERTHD], { env: daemonEnv, stdio: ['ignore', log, log], detached: true });
    fs.closeSync(log);
    await waitForPing(socketPath, child, logFile);
  };
  await launch();

  const daemon: TestDaemon = {
    instance,
    root,
    socketPath,
    logFile,
    env: {
      ...process.env,
      BERTH_HOST: `unix://${socketPath}`,
      DOCKER_HOST: `unix://${socketPath}`,
      BERTH_NO_AUTOSTART: '1',
      DOCKER_CONFIG: path.join(root, 'docker-config'),
      BERTH_INSTANCE: instance,
      BERTH_ROOT: root,
    },
    pid: () => child?.pid ?? 0,
    stopDaemon: async () => {
      if (child && isRunning(child)) {
        const exited = new Promise((resolve) => child!.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    },
    killDaemon: async () => {
      if (child && isRunning(child) && child.pid) {
        const exited = new Promise((resolve) => child!.once('exit', resolve));
        process.kill(-child.pid, 'SIGKILL');
        await exited;
      }
    },
    restartDaemon: async () => {
      await daemon.stopDaemon();
      await launch();
    },
    stop: async () => {
      await daemon.stopDaemon().catch(() => undefined);
      await removeInstance(instance, root);
    },
  };

  if (options.loadBusybox ?? true) await loadArchive(socketPath, BUSYBOX_ARCHIVE);
  return daemon;
}

// A child killed by a signal keeps exitCode null, so both fields tell whether it still runs.
function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

async function waitForPing(socketPath: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const response = await request(socketPath, 'GET', '/_ping');
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const log = await fsp.readFile(logFile, 'utf8').catch(() => '');
  throw new Error(`berthd did not answer /_ping on ${socketPath}; its log:\n${log.slice(-4000)}`);
}

export interface ApiResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json<T = unknown>(): T;
}

export function request(socketPath: string, method: string, requestPath: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const req = http.request(
      {
        socketPath,
        method,
        path: requestPath,
        headers: { ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const data = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data, json: <T>() => JSON.parse(data.toString()) as T });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export async function loadArchive(socketPath: string, archive: string): Promise<void> {
  const response = await request(socketPath, 'POST', '/images/load?quiet=1', fs.readFileSync(archive), { 'Content-Type': 'application/x-tar' });
  // A failed load still returns 200: the error comes as a JSON message in the body.
  if (response.status !== 200 || /"error(Detail)?"/.test(response.body.toString())) {
    throw new Error(`load ${archive}: HTTP ${response.status} ${response.body.toString()}`);
  }
}

// Removes what an instance created on the host, whatever state a failed test left it in.
export async function removeInstance(instance: string, root: string): Promise<void> {
  await removeInstanceObjects(instance, path.join(root, 'data'), path.join(root, 'run'));
  await fsp.rm(root, { recursive: true, force: true });
}

// Removes the containers, monitors, networking, mounts, cgroups and directories of an instance.
export async function removeInstanceObjects(instance: string, dataRoot: string, runRoot: string): Promise<void> {
  for (const runtimeRoot of [path.join(runRoot, 'runc'), path.join(runRoot, 'crun')]) {
    if (!fs.existsSync(runtimeRoot)) continue;
    const ids = fs.readdirSync(runtimeRoot).filter((name) => /^[0-9a-f]{64}$/.test(name));
    for (const id of ids) {
      await runQuiet('runc', ['--root', runtimeRoot, 'kill', id, 'KILL']);
      await runQuiet('runc', ['--root', runtimeRoot, 'delete', '--force', id]);
    }
  }
  await killConmons(runRoot);
  await removeNetworking(instance, dataRoot, runRoot);

  const mounts = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((mountPoint): mountPoint is string => Boolean(mountPoint) && (mountPoint.startsWith(runRoot + '/') || mountPoint.startsWith(dataRoot + '/')))
    .sort((a, b) => b.length - a.length);
  for (const mountPoint of mounts) await runQuiet('umount', ['-l', mountPoint]);

  for (const controller of fs.existsSync('/sys/fs/cgroup') ? fs.readdirSync('/sys/fs/cgroup') : []) {
    removeCgroupTree(path.join('/sys/fs/cgroup', controller, instance));
  }
  await fsp.rm(runRoot, { recursive: true, force: true });
  await fsp.rm(dataRoot, { recursive: true, force: true });
}

// conmon processes started for this instance carry its run root in their command line.
async function killConmons(runRoot: string): Promise<void> {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline = '';
    try {
      cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmdline.startsWith('/usr/bin/conmon\0') && cmdline.includes(runRoot + '/')) {
      try {
        process.kill(Number(entry), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
}

// Removes the instance's bridges, veths, namespaces, firewall chains and resolver process.
async function removeNetworking(instance: string, dataRoot: string, runRoot: string): Promise<void> {
  const stateRoot = path.join(dataRoot, 'network');
  if (!fs.existsSync(stateRoot)) return;
  const service = new NetworkService({ instance, stateRoot, runRoot: path.join(runRoot, 'network'), dnsUpstreams: [] });
  try {
    await service.init();
    await service.teardown();
  } catch (error) {
    process.stderr.write(`removing networking of test instance ${instance} failed: ${(error as Error).message}\n`);
  }
}

function removeCgroupTree(directory: string): void {
  if (!fs.existsSync(directory)) return;
  for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
    if (entry.isDirectory()) removeCgroupTree(path.join(directory, entry.name));
  }
  try {
    fs.rmdirSync(directory);
  } catch {
    // Still populated because the processes inside were killed above. The kernel frees it shortly.
  }
}

function runQuiet(command: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'ignore' });
    child.on('error', () => resolve(-1));
    child.on('close', (code) => resolve(code ?? -1));
  });
}
