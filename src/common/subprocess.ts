// Runs helper programs (runc, conmon, mount tools) and turns a failure into
// an error that carries the command, its arguments, the exit code and stderr.
import { spawn, type SpawnOptions } from 'node:child_process';

export class SubprocessError extends Error {
  readonly command: string;
  readonly args: readonly string[];
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;

  constructor(command: string, args: readonly string[], exitCode: number | null, signal: NodeJS.Signals | null, stderr: string, cause?: unknown) {
    const status = signal ? `killed by ${signal}` : `exit code ${exitCode}`;
    const detail = stderr.trim() ? `: ${stderr.trim()}` : '';
    super(`${command} ${args.join(' ')} failed with ${status}${detail}`, cause === undefined ? undefined : { cause });
    this.name = 'SubprocessError';
    this.command = command;
    this.args = args;
    this.exitCode = exitCode;
    this.signal = signal;
    this.stderr = stderr;
  }
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface RunOptions extends Pick<SpawnOptions, 'cwd' | 'env'> {
  input?: string | Buffer;
  // Resolve with a non-zero exit code instead of throwing.
  allowFailure?: boolean;
  timeoutMs?: number;
}

export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;

    if (options.timeoutMs) {
      timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    }
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => {
      if (timer) clearTimeout(timer);
      reject(new SubprocessError(command, args, null, null, error.message, error));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const result = { stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString(), exitCode: code ?? -1 };
      if ((code === 0 && !signal) || (options.allowFailure && !signal)) {
        resolve(result);
        return;
      }
      reject(new SubprocessError(command, args, code, signal, result.stderr));
    });
    child.stdin.on('error', () => {
      // The program may exit before reading its input; the exit status reports that.
    });
    child.stdin.end(options.input ?? '');
  });
}
