// Container start benchmark: Berth (through berth and through the docker CLI)
// side by side with a bare `runc run`, and with Docker and Podman where they
// are installed, in one run. Prints medians and ratios; asserts nothing.
//
//   node dist/bench/containers.js [--iterations N]
//
// Docker is measured when a dockerd listens on /var/run/docker.sock (Debian's
// docker.io), Podman when `podman` is on PATH. Both get the same busybox
// archive loaded first.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { BERTH, BUSYBOX_ARCHIVE, DOCKER, REPO_ROOT, startDaemon } from '../test/helpers/daemon';

interface Sample {
  name: string;
  milliseconds: number[];
}

const iterations = Number(process.argv[process.argv.indexOf('--iterations') + 1]) || 15;

function timeCommand(command: string, args: string[], env: NodeJS.ProcessEnv): number {
  const start = performance.now();
  const result = spawnSync(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const elapsed = performance.now() - start;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr?.toString()}`);
  return elapsed;
}

function repeat(name: string, count: number, action: () => number): Sample {
  action(); // warm-up, not counted
  return { name, milliseconds: Array.from({ length: count }, action) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function commandExists(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

function dockerEngineAvailable(): boolean {
  return fs.existsSync('/var/run/docker.sock') && spawnSync(DOCKER, ['-H', 'unix:///var/run/docker.sock', 'version'], { stdio: 'ignore' }).status === 0;
}

// Prepares a runc bundle with the busybox root filesystem and `true` as the process.
function prepareRuncBundle(directory: string): string {
  const bundle = path.join(directory, 'bundle');
  fs.mkdirSync(bundle, { recursive: true });
  const oci = path.join(REPO_ROOT, 'build/images/busybox-oci');
  const unpack = spawnSync('umoci', ['raw', 'unpack', '--image', `${oci}:latest`, path.join(bundle, 'rootfs')], { stdio: 'pipe' });
  if (unpack.status !== 0) throw new Error(`umoci raw unpack: ${unpack.stderr.toString()}`);
  spawnSync('runc', ['spec', '--bundle', bundle]);
  const specPath = path.join(bundle, 'config.json');
  const spec = JSON.parse(fs.readFileSync(specPath, 'utf8'));
  spec.process.terminal = false;
  spec.process.args = ['true'];
  fs.writeFileSync(specPath, JSON.stringify(spec));
  return bundle;
}

// Proportional set size of a process in KiB.
function pssKiB(pid: number): number {
  const text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  return Number(/^Pss:\s+(\d+) kB/m.exec(text)?.[1] ?? 0);
}

function rssKiB(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

function conmonPids(root: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
        return cmdline.startsWith('/usr/bin/conmon\0') && cmdline.includes(root);
      } catch {
        return false;
      }
    })
    .map(Number);
}

function sequentialStarts(name: string, command: string, prefix: string[], env: NodeJS.ProcessEnv): { start: number; remove: number; ps: number } {
  const ids: string[] = [];
  const begin = performance.now();
  for (let index = 0; index < 20; index++) {
    const result = spawnSync(command, [...prefix, 'run', '-d', 'busybox', 'sleep', '1000'], { env });
    if (result.status !== 0) throw new Error(`${name}: run -d failed: ${result.stderr.toString()}`);
    ids.push(result.stdout.toString().trim());
  }
  const start = performance.now() - begin;
  const ps = median(Array.from({ length: 9 }, () => timeCommand(command, [...prefix, 'ps'], env)));
  const removeBegin = performance.now();
  spawnSync(command, [...prefix, 'rm', '-f', ...ids], { env });
  return { start, remove: performance.now() - removeBegin, ps };
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-'));
  const daemon = await startDaemon({ extraEnv: { BERTH_LOG_LEVEL: 'warn' } });
  const samples: Sample[] = [];
  const lines: string[] = [];
  try {
    const idleRss = rssKiB(daemon.pid());
    samples.push(repeat('berth run --rm busybox true', iterations, () => timeCommand(process.execPath, [BERTH, 'run', '--rm', 'busybox', 'true'], daemon.env)));
    samples.push(repeat('docker CLI → berthd run --rm busybox true', iterations, () => timeCommand(DOCKER, ['run', '--rm', 'busybox', 'true'], daemon.env)));

    const bundle = prepareRuncBundle(work);
    const runcRoot = path.join(work, 'runc-state');
    let counter = 0;
    samples.push(repeat('bare runc run', iterations, () => timeCommand('runc', ['--root', runcRoot, 'run', '--bundle', bundle, `bench-${process.pid}-${counter++}`], process.env)));

    const engines: { name: string; command: string; prefix: string[]; env: NodeJS.ProcessEnv }[] = [
      { name: 'berth → berthd', command: process.execPath, prefix: [BERTH], env: daemon.env },
      { name: 'docker CLI → berthd', command: DOCKER, prefix: [], env: daemon.env },
    ];
    if (dockerEngineAvailable()) {
      const env = { ...process.env, DOCKER_HOST: 'unix:///var/run/docker.sock' };
      spawnSync(DOCKER, ['load', '-i', BUSYBOX_ARCHIVE], { env, stdio: 'ignore' });
      samples.push(repeat('Docker run --rm busybox true', iterations, () => timeCommand(DOCKER, ['run', '--rm', 'busybox', 'true'], env)));
      engines.push({ name: 'Docker', command: DOCKER, prefix: [], env });
    } else {
      lines.push('Docker: not measured (no dockerd on /var/run/docker.sock)');
    }
    if (commandExists('podman')) {
      spawnSync('podman', ['load', '-i', BUSYBOX_ARCHIVE], { stdio: 'ignore' });
      samples.push(repeat('Podman run --rm busybox true', iterations, () => timeCommand('podman', ['run', '--rm', 'busybox', 'true'], process.env)));
      engines.push({ name: 'Podman', command: 'podman', prefix: [], env: process.env });
    } else {
      lines.push('Podman: not measured (podman not installed)');
    }

    console.log(`Machine: ${os.cpus().length} × ${os.cpus()[0]?.model}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, kernel ${os.release()}`);
    console.log(`Iterations: ${iterations} (plus one warm-up each)\n`);
    const dockerMedian = samples.find((sample) => sample.name.startsWith('Docker'))?.milliseconds;
    console.log('run --rm busybox true, median ms' + (dockerMedian ? ' (ratio to Docker)' : ''));
    for (const sample of samples) {
      const value = median(sample.milliseconds);
      const ratio = dockerMedian ? `  ${(value / median(dockerMedian)).toFixed(2)}×` : '';
      console.log(`  ${sample.name.padEnd(44)} ${value.toFixed(1).padStart(8)}${ratio}`);
    }

    console.log('\n20 detached containers started one after another, ps with 20 running, then rm -f, ms');
    for (const engine of engines) {
      const pidsBefore = conmonPids(daemon.root).length;
      const result = sequentialStarts(engine.name, engine.command, engine.prefix, engine.env);
      console.log(`  ${engine.name.padEnd(24)} start ${result.start.toFixed(0).padStart(6)}   ps ${result.ps.toFixed(1).padStart(6)}   rm ${result.remove.toFixed(0).padStart(6)}`);
      if (engine.name === 'docker CLI → berthd') lines.push(`conmon processes before the 20 starts: ${pidsBefore}`);
    }

    // Memory: 10 idle containers; PSS of their conmon monitors and berthd's growth.
    const ids: string[] = [];
    for (let index = 0; index < 10; index++) {
      ids.push(spawnSync(DOCKER, ['run', '-d', 'busybox', 'sleep', '1000'], { env: daemon.env }).stdout.toString().trim());
    }
    const monitors = conmonPids(daemon.root);
    const monitorPss = monitors.reduce((sum, pid) => sum + pssKiB(pid), 0) / Math.max(monitors.length, 1);
    const busyRss = rssKiB(daemon.pid());
    spawnSync(DOCKER, ['rm', '-f', ...ids], { env: daemon.env });
    console.log('\nMemory');
    console.log(`  berthd idle RSS                 ${(idleRss / 1024).toFixed(1)} MiB`);
    console.log(`  conmon PSS per container        ${(monitorPss / 1024).toFixed(2)} MiB (${monitors.length} monitors)`);
    console.log(`  berthd RSS growth per container ${((busyRss - idleRss) / 10 / 1024).toFixed(2)} MiB (10 containers)`);
    for (const line of lines) console.log(line);
  } finally {
    await daemon.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
