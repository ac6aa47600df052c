// Container start benchmark: Berth (through berth and through the docker CLI)
// side by side with a bare `runc run`, and with Docker and Podman where they
// are installed, in one run. Prints medians, ratios to Docker, 20 sequential
// detached starts, `ps` with 20 containers running, memory per container
// (conmon for Berth and Podman, containerd-shim for Docker) and berthd's
// idle RSS, then which of the project's targets were met. Asserts nothing.
//
//   node dist/bench/containers.js [--iterations N]
//
// Docker is measured when a dockerd listens on /var/run/docker.sock (Debian's
// docker.io), Podman when `podman` is on PATH. Both get the same busybox
// archive loaded first, so nothing is pulled from a registry.
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

// Podman 4.3 gives containers RLIMIT_NOFILE and RLIMIT_NPROC of 1048576, and runc cannot raise them
// above a lower hard limit without CAP_SYS_RESOURCE. These values fit under the limits of the VM the
// figures in docs/performance.md come from (open files 20000).
const PODMAN_LIMITS = ['--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=20000:20000'];

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

// PIDs of processes whose command line passes the test. Processes that exit while being read are skipped.
function pidsWhere(test: (cmdline: string, pid: string) => boolean): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return test(fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8'), entry);
      } catch {
        return false;
      }
    })
    .map(Number);
}

function conmonPids(root: string): number[] {
  return pidsWhere((cmdline) => cmdline.startsWith('/usr/bin/conmon\0') && cmdline.includes(root));
}

// Node.js processes started for this Berth instance (they inherit BERTH_INSTANCE from berthd), berthd excluded.
function berthNodePids(instance: string, daemonPid: number): number[] {
  return pidsWhere((_cmdline, pid) => {
    if (Number(pid) === daemonPid || fs.readlinkSync(`/proc/${pid}/exe`) !== process.execPath) return false;
    return fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`BERTH_INSTANCE=${instance}`);
  });
}

function averagePssMiB(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + pssKiB(pid), 0) / Math.max(pids.length, 1) / 1024;
}

// Starts count idle busybox containers, runs measure while they run, then removes them.
function withIdleContainers<T>(command: string, env: NodeJS.ProcessEnv, count: number, measure: () => T, runOptions: string[] = []): T {
  const ids: string[] = [];
  try {
    for (let index = 0; index < count; index++) {
      const result = spawnSync(command, ['run', ...runOptions, '-d', 'busybox', 'sleep', '1000'], { env });
      if (result.status !== 0) throw new Error(`${command} run -d failed: ${result.stderr.toString()}`);
      ids.push(result.stdout.toString().trim());
    }
    return measure();
  } finally {
    if (ids.length > 0) spawnSync(command, ['rm', '-f', ...ids], { env });
  }
}

function sequentialStarts(name: string, command: string, prefix: string[], env: NodeJS.ProcessEnv, runOptions: string[] = []): { start: number; remove: number; ps: number } {
  const ids: string[] = [];
  const begin = performance.now();
  for (let index = 0; index < 20; index++) {
    const result = spawnSync(command, [...prefix, 'run', ...runOptions, '-d', 'busybox', 'sleep', '1000'], { env });
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

    // CLI start-up: berth ps against an empty daemon next to Node.js alone and the docker CLI.
    const startup = [
      repeat('node -e 0', iterations, () => timeCommand(process.execPath, ['-e', '0'], daemon.env)),
      repeat('berth ps', iterations, () => timeCommand(process.execPath, [BERTH, 'ps'], daemon.env)),
      repeat('docker CLI → berthd ps', iterations, () => timeCommand(DOCKER, ['ps'], daemon.env)),
    ];
    samples.push(repeat('berth run --rm busybox true', iterations, () => timeCommand(process.execPath, [BERTH, 'run', '--rm', 'busybox', 'true'], daemon.env)));
    samples.push(repeat('docker CLI → berthd run --rm busybox true', iterations, () => timeCommand(DOCKER, ['run', '--rm', 'busybox', 'true'], daemon.env)));
    // Without a network sandbox: the engine's own cost, apart from veth, netns and firewall work.
    samples.push(repeat('docker CLI → berthd, --network none', iterations, () => timeCommand(DOCKER, ['run', '--rm', '--network', 'none', 'busybox', 'true'], daemon.env)));

    const bundle = prepareRuncBundle(work);
    const runcRoot = path.join(work, 'runc-state');
    let counter = 0;
    samples.push(repeat('bare runc run', iterations, () => timeCommand('runc', ['--root', runcRoot, 'run', '--bundle', bundle, `bench-${process.pid}-${counter++}`], process.env)));

    const engines: { name: string; command: string; prefix: string[]; env: NodeJS.ProcessEnv; runOptions?: string[] }[] = [
      { name: 'berth → berthd', command: process.execPath, prefix: [BERTH], env: daemon.env },
      { name: 'docker CLI → berthd', command: DOCKER, prefix: [], env: daemon.env },
    ];
    if (dockerEngineAvailable()) {
      const env = { ...process.env, DOCKER_HOST: 'unix:///var/run/docker.sock' };
      spawnSync(DOCKER, ['load', '-i', BUSYBOX_ARCHIVE], { env, stdio: 'ignore' });
      samples.push(repeat('Docker run --rm busybox true', iterations, () => timeCommand(DOCKER, ['run', '--rm', 'busybox', 'true'], env)));
      samples.push(repeat('Docker, --network none', iterations, () => timeCommand(DOCKER, ['run', '--rm', '--network', 'none', 'busybox', 'true'], env)));
      engines.push({ name: 'Docker', command: DOCKER, prefix: [], env });
    } else {
      lines.push('Docker: not measured (no dockerd on /var/run/docker.sock)');
    }
    if (commandExists('podman')) {
      spawnSync('podman', ['load', '-i', BUSYBOX_ARCHIVE], { stdio: 'ignore' });
      samples.push(repeat('Podman run --rm busybox true', iterations, () => timeCommand('podman', ['run', ...PODMAN_LIMITS, '--rm', 'busybox', 'true'], process.env)));
      engines.push({ name: 'Podman', command: 'podman', prefix: [], env: process.env, runOptions: PODMAN_LIMITS });
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

    const starts = new Map<string, number>();
    console.log('\nCLI start-up, median ms');
    for (const sample of startup) console.log(`  ${sample.name.padEnd(44)} ${median(sample.milliseconds).toFixed(1).padStart(8)}`);

    console.log('\n20 detached containers started one after another, ps with 20 running (median of 9), then rm -f, ms');
    for (const engine of engines) {
      const pidsBefore = conmonPids(daemon.root).length;
      const result = sequentialStarts(engine.name, engine.command, engine.prefix, engine.env, engine.runOptions);
      starts.set(engine.name, result.start);
      console.log(`  ${engine.name.padEnd(24)} start ${result.start.toFixed(0).padStart(6)}   ps ${result.ps.toFixed(1).padStart(6)}   rm ${result.remove.toFixed(0).padStart(6)}`);
      if (engine.name === 'docker CLI → berthd') lines.push(`conmon processes before the 20 starts: ${pidsBefore}`);
    }

    // Memory with 10 idle containers per engine: the PSS of the per-container monitors (conmon for
    // Berth and Podman, containerd-shim-runc-v2 for Docker) and berthd's growth.
    const nodeBefore = berthNodePids(daemon.instance, daemon.pid()).length;
    const berthMemory = withIdleContainers(DOCKER, daemon.env, 10, () => {
      const monitors = conmonPids(daemon.root);
      return { monitors: monitors.length, pss: averagePssMiB(monitors), rss: rssKiB(daemon.pid()), node: berthNodePids(daemon.instance, daemon.pid()).length };
    });
    console.log('\nMemory, 10 idle containers (sleep 1000) per engine');
    console.log(`  berthd idle RSS                  ${(idleRss / 1024).toFixed(1)} MiB`);
    console.log(`  berthd RSS growth per container  ${((berthMemory.rss - idleRss) / 10 / 1024).toFixed(2)} MiB`);
    console.log(`  Berth conmon PSS per container   ${berthMemory.pss.toFixed(2)} MiB (${berthMemory.monitors} monitors)`);
    console.log(`  Node.js processes of the instance besides berthd: ${nodeBefore} idle, ${berthMemory.node} with 10 containers`);
    let shimPss: number | null = null;
    const dockerEngine = engines.find((engine) => engine.name === 'Docker');
    if (dockerEngine) {
      const shim = withIdleContainers(DOCKER, dockerEngine.env, 10, () => {
        const shims = pidsWhere((cmdline) => /containerd-shim-runc-v2\0/.test(cmdline));
        return { count: shims.length, pss: averagePssMiB(shims) };
      });
      shimPss = shim.pss;
      console.log(`  Docker containerd-shim PSS per container ${shim.pss.toFixed(2)} MiB (${shim.count} shims)`);
    }
    const podmanEngine = engines.find((engine) => engine.name === 'Podman');
    if (podmanEngine) {
      const podman = withIdleContainers('podman', podmanEngine.env, 10, () => {
        const monitors = pidsWhere((cmdline) => cmdline.startsWith('/usr/bin/conmon\0') && cmdline.includes('libpod'));
        return { count: monitors.length, pss: averagePssMiB(monitors) };
      }, PODMAN_LIMITS);
      console.log(`  Podman conmon PSS per container  ${podman.pss.toFixed(2)} MiB (${podman.count} monitors)`);
    }

    // Targets from the project's benchmark goals, each with the measured ratio or value.
    const medianOf = (prefix: string) => {
      const sample = samples.find((entry) => entry.name.startsWith(prefix));
      return sample ? median(sample.milliseconds) : null;
    };
    const dockerRun = medianOf('Docker run');
    console.log('\nTargets');
    const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
    if (dockerRun !== null) {
      const berthRatio = medianOf('berth run')! / dockerRun;
      const cliRatio = medianOf('docker CLI → berthd run')! / dockerRun;
      console.log(`  berth run under 40% of Docker:          ${(berthRatio * 100).toFixed(0)}%  ${verdict(berthRatio < 0.4)}`);
      console.log(`  docker CLI → berthd under 35% of Docker: ${(cliRatio * 100).toFixed(0)}%  ${verdict(cliRatio < 0.35)}`);
      const dockerStarts = starts.get('Docker');
      for (const name of ['berth → berthd', 'docker CLI → berthd']) {
        const ratio = starts.get(name)! / dockerStarts!;
        console.log(`  20 detached starts (${name}) under half of Docker's: ${(ratio * 100).toFixed(0)}%  ${verdict(ratio < 0.5)}`);
      }
    } else {
      console.log('  ratios to Docker: not measured');
    }
    console.log(`  berthd idle RSS under 80 MiB: ${(idleRss / 1024).toFixed(1)} MiB  ${verdict(idleRss / 1024 < 80)}`);
    console.log(`  no Node.js process per container: ${berthMemory.node - nodeBefore} more with 10 containers  ${verdict(berthMemory.node === nodeBefore)}`);
    if (shimPss !== null) {
      console.log(`  monitor memory per container within conmon's own: conmon ${berthMemory.pss.toFixed(2)} MiB + berthd growth ${((berthMemory.rss - idleRss) / 10 / 1024).toFixed(2)} MiB vs Docker shim ${shimPss.toFixed(2)} MiB`);
    }
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
