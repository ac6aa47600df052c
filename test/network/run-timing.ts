// Measures `docker run --rm busybox true` through a real berthd, with the
// default bridge and with --network none, so the difference is the cost of
// container networking. With --strace it also counts the programs berthd
// starts during one bridged run. Run after `npx tsc -p .` as
//   node dist/test/network/run-timing.js [rounds] [--strace]
// It is a measurement script, not a test, so `node --test` does not pick it up.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { docker } from '../helpers/cli';
import { startDaemon, type TestDaemon } from '../helpers/daemon';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timeRuns(daemon: TestDaemon, extraArgs: string[], rounds: number): Promise<number[]> {
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    const result = await docker(daemon, ['run', '--rm', ...extraArgs, 'busybox', 'true']);
    times.push(performance.now() - start);
    if (result.exitCode !== 0) throw new Error(`docker run ${extraArgs.join(' ')} failed with exit code ${result.exitCode}: ${result.stderr}`);
  }
  return times;
}

// Counts successful execve calls of berthd and its children during one bridged run.
async function countPrograms(daemon: TestDaemon): Promise<Map<string, number>> {
  const traceFile = path.join(daemon.root, 'execve.trace');
  const tracer = spawn('strace', ['-f', '-qq', '-e', 'trace=execve', '-o', traceFile, '-p', String(daemon.pid())], { stdio: 'ignore' });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await timeRuns(daemon, [], 1);
  const exited = new Promise((resolve) => tracer.once('exit', resolve));
  tracer.kill('SIGINT');
  await exited;

  const counts = new Map<string, number>();
  for (const line of (await fs.readFile(traceFile, 'utf8')).split('\n')) {
    const match = /execve\("([^"]+)".*= 0$/.exec(line);
    if (match) counts.set(path.basename(match[1]), (counts.get(path.basename(match[1])) ?? 0) + 1);
  }
  return counts;
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? '15');
  const daemon = await startDaemon();
  try {
    await timeRuns(daemon, [], 2);
    const bridged = await timeRuns(daemon, [], rounds);
    const isolated = await timeRuns(daemon, ['--network', 'none'], rounds);
    process.stdout.write(`docker run --rm busybox true, median of ${rounds}: bridge ${median(bridged).toFixed(0)} ms, --network none ${median(isolated).toFixed(0)} ms\n`);
    if (process.argv.includes('--strace')) {
      const counts = [...(await countPrograms(daemon)).entries()].sort((a, b) => b[1] - a[1]);
      process.stdout.write(`programs started by berthd in one bridged run: ${counts.map(([name, count]) => `${name} ${count}`).join(', ')}\n`);
    }
  } finally {
    await daemon.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`run timing failed: ${String(error)}\n`);
  process.exitCode = 1;
});
