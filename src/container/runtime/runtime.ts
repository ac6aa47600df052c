// The low-level runtime the engine calls: mounts a container's root file
// system, writes its OCI bundle, runs it with runc under conmon, and reports
// what happened. The engine owns records and state transitions.
import fs from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { storePaths, type DaemonConfig } from '../../common/config';
import { ConflictError, NotFoundError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import type { ExecSpec, LogOptions, ProcessTable, StdioSession } from '../../engine/engine';
import type { ImageRecord, LowerLayers } from '../../image/types';
import type { ContainerRecord } from '../types';
import { AttachSession, connectAttachSocket } from './attach';
import { writeResizeMessage } from './control';
import { runtimePaths, writeBundle, type BundleOptions, type RuntimePaths } from './bundle';
import { controllerVersion, createCgroups, detectCgroupLayout, monitorCgroupDirectories, readOomKillCount, type CgroupLayout } from './cgroups';
import { ConmonProcess, moveMonitorLater, startFailure } from './conmon';
import { startExec } from './exec';
import { releaseThroughExecFifo } from './exec-fifo';
import { ExitWatcher, readExitFile } from './exits';
import { readLogFile } from './logs';
import { parseLogLimits, type LogLimits } from './log-limits';
import { LogKeeper } from './log-rotation';
import { cgroupsPathFor } from './oci-spec';
import { isMountPoint, mountOverlay, unmountOverlay } from './rootfs';
import { findExecutable, isContainerGone, Runc } from './runc';
import { topProcesses } from './top';
import { readCgroupSample, type CgroupSample } from './stats';
import type { OciResources } from './limits';

export type { RuntimePaths, BundleOptions };

export interface CollectedExit {
  exitCode: number;
  oomKilled: boolean;
  finishedAt: string;
}

// conmon prints its messages to stderr, and between its fork and the exec of
// runc that stderr is the container's or exec session's stderr pipe. Debug
// lines would end up in the process's output, so conmon logs errors only,
// whatever the daemon's level.
const CONMON_LOG_LEVEL = 'error';

export class ContainerRuntime {
  private readonly logger: Logger;
  private readonly stores: ReturnType<typeof storePaths>;
  private layout: CgroupLayout = detectCgroupLayout();
  private runtimeBinary = '';
  private runc!: Runc;
  private monitorCgroups: string[] = [];
  private readonly exitWatcher: ExitWatcher;
  private readonly logKeeper: LogKeeper;
  private readonly collecting = new Map<string, Promise<CollectedExit | null>>();
  // runc delete calls started by collectExit and not finished yet.
  private readonly pendingDeletes = new Map<string, Promise<void>>();
  // Directories of running exec sessions, for resizeExec.
  private readonly execDirs = new Map<string, string>();

  constructor(
    private readonly config: DaemonConfig,
    logger: Logger,
  ) {
    this.logger = (logger.bindings() as { subsystem?: string }).subsystem === 'runtime' ? logger : logger.child({ subsystem: 'runtime' });
    this.stores = storePaths(config);
    this.exitWatcher = new ExitWatcher(this.stores.exits, this.logger);
    this.logKeeper = new LogKeeper(this.logger);
  }

  async init(): Promise<void> {
    const directories = [this.stores.runtimeRoot, this.stores.conmonSockets, this.stores.exits, this.stores.containerRuns];
    await Promise.all(directories.map((directory) => fs.mkdir(directory, { recursive: true, mode: 0o700 })));

    const binary = this.config.runtimePath ?? findExecutable(this.config.runtime);
    if (!binary) throw new Error(`find OCI runtime ${this.config.runtime}: not found in PATH. Set runtimePath in the daemon config`);
    await fs.access(this.config.conmonPath, fsConstants.X_OK).catch((error: unknown) => {
      throw new Error(`find conmon at ${this.config.conmonPath}: ${(error as Error).message}`, { cause: error });
    });
    this.runtimeBinary = binary;
    this.runc = new Runc(binary, this.stores.runtimeRoot);

    this.layout = detectCgroupLayout();
    this.monitorCgroups = monitorCgroupDirectories(this.layout, path.posix.join('/', this.config.cgroupParent, 'monitors'));
    await createCgroups(this.monitorCgroups).catch((error: unknown) => {
      this.logger.warn({ cgroups: this.monitorCgroups, err: error }, 'creating the monitor cgroups failed, so conmon stays in berthd\'s cgroup');
      this.monitorCgroups = [];
    });
    this.logger.info({ runtime: binary, cgroupMode: this.layout.mode }, 'runtime ready');
  }

  cgroupVersion(): '1' | '2' {
    return controllerVersion(this.layout);
  }

  pathsFor(containerId: string): RuntimePaths {
    const { bundleDir, rootfsDir, upperDir, workDir, logPath } = runtimePaths(this.config, containerId);
    return { bundleDir, rootfsDir, upperDir, workDir, logPath };
  }

  async mountRootfs(containerId: string, lower: LowerLayers): Promise<string> {
    const paths = runtimePaths(this.config, containerId);
    await mountOverlay(lower, { target: paths.rootfsDir, upperDir: paths.upperDir, workDir: paths.workDir, emptyDir: paths.emptyLowerDir });
    return paths.rootfsDir;
  }

  async unmountRootfs(containerId: string): Promise<void> {
    await unmountOverlay(runtimePaths(this.config, containerId).rootfsDir);
  }

  // The record already contains the image's merged settings, so the image itself is not read.
  async writeBundle(record: ContainerRecord, _image: ImageRecord, options: BundleOptions = {}): Promise<void> {
    await writeBundle(this.config, record, this.cgroupVersion(), options);
  }

  private conmonArgs(record: ContainerRecord, paths: RuntimePaths): string[] {
    const args = [
      '--api-version', '1',
      '-c', record.id,
      '-u', record.id,
      '-n', record.name,
      '-r', this.runtimeBinary,
      ...this.runc.globalArgs().flatMap((arg) => ['--runtime-arg', arg]),
      '-b', paths.bundleDir,
      '-p', path.join(paths.bundleDir, 'pidfile'),
      '-P', path.join(paths.bundleDir, 'conmon.pid'),
      '-l', record.logDriver === 'none' ? 'none' : `k8s-file:${record.logPath}`,
      '--exit-dir', this.stores.exits,
      '--socket-dir-path', this.stores.conmonSockets,
      '--log-level', CONMON_LOG_LEVEL,
    ];
    // conmon replaces the log file at this size by itself, so the limit applies while berthd is down.
    const limits = logLimitsOf(record);
    if (record.logDriver !== 'none' && limits.maxSize !== null) args.push('--log-size-max', String(limits.maxSize));
    // With a TTY the terminal carries stdin too.
    if (record.spec.tty) args.push('-t');
    else if (record.spec.openStdin) args.push('-i');
    // Without StdinOnce, a client that detaches must not close the container's stdin.
    if (record.spec.openStdin && !record.spec.stdinOnce) args.push('--leave-stdin-open');
    return args;
  }

  // Runs conmon (which runs `runc create`), then beforeStart, then `runc start`.
  async start(record: ContainerRecord, beforeStart?: () => Promise<void>): Promise<{ pid: number }> {
    const id = record.id;
    const paths = this.pathsFor(id);
    await this.clearPreviousRun(id, paths);

    const conmon = await ConmonProcess.launch({
      conmonPath: this.config.conmonPath,
      args: this.conmonArgs(record, paths),
      cwd: paths.bundleDir,
      // The monitor moves into its cgroups after runc create, off the start's critical path.
      monitorCgroups: [],
      attachPipe: false,
      logger: this.logger,
      logIds: { container: id },
    });
    let pid: number;
    try {
      pid = await conmon.readPid(`create container ${id}`);
      void moveMonitorLater(this.monitorCgroups, path.join(paths.bundleDir, 'conmon.pid'), { logger: this.logger, logIds: { container: id } });
    } catch (error) {
      await this.abandonStart(id, paths);
      throw startFailure('OCI runtime create failed', error);
    } finally {
      conmon.release();
    }

    try {
      if (beforeStart) await beforeStart();
      await this.releaseContainer(id);
    } catch (error) {
      await this.abandonStart(id, paths);
      throw startFailure('OCI runtime start failed', error);
    }
    this.keepLogs(record);
    this.logger.debug({ container: id, pid, conmonPid: conmon.pid }, 'container process started');
    return { pid };
  }

  private async releaseContainer(id: string): Promise<void> {
    if (this.config.runtime === 'runc') {
      const released = await releaseThroughExecFifo(path.join(this.stores.runtimeRoot, id)).catch((error: unknown) => {
        this.logger.debug({ container: id, err: error }, 'starting through the exec FIFO failed, running runc start');
        return false;
      });
      if (released) return;
    }
    await this.runc.start(id);
  }

  // Removes leftovers of an earlier run that would make runc create fail or
  // make the new run look exited.
  private async clearPreviousRun(id: string, paths: RuntimePaths): Promise<void> {
    this.exitWatcher.forget(id);
    await Promise.all([
      this.pendingDeletes.get(id),
      fs.rm(path.join(this.stores.exits, id), { force: true }),
      fs.rm(path.join(paths.bundleDir, 'oom'), { force: true }),
    ]);
    if (this.runc.hasState(id)) {
      this.logger.info({ container: id }, 'deleting stale runc state before start');
      await this.runc.delete(id).catch((error: unknown) => this.logger.warn({ container: id, err: error }, 'deleting stale runc state failed'));
    }
  }

  private async abandonStart(id: string, paths: RuntimePaths): Promise<void> {
    const conmonPid = Number((await fs.readFile(path.join(paths.bundleDir, 'conmon.pid'), 'utf8').catch(() => '')).trim());
    if (this.runc.hasState(id)) {
      await this.runc.delete(id).catch((error: unknown) => this.logger.warn({ container: id, err: error }, 'deleting the container after a failed start failed'));
    }
    if (conmonPid > 0) {
      try {
        process.kill(conmonPid, 'SIGKILL');
      } catch {
        // conmon already exited, which is what it does after runc create fails.
      }
    }
  }

  async attach(containerId: string, options: { stdin: boolean }): Promise<StdioSession> {
    const paths = this.pathsFor(containerId);
    const fd = connectAttachSocket(path.join(this.stores.conmonSockets, containerId), paths.bundleDir, `container ${containerId}`);
    return new AttachSession(fd, options.stdin, this.logger, { container: containerId });
  }

  async resize(containerId: string, height: number, width: number): Promise<void> {
    await writeResizeMessage(path.join(this.pathsFor(containerId).bundleDir, 'ctl'), height, width, `container ${containerId}`);
  }

  async kill(containerId: string, signal: string | number): Promise<void> {
    if (!this.runc.hasState(containerId)) return;
    try {
      await this.runc.kill(containerId, signal);
    } catch (error) {
      if (isContainerGone(error)) return;
      throw error;
    }
  }

  async pause(containerId: string): Promise<void> {
    await this.runc.pause(containerId);
  }

  async resume(containerId: string): Promise<void> {
    await this.runc.resume(containerId);
  }

  // Reads the exit status conmon wrote and whether the OOM killer ran, then
  // deletes the runc container. Returns null while the container runs, or
  // when it left no exit file (a failed start, or a reboot).
  collectExit(containerId: string): Promise<CollectedExit | null> {
    const pending = this.collecting.get(containerId);
    if (pending) return pending;
    const collection = this.collectExitOnce(containerId).finally(() => this.collecting.delete(containerId));
    this.collecting.set(containerId, collection);
    return collection;
  }

  private async collectExitOnce(containerId: string): Promise<CollectedExit | null> {
    const exit = await readExitFile(this.stores.exits, containerId);
    if (!exit) {
      const state = await this.runc.state(containerId);
      if (state && state.status !== 'stopped' && state.status !== 'created') return null;
      if (state) await this.deleteRuncContainer(containerId);
      return null;
    }

    // The cgroup, and with it the OOM counter, goes away with runc delete.
    const bundleDir = this.pathsFor(containerId).bundleDir;
    const [oomKills, oomFile] = await Promise.all([
      readOomKillCount(this.layout, cgroupsPathFor(this.config, containerId)).catch((error: unknown) => {
        this.logger.warn({ container: containerId, err: error }, 'reading the OOM kill count failed');
        return null;
      }),
      fs.access(path.join(bundleDir, 'oom')).then(() => true, () => false),
    ]);
    // runc delete (a subprocess of about 10 ms) goes on while the engine records the exit and unmounts;
    // start and cleanup wait for it.
    this.deleteInBackground(containerId);
    this.logKeeper.stop(containerId);
    await fs.rm(path.join(this.stores.exits, containerId), { force: true });
    this.exitWatcher.forget(containerId);
    const result = { exitCode: exit.exitCode, oomKilled: (oomKills ?? 0) > 0 || oomFile, finishedAt: exit.finishedAt };
    this.logger.debug({ container: containerId, ...result }, 'collected container exit');
    return result;
  }

  private deleteInBackground(containerId: string): void {
    if (this.pendingDeletes.has(containerId)) return;
    const deletion = this.deleteRuncContainer(containerId).finally(() => this.pendingDeletes.delete(containerId));
    this.pendingDeletes.set(containerId, deletion);
  }

  // Never rejects: a failure is logged.
  private async deleteRuncContainer(containerId: string): Promise<void> {
    const pending = this.pendingDeletes.get(containerId);
    if (pending) await pending;
    if (!this.runc.hasState(containerId)) return;
    try {
      await this.runc.delete(containerId);
    } catch (error) {
      if (!isContainerGone(error)) this.logger.warn({ container: containerId, err: error }, 'runc delete failed');
    }
  }

  watchExits(onExit: (containerId: string) => void): void {
    this.exitWatcher.start(onExit);
  }

  // Stops watching for exits, for daemon shutdown. Containers keep running under conmon.
  close(): void {
    this.exitWatcher.stop();
    this.logKeeper.stopAll();
  }

  async isRunning(containerId: string): Promise<boolean> {
    const state = await this.runc.state(containerId);
    return state !== null && (state.status === 'running' || state.status === 'paused' || state.status === 'pausing');
  }

  readLogs(record: ContainerRecord, options: LogOptions, isRunning: () => boolean, signal?: AbortSignal): Readable {
    return readLogFile(record.logPath, options, isRunning, signal, logLimitsOf(record).maxFile);
  }

  // Starts keeping the older log files of a running container (max-file above 1). Recovery calls it
  // for containers that kept running while berthd was down.
  keepLogs(record: ContainerRecord): void {
    if (record.logDriver === 'none') return;
    this.logKeeper.start(record.id, record.logPath, logLimitsOf(record).maxFile);
  }

  // Reads the container's resource usage from its cgroups and network namespace; pid is its init process.
  async sampleStats(containerId: string, pid: number): Promise<CgroupSample> {
    return readCgroupSample({ layout: this.layout, cgroupPath: cgroupsPathFor(this.config, containerId), pid });
  }

  // Changes the cgroup limits of a running container through runc update.
  async updateResources(containerId: string, resources: Omit<OciResources, 'devices'>): Promise<void> {
    await this.runc.update(containerId, resources);
  }

  async top(containerId: string, psArgs: string): Promise<ProcessTable> {
    let pids: number[];
    try {
      pids = await this.runc.processIds(containerId);
    } catch (error) {
      if (isContainerGone(error)) throw new ConflictError(`container ${containerId} is not running`, { cause: error });
      throw error;
    }
    return topProcesses(pids, psArgs);
  }

  async exec(record: ContainerRecord, execId: string, spec: ExecSpec, consoleSize: [number, number] | null, detach: boolean, onExit: (exitCode: number) => void): Promise<{ pid: number; session: StdioSession | null }> {
    const paths = runtimePaths(this.config, record.id);
    const execDir = path.join(paths.execRoot, execId);
    this.execDirs.set(execId, execDir);
    const finish = (exitCode: number) => {
      this.execDirs.delete(execId);
      onExit(exitCode);
    };
    const environment = {
      conmonPath: this.config.conmonPath,
      runtimePath: this.runtimeBinary,
      runtimeGlobalArgs: this.runc.globalArgs(),
      socketsDir: this.stores.conmonSockets,
      monitorCgroups: this.monitorCgroups,
      conmonLogLevel: CONMON_LOG_LEVEL,
      logger: this.logger,
    };
    const started = await startExec(environment, record, execId, spec, consoleSize, detach, { bundleDir: paths.bundleDir, rootfsDir: paths.rootfsDir, execDir }, finish);
    return { pid: started.pid, session: started.session };
  }

  async resizeExec(execId: string, height: number, width: number): Promise<void> {
    const execDir = this.execDirs.get(execId);
    if (!execDir) throw new NotFoundError(`No such exec instance: ${execId}`);
    await writeResizeMessage(path.join(execDir, 'ctl'), height, width, `exec ${execId}`);
  }

  async cleanup(containerId: string): Promise<void> {
    const paths = runtimePaths(this.config, containerId);
    await this.deleteRuncContainer(containerId);
    await unmountOverlay(paths.rootfsDir);
    await Promise.all([
      fs.rm(path.join(this.stores.exits, containerId), { force: true }),
      fs.rm(path.join(this.stores.conmonSockets, containerId), { force: true }),
    ]);
    this.exitWatcher.forget(containerId);
    // Never delete through a live mount: that would delete the container's files.
    if (await isMountPoint(paths.rootfsDir)) {
      this.logger.error({ container: containerId, rootfs: paths.rootfsDir }, 'root file system is still mounted, leaving the run directory in place');
      return;
    }
    await fs.rm(paths.bundleDir, { recursive: true, force: true });
  }
}

// Records created before log limits existed, or with options checked at create, parse without error.
function logLimitsOf(record: ContainerRecord): LogLimits {
  try {
    return parseLogLimits(record.spec.logConfig?.config ?? {}, record.spec.logConfig?.type);
  } catch {
    // create rejects invalid options, so only a hand-edited record gets here. It logs without limits.
    return { maxSize: null, maxFile: 1 };
  }
}
