// Runs the berth CLI or the real docker CLI against a test daemon and
// collects what they print.
import { spawn } from 'node:child_process';
import { BERTH, DOCKER, type TestDaemon } from './daemon';

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export function runCommand(command: string, args: string[], env: NodeJS.ProcessEnv, input?: string | Buffer, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ exitCode: code ?? (signal ? 128 : -1), stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

export function berth(daemon: TestDaemon, args: string[], input?: string | Buffer): Promise<CliResult> {
  return runCommand(process.execPath, [BERTH, ...args], daemon.env, input);
}

export function docker(daemon: TestDaemon, args: string[], input?: string | Buffer): Promise<CliResult> {
  return runCommand(DOCKER, args, daemon.env, input);
}

// Checks that the docker CLI reaches Berth, not some other engine, before a test relies on it.
export async function assertDockerTalksToBerth(daemon: TestDaemon): Promise<void> {
  const result = await docker(daemon, ['version', '--format', '{{.Server.Platform.Name}}|{{range .Server.Components}}{{.Name}} {{end}}']);
  if (result.exitCode !== 0 || !/Berth/.test(result.stdout)) {
    throw new Error(`docker CLI does not reach Berth at ${daemon.env.DOCKER_HOST}: exit ${result.exitCode}, output ${result.stdout} ${result.stderr}`);
  }
}
