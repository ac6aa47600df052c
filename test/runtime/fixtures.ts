// Shared setup for the runtime tests. Each fixture has a temporary daemon
// root with its own instance name and cgroup parent, and a busybox root file
// system built from the host's static busybox. Records get Docker's
// defaults, and the cleanup stops whatever a test started.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { defaultConfig, storePaths, type DaemonConfig } from '../../src/common/config';
import { newId } from '../../src/common/ids';
import type { LogEntry } from '../../src/engine/engine';
import type { LowerLayers } from '../../src/image/types';
import type { ContainerRecord, ContainerSpec } from '../../src/container/types';
import { ContainerRuntime } from '../../src/container/runtime';
import { runtimePaths } from '../../src/container/runtime/bundle';
import { unmountOverlay } from '../../src/container/runtime/rootfs';
import { defaultContainerSpec } from '../../src/container/spec-defaults';
import type { Readable } from 'node:stream';

export const BUSYBOX = '/bin/busybox';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'daemon:x:1:1:daemon:/usr/sbin:/bin/false',
  'bin:x:2:2:bin:/bin:/bin/false',
  'www-data:x:33:33:www-data:/var/www:/bin/false',
  'operator:x:37:37:Operator:/var:/bin/false',
  'nobody:x:65534:65534:nobody:/home:/bin/false',
].join('\n') + '\n';

const GROUP = [
  'root:x:0:',
  'daemon:x:1:',
  'bin:x:2:',
  'wheel:x:10:root',
  'www-data:x:33:nobody',
  'users:x:100:',
  'nogroup:x:65534:',
].join('\n') + '\n';

// Builds a busybox root file system like the busybox image's: the static
// binary, a link per applet, passwd and group files and the usual directories.
export function buildBusyboxRootfs(directory: string): void {
  for (const sub of ['bin', 'etc', 'tmp', 'root', 'home', 'var/www', 'proc', 'sys', 'dev']) {
    fs.mkdirSync(path.join(directory, sub), { recursive: true });
  }
  fs.chmodSync(path.join(directory, 'tmp'), 0o1777);
  fs.copyFileSync(BUSYBOX, path.join(directory, 'bin/busybox'));
  fs.chmodSync(path.join(directory, 'bin/busybox'), 0o755);
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter((name) => name && name !== 'busybox');
  for (const applet of applets) fs.symlinkSync('busybox', path.join(directory, 'bin', applet));
  fs.writeFileSync(path.join(directory, 'etc/passwd'), PASSWD);
  fs.writeFileSync(path.join(directory, 'etc/group'), GROUP);
}

export function silentLogger() {
  return pino({ level: process.env.BERTH_TEST_LOG_LEVEL ?? 'silent' }).child({ subsystem: 'runtime' });
}

export interface RuntimeFixture {
  root: string;
  config: DaemonConfig;
  runtime: ContainerRuntime;
  lower: LowerLayers;
  started: Set<string>;
  // Keeps the event loop alive while a test waits on unreferenced conmon pipes, as berthd's server socket does.
  keepAlive: NodeJS.Timeout;
}

export async function createFixture(): Promise<RuntimeFixture> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'brt-'));
  const instance = `rt-${randomBytes(4).toString('hex')}`;
  const config = defaultConfig(instance, root);
  const layerDir = path.join(root, 'layers', 'l1');
  buildBusyboxRootfs(layerDir);
  const runtime = new ContainerRuntime(config, silentLogger());
  await runtime.init();
  const lower: LowerLayers = { cwd: path.join(root, 'layers'), lowerDirs: ['l1'], absoluteLowerDirs: [layerDir] };
  return { root, config, runtime, lower, started: new Set(), keepAlive: setInterval(() => undefined, 60_000) };
}

export function makeRecord(fixture: RuntimeFixture, command: string[], overrides: Partial<ContainerSpec> = {}, record: Partial<ContainerRecord> = {}): ContainerRecord {
  const id = newId();
  const containerDir = path.join(storePaths(fixture.config).containers, id);
  fs.mkdirSync(containerDir, { recursive: true });
  const spec: ContainerSpec = {
    ...defaultContainerSpec('busybox'),
    cmd: command,
    attachStdout: true,
    attachStderr: true,
    networkMode: 'none',
    logConfig: { type: 'json-file', config: {} },
    ...overrides,
  };
  return {
    id, name: `test-${id.slice(0, 8)}`, created: new Date().toISOString(), imageId: 'sha256:test', spec,
    path: command[0], args: command.slice(1),
    effectiveEnv: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...spec.env],
    effectiveWorkingDir: spec.workingDir, effectiveUser: spec.user, effectiveStopSignal: 'SIGTERM',
    state: { status: 'created', pid: 0, exitCode: 0, error: '', oomKilled: false, startedAt: '', finishedAt: '' },
    restartCount: 0, manuallyStopped: false, hasBeenStarted: false, mounts: [],
    logPath: path.join(containerDir, `${id}.log`), hostnamePath: path.join(containerDir, 'hostname'),
    hostsPath: path.join(containerDir, 'hosts'), resolvConfPath: path.join(containerDir, 'resolv.conf'),
    logDriver: 'json-file', runtime: 'runc', driver: 'overlay2',
    ...record,
  };
}

const IMAGE = { id: 'sha256:test', repoTags: [], repoDigests: [], config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers' as const, diff_ids: [] } }, size: 0, loadedAt: '' };

// Mounts, writes the bundle and starts. destroyFixture cleans the container up.
export async function startContainer(fixture: RuntimeFixture, record: ContainerRecord, beforeStart?: () => Promise<void>): Promise<number> {
  fixture.started.add(record.id);
  await fixture.runtime.mountRootfs(record.id, fixture.lower);
  await fixture.runtime.writeBundle(record, IMAGE);
  const { pid } = await fixture.runtime.start(record, beforeStart);
  return pid;
}

// Resolves once conmon has written the container's exit file.
export async function waitForExitFile(fixture: RuntimeFixture, id: string, timeoutMs = 20_000): Promise<void> {
  const file = path.join(storePaths(fixture.config).exits, id);
  const deadline = Date.now() + timeoutMs;
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`container ${id} wrote no exit file within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function runToExit(fixture: RuntimeFixture, record: ContainerRecord) {
  await startContainer(fixture, record);
  await waitForExitFile(fixture, record.id);
  const exit = await fixture.runtime.collectExit(record.id);
  if (!exit) throw new Error(`container ${record.id}: no exit collected`);
  return exit;
}

export async function collectLogs(stream: Readable): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  for await (const entry of stream) entries.push(entry as LogEntry);
  return entries;
}

export function logText(entries: LogEntry[], stream?: 'stdout' | 'stderr'): string {
  return Buffer.concat(entries.filter((entry) => !stream || entry.stream === stream).map((entry) => entry.data)).toString();
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readPid(file: string): number {
  try {
    return Number(fs.readFileSync(file, 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

// Stops every container and monitor the test started, unmounts, removes the
// test's cgroups and the temporary root. Never throws.
export async function destroyFixture(fixture: RuntimeFixture): Promise<void> {
  clearInterval(fixture.keepAlive);
  const stores = storePaths(fixture.config);
  const runc = (args: string[]) => {
    try {
      execFileSync('runc', [`--root=${stores.runtimeRoot}`, ...args], { stdio: 'ignore' });
    } catch {
      // The container may be gone already.
    }
  };
  const monitors: number[] = [];
  for (const id of fixture.started) {
    const paths = runtimePaths(fixture.config, id);
    monitors.push(readPid(path.join(paths.bundleDir, 'conmon.pid')));
    for (const execDir of fs.existsSync(paths.execRoot) ? fs.readdirSync(paths.execRoot) : []) {
      monitors.push(readPid(path.join(paths.execRoot, execDir, 'conmon.pid')));
    }
    runc(['kill', id, 'KILL']);
    runc(['delete', '--force', id]);
    await unmountOverlay(paths.rootfsDir).catch(() => undefined);
  }
  const deadline = Date.now() + 5000;
  for (const pid of monitors.filter((candidate) => candidate > 0)) {
    while (processAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    if (processAlive(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Exited meanwhile.
      }
    }
  }
  removeCgroupTree(fixture.config.cgroupParent);
  // Unmount anything left under the root, deepest first, so that removal never descends into a mount.
  const leftovers = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((line) => line.split(' ')[4]).filter((target) => target?.startsWith(`${fixture.root}/`));
  for (const target of leftovers.sort((a, b) => b.length - a.length)) await unmountOverlay(target).catch(() => undefined);
  fs.rmSync(fixture.root, { recursive: true, force: true });
}

function removeCgroupTree(cgroupParent: string): void {
  const relative = cgroupParent.replace(/^\/+/, '');
  for (const hierarchy of fs.readdirSync('/sys/fs/cgroup')) {
    const top = path.join('/sys/fs/cgroup', hierarchy, relative);
    if (!fs.existsSync(top)) continue;
    removeCgroupDirectory(top);
  }
}

function removeCgroupDirectory(directory: string): void {
  for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
    if (entry.isDirectory()) removeCgroupDirectory(path.join(directory, entry.name));
  }
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      fs.rmdirSync(directory);
      return;
    } catch {
      execFileSync('sleep', ['0.02']);
    }
  }
}
