// Build benchmark: one multi-stage Dockerfile of thirteen steps (busybox base,
// files copied, shell work in RUN), built cold (--no-cache) and warm (an
// unchanged rebuild) by Berth, by Docker's classic builder and by
// `podman build`, in one run. Prints medians and which targets were met.
// Asserts nothing.
//
//   node dist/bench/build.js [--iterations N]
//
// Berth gets its own berthd in a temporary root. Docker is measured when
// `dockerd` is installed: the script starts it on its own data root, exec
// root and socket (no bridge, no iptables changes) and stops it by PID at the
// end. Podman gets its own temporary storage root. All three load
// build/images/busybox.tar first and build with --network none, so nothing
// is pulled from a registry and no network set-up is timed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { BUSYBOX_ARCHIVE, DOCKER, startDaemon } from '../test/helpers/daemon';

const iterations = Number(process.argv[process.argv.indexOf('--iterations') + 1]) || 5;

const WARM_TARGET_MS = 1000;

const DOCKERFILE = `FROM busybox AS builder
WORKDIR /src
COPY src/ ./
RUN cat *.txt | sort > combined.txt && wc -l combined.txt > count.txt
RUN for i in $(seq 1 500); do echo "line $i"; done | md5sum > generated.txt

FROM busybox
ENV APP_HOME=/app
WORKDIR /app
COPY --from=builder /src/combined.txt /src/count.txt /src/generated.txt ./
COPY config.txt .
RUN sha256sum combined.txt config.txt > sums.txt && mkdir -p data && cp count.txt data/
LABEL bench=build
CMD ["cat", "/app/sums.txt"]
`;

interface Builder {
  name: string;
  command: string;
  prefix: string[];
  env: NodeJS.ProcessEnv;
  // Build options besides the tag, the cache switch and the context.
  options: string[];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function commandExists(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

function writeContext(directory: string): void {
  fs.mkdirSync(path.join(directory, 'src'), { recursive: true });
  for (let index = 0; index < 20; index++) {
    fs.writeFileSync(path.join(directory, 'src', `part-${index}.txt`), `${'x'.repeat(index * 50)}\npart ${index}\n`);
  }
  fs.writeFileSync(path.join(directory, 'config.txt'), 'setting=1\n');
  fs.writeFileSync(path.join(directory, 'Dockerfile'), DOCKERFILE);
}

function build(builder: Builder, context: string, noCache: boolean): number {
  const args = [...builder.prefix, 'build', ...builder.options, '-q', '-t', 'bench-build:latest', ...(noCache ? ['--no-cache'] : []), context];
  const start = performance.now();
  const result = spawnSync(builder.command, args, { env: builder.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const elapsed = performance.now() - start;
  if (result.status !== 0) throw new Error(`${builder.name}: ${builder.command} ${args.join(' ')} failed: ${result.stderr.toString()}`);
  return elapsed;
}

// Returns the medians of cold and warm builds, after one cold build that is not counted.
function measure(builder: Builder, context: string): { cold: number; warm: number } {
  build(builder, context, true);
  const cold = Array.from({ length: iterations }, () => build(builder, context, true));
  const warm = Array.from({ length: iterations }, () => build(builder, context, false));
  return { cold: median(cold), warm: median(warm) };
}

async function waitForSocket(socket: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`dockerd exited with ${child.exitCode} before listening on ${socket}`);
    if (spawnSync(DOCKER, ['-H', `unix://${socket}`, 'version'], { stdio: 'ignore' }).status === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`dockerd did not listen on ${socket} within 30 s`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid, 'SIGTERM');
  await exited;
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-build-'));
  const context = path.join(work, 'context');
  writeContext(context);
  const results: Array<{ name: string; cold: number; warm: number }> = [];
  const daemon = await startDaemon({ extraEnv: { BERTH_LOG_LEVEL: 'warn' } });
  let dockerd: ChildProcess | null = null;

  try {
    const berthEnv = { ...daemon.env, DOCKER_BUILDKIT: '0' };
    results.push({ name: 'Berth (docker CLI)', ...measure({ name: 'Berth', command: DOCKER, prefix: [], env: berthEnv, options: ['--network', 'none'] }, context) });

    if (commandExists('dockerd')) {
      const socket = path.join(work, 'docker.sock');
      const log = fs.openSync(path.join(work, 'dockerd.log'), 'a');
      dockerd = spawn(
        'dockerd',
        ['--data-root', path.join(work, 'docker-data'), '--exec-root', path.join(work, 'docker-exec'), '--pidfile', path.join(work, 'docker.pid'), '-H', `unix://${socket}`, '--bridge', 'none', '--iptables=false', '--ip-masq=false'],
        { stdio: ['ignore', log, log] },
      );
      fs.closeSync(log);
      await waitForSocket(socket, dockerd);
      const dockerEnv = { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_BUILDKIT: '0', DOCKER_CONFIG: path.join(work, 'docker-config') };
      const loaded = spawnSync(DOCKER, ['load', '-i', BUSYBOX_ARCHIVE], { env: dockerEnv, stdio: 'pipe' });
      if (loaded.status !== 0) throw new Error(`docker load: ${loaded.stderr.toString()}`);
      results.push({ name: 'Docker classic builder', ...measure({ name: 'Docker', command: DOCKER, prefix: [], env: dockerEnv, options: ['--network', 'none'] }, context) });
    } else {
      console.log('Docker: not measured (dockerd not installed)');
    }

    if (commandExists('podman')) {
      const prefix = ['--root', path.join(work, 'podman-root'), '--runroot', path.join(work, 'podman-run')];
      const loaded = spawnSync('podman', [...prefix, 'load', '-i', BUSYBOX_ARCHIVE], { stdio: 'pipe' });
      if (loaded.status !== 0) throw new Error(`podman load: ${loaded.stderr.toString()}`);
      results.push({ name: 'Podman build', ...measure({ name: 'Podman', command: 'podman', prefix, env: process.env, options: ['--network', 'none', '--pull=never'] }, context) });
    } else {
      console.log('Podman: not measured (podman not installed)');
    }
  } finally {
    if (dockerd) await stopChild(dockerd);
    await daemon.stop();
    if (commandExists('podman')) spawnSync('podman', ['--root', path.join(work, 'podman-root'), '--runroot', path.join(work, 'podman-run'), 'system', 'reset', '--force'], { stdio: 'ignore' });
    fs.rmSync(work, { recursive: true, force: true });
  }

  console.log(`Build of a 13-step two-stage Dockerfile, medians of ${iterations} (after one uncounted cold build):`);
  for (const result of results) {
    console.log(`  ${result.name.padEnd(24)} cold ${result.cold.toFixed(0).padStart(6)} ms   warm ${result.warm.toFixed(0).padStart(6)} ms`);
  }
  const berth = results[0];
  const docker = results.find((result) => result.name.startsWith('Docker'));
  if (docker) console.log(`Target cold build at least as fast as Docker's: ${berth.cold <= docker.cold ? 'met' : 'missed'} (${(berth.cold / docker.cold).toFixed(2)}x)`);
  console.log(`Target warm rebuild under ${WARM_TARGET_MS} ms: ${berth.warm < WARM_TARGET_MS ? 'met' : 'missed'}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
