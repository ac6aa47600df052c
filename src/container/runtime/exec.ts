// Exec sessions: conmon runs `runc exec` for a process spec derived from the
// container's own (environment, capabilities, rlimits, no-new-privileges),
// with the user, directory, environment and TTY of the request. Each
// session has a directory for conmon's attach socket, control FIFOs and exit
// file. With attach, conmon waits until the client is connected before it
// starts the process, so no output is lost.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../common/logger';
import type { ExecSpec, StdioSession } from '../../engine/engine';
import type { ContainerRecord } from '../types';
import { AttachSession, connectAttachSocket } from './attach';
import { daemonBoundingSet, ALL_CAPABILITIES } from './capabilities';
import { ConmonError, ConmonProcess } from './conmon';
import { containerEnvironment, type OciProcess, type OciSpec } from './oci-spec';
import { resolveUser } from './user';

export interface ExecEnvironment {
  conmonPath: string;
  runtimePath: string;
  runtimeGlobalArgs: string[];
  socketsDir: string;
  monitorCgroups: string[];
  conmonLogLevel: string;
  logger: Logger;
}

export interface ExecPaths {
  bundleDir: string;
  rootfsDir: string;
  execDir: string;
}

// Docker's exit codes when the command cannot run: 127 not found, 126 not executable.
export function commandFailureExitCode(message: string): number {
  if (/executable file not found|no such file or directory/i.test(message)) return 127;
  return 126;
}

async function execProcess(record: ContainerRecord, spec: ExecSpec, consoleSize: [number, number] | null, paths: ExecPaths): Promise<OciProcess> {
  const containerSpec = JSON.parse(await fs.readFile(path.join(paths.bundleDir, 'config.json'), 'utf8')) as OciSpec;
  const template = containerSpec.process;

  let user = template.user;
  if (spec.user) {
    const resolved = await resolveUser(paths.rootfsDir, spec.user, record.spec.groupAdd);
    user = { uid: resolved.uid, gid: resolved.gid, additionalGids: resolved.additionalGids };
  }
  const capabilities = spec.privileged ? ALL_CAPABILITIES.filter((name) => daemonBoundingSet().has(name)) : template.capabilities.bounding;
  const base = spec.tty && !template.env.some((entry) => entry.startsWith('TERM=')) ? [...template.env, 'TERM=xterm'] : template.env;

  const process: OciProcess = {
    terminal: spec.tty,
    user,
    args: spec.cmd,
    env: containerEnvironment(base, spec.env),
    cwd: spec.workingDir || template.cwd,
    capabilities: { bounding: capabilities, effective: capabilities, permitted: capabilities },
    rlimits: template.rlimits,
    noNewPrivileges: template.noNewPrivileges,
  };
  if (spec.tty && consoleSize) process.consoleSize = { height: consoleSize[0], width: consoleSize[1] };
  return process;
}

export interface StartedExec {
  pid: number;
  session: StdioSession | null;
  conmon: ConmonProcess;
}

export async function startExec(
  environment: ExecEnvironment,
  record: ContainerRecord,
  execId: string,
  spec: ExecSpec,
  consoleSize: [number, number] | null,
  detach: boolean,
  paths: ExecPaths,
  onExit: (exitCode: number) => void,
): Promise<StartedExec> {
  const logIds = { container: record.id, exec: execId };
  const { logger } = environment;
  await fs.mkdir(paths.execDir, { recursive: true, mode: 0o700 });
  const processFile = path.join(paths.execDir, 'process.json');
  await fs.writeFile(processFile, JSON.stringify(await execProcess(record, spec, consoleSize, paths)), { mode: 0o600 });

  const attach = !detach;
  const stdin = attach && spec.attachStdin;
  const args = [
    '--api-version', '1',
    '-c', record.id,
    '-u', execId,
    '-n', record.name,
    '-r', environment.runtimePath,
    ...environment.runtimeGlobalArgs.flatMap((arg) => ['--runtime-arg', arg]),
    '-b', paths.execDir,
    '-p', path.join(paths.execDir, 'pid'),
    '-P', path.join(paths.execDir, 'conmon.pid'),
    '-l', 'none',
    '--exec',
    '--exec-process-spec', processFile,
    '--persist-dir', paths.execDir,
    '--socket-dir-path', environment.socketsDir,
    '--log-level', environment.conmonLogLevel,
  ];
  if (spec.tty) args.push('-t');
  if (stdin) args.push('-i');
  if (attach) args.push('--exec-attach');

  const conmon = await ConmonProcess.launch({
    conmonPath: environment.conmonPath,
    args,
    cwd: paths.execDir,
    monitorCgroups: environment.monitorCgroups,
    attachPipe: attach,
    logger,
    logIds,
  });

  let session: AttachSession | null = null;
  let pid: number;
  try {
    if (attach) {
      await conmon.waitAttachReady();
      const fd = connectAttachSocket(path.join(environment.socketsDir, execId), paths.execDir, `exec ${execId}`);
      session = new AttachSession(fd, stdin, logger, logIds);
      conmon.writeStart();
    }
    pid = await conmon.readPid(`exec in container ${record.id}`);
  } catch (error) {
    session?.close();
    conmon.release();
    const detail = error instanceof ConmonError ? error.detail : (error as Error).message;
    onExit(commandFailureExitCode(detail));
    await fs.rm(paths.execDir, { recursive: true, force: true });
    throw new Error(`OCI runtime exec failed: ${detail}`, { cause: error });
  }

  conmon.unrefPipes();
  conmon.readExitCode().then(
    (exitCode) => onExit(exitCode),
    (error: unknown) => {
      logger.warn({ ...logIds, err: error }, 'exec session ended without an exit code');
      onExit(-1);
    },
  ).finally(() => {
    conmon.release();
    fs.rm(paths.execDir, { recursive: true, force: true }).catch((error: unknown) => {
      logger.warn({ ...logIds, err: error }, 'removing the exec session directory failed');
    });
  });
  return { pid, session, conmon };
}
