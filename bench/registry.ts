// Registry benchmark: pull and push of a 200 MB, four-layer image through a
// loopback docker-registry, by Berth and by Docker in one run, and the time
// Berth's layer unpacker takes next to GNU tar on the same layer files.
// Prints medians and which targets were met. Asserts nothing.
//
//   node dist/bench/registry.js [--iterations N]
//
// The image is generated (random and text files, see registry-fixture.ts) and
// pushed by skopeo, which gzip-compresses the layers. Docker is Debian's
// docker.io: the bench starts its own dockerd on a temporary data root and
// socket, and stops it by PID. Both engines are driven by the same docker CLI,
// and their pulls and pushes alternate, so load on the machine hits both alike.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { configureLogger } from '../src/common/logger';
import { unpackLayer } from '../src/image/layer-unpack';
import { DOCKER, startDaemon } from '../test/helpers/daemon';
import { startRegistry, type TestRegistry } from '../test/distribution/registry';
import { buildBenchImage } from './registry-fixture';

const iterations = Number(process.argv[process.argv.indexOf('--iterations') + 1]) || 5;
const MB = 1e6;

interface Engine {
  name: string;
  env: NodeJS.ProcessEnv;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync(command, args, { env, encoding: 'utf8', maxBuffer: 64 * MB });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed with exit ${result.status}: ${result.stderr}`);
  return result.stdout;
}

function timed(action: () => void): number {
  const start = performance.now();
  action();
  return performance.now() - start;
}

async function timedAsync(action: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await action();
  return performance.now() - start;
}

// Starts Debian's dockerd with everything under root and no changes to the host's networking.
async function startDockerd(root: string): Promise<{ engine: Engine; stop(): Promise<void> }> {
  const socket = path.join(root, 'docker.sock');
  const log = fs.openSync(path.join(root, 'dockerd.log'), 'a');
  const args = ['--data-root', path.join(root, 'data'), '--exec-root', path.join(root, 'exec'), '--pidfile', path.join(root, 'dockerd.pid')];
  args.push('-H', `unix://${socket}`, '--iptables=false', '--ip-masq=false', '--bridge=none', '--storage-driver=overlay2');
  const child: ChildProcess = spawn('dockerd', args, { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const env = { ...process.env, DOCKER_HOST: `unix://${socket}` };

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(child.pid, 'SIGTERM');
    const timer = setTimeout(() => child.pid && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 60_000;
  while (spawnSync(DOCKER, ['version'], { env, stdio: 'ignore' }).status !== 0) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`dockerd did not start; see ${path.join(root, 'dockerd.log')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { engine: { name: 'Docker', env }, stop };
}

// Removes the image and checks that the store directories given keep nothing of it.
function removeImage(engine: Engine, reference: string, storeDirectories: string[]): void {
  run(DOCKER, ['rmi', reference], engine.env);
  for (const directory of storeDirectories) {
    if (fs.existsSync(directory) && fs.readdirSync(directory).length > 0) {
      throw new Error(`${engine.name}: ${directory} is not empty after rmi, so the next pull would not start from an empty store`);
    }
  }
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-registry-'));
  const stops: Array<() => Promise<void>> = [];
  try {
    console.log(`Machine: ${os.cpus().length} × ${os.cpus()[0]?.model}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, kernel ${os.release()}`);
    console.log(`Iterations: ${iterations} per measurement, plus one warm-up for pull and push\n`);

    let image = null as unknown as ReturnType<typeof buildBenchImage>;
    const generateTime = timed(() => {
      image = buildBenchImage(work);
    });
    const totalTar = image.layers.reduce((sum, layer) => sum + layer.size, 0);
    const registry = await startRegistry();
    stops.push(() => registry.stop());
    const reference = `${registry.host}/bench/big:latest`;
    const skopeoTime = timed(() => run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${image.layoutDirectory}:latest`, `docker://${reference}`]));
    const manifest = JSON.parse(run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reference}`]));
    const blobs: Array<{ digest: string; size: number }> = manifest.layers;
    const totalBlob = blobs.reduce((sum, blob) => sum + blob.size, 0);
    console.log('Image: 4 layers');
    for (const [index, layer] of image.layers.entries()) console.log(`  ${layer.name.padEnd(40)} tar ${(layer.size / MB).toFixed(1)} MB, gzip ${(blobs[index].size / MB).toFixed(1)} MB`);
    console.log(`  total: tar ${(totalTar / MB).toFixed(1)} MB, gzip ${(totalBlob / MB).toFixed(1)} MB (generated in ${(generateTime / 1000).toFixed(1)} s, skopeo push ${(skopeoTime / 1000).toFixed(1)} s)\n`);

    const berthd = await startDaemon({ loadBusybox: false, extraEnv: { BERTH_LOG_LEVEL: 'warn' } });
    stops.push(() => berthd.stop());
    const berth: Engine = { name: 'Berth', env: berthd.env };
    const dockerRoot = path.join(work, 'docker');
    fs.mkdirSync(dockerRoot);
    const dockerd = await startDockerd(dockerRoot);
    stops.push(() => dockerd.stop());
    const engines = [berth, dockerd.engine];
    // Docker's overlay2 directory keeps an "l" directory of short links, so only Berth's store is checked.
    const storeDirectories = new Map([
      ['Berth', [path.join(berthd.root, 'data/image/layers'), path.join(berthd.root, 'data/image/blobs/sha256')]],
      ['Docker', []],
    ]);

    // Pull into an empty store: the image is removed after every pull.
    const pulls = new Map<string, number[]>(engines.map((engine) => [engine.name, []]));
    for (let round = 0; round <= iterations; round++) {
      for (const engine of engines) {
        const elapsed = timed(() => run(DOCKER, ['pull', '-q', reference], engine.env));
        if (round > 0) pulls.get(engine.name)!.push(elapsed);
        const isLast = round === iterations;
        if (!isLast) removeImage(engine, reference, storeDirectories.get(engine.name)!);
      }
    }

    // Push to a repository in a new, empty registry each time, so every layer is uploaded.
    const pushes = new Map<string, number[]>(engines.map((engine) => [engine.name, []]));
    for (let round = 0; round <= iterations; round++) {
      for (const engine of engines) {
        const target = await startRegistry();
        try {
          const tag = `${target.host}/bench/pushed:latest`;
          run(DOCKER, ['tag', reference, tag], engine.env);
          const elapsed = timed(() => run(DOCKER, ['push', '-q', tag], engine.env));
          if (round > 0) pushes.get(engine.name)!.push(elapsed);
          run(DOCKER, ['rmi', tag], engine.env);
        } finally {
          await target.stop();
        }
      }
    }

    const unpack = await measureUnpack(work, image.layers.map((layer) => layer.tarFile), blobs.map((blob) => blobFile(registry, blob.digest)));

    console.log(`Pull of ${reference.split('/').slice(1).join('/')} into an empty store, median s`);
    for (const engine of engines) console.log(`  ${engine.name.padEnd(8)} ${(median(pulls.get(engine.name)!) / 1000).toFixed(2).padStart(7)}   (${pulls.get(engine.name)!.map((ms) => (ms / 1000).toFixed(2)).join(' ')})`);
    console.log('Push to a new registry, median s');
    for (const engine of engines) console.log(`  ${engine.name.padEnd(8)} ${(median(pushes.get(engine.name)!) / 1000).toFixed(2).padStart(7)}   (${pushes.get(engine.name)!.map((ms) => (ms / 1000).toFixed(2)).join(' ')})`);
    console.log(`Unpack of the 4 layers (${(totalTar / MB).toFixed(0)} MB of tar), median s and MB/s of tar`);
    for (const [name, values] of unpack) console.log(`  ${name.padEnd(34)} ${(median(values) / 1000).toFixed(2).padStart(7)}   ${(totalTar / MB / (median(values) / 1000)).toFixed(0).padStart(5)} MB/s`);

    const berthPull = median(pulls.get('Berth')!);
    const dockerPull = median(pulls.get('Docker')!);
    const plainRatio = median(unpack.get('GNU tar -xf, plain')!) / median(unpack.get('Berth unpackLayer, plain')!);
    const gzipRatio = median(unpack.get('GNU tar -xzf, gzip')!) / median(unpack.get('Berth unpackLayer, gzip')!);
    console.log('\nTargets');
    console.log(`  Berth pull at least as fast as Docker's: ${berthPull <= dockerPull ? 'met' : 'missed'} (${(berthPull / dockerPull).toFixed(2)}× Docker's time)`);
    console.log(`  unpack throughput at least 80% of GNU tar's: plain ${plainRatio >= 0.8 ? 'met' : 'missed'} (${(plainRatio * 100).toFixed(0)}%), gzip ${gzipRatio >= 0.8 ? 'met' : 'missed'} (${(gzipRatio * 100).toFixed(0)}%)`);
  } finally {
    for (const stop of stops.reverse()) await stop().catch((error: unknown) => console.error(`bench clean-up failed: ${String(error)}`));
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function blobFile(registry: TestRegistry, digest: string): string {
  const hex = digest.slice('sha256:'.length);
  return path.join(registry.storageDirectory, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
}

// Unpacks all layers into fresh directories with Berth's unpacker (in this
// process, diff ID included) and with GNU tar, alternating, plain and gzip.
// The files are in the page cache for both. Each directory is removed
// untimed before the next round.
async function measureUnpack(work: string, tarFiles: string[], gzipFiles: string[]): Promise<Map<string, number[]>> {
  const logger = configureLogger('warn');
  const results = new Map<string, number[]>();
  const target = path.join(work, 'unpack');
  const record = (name: string, milliseconds: number) => results.set(name, [...(results.get(name) ?? []), milliseconds]);
  const fresh = () => {
    fs.rmSync(target, { recursive: true, force: true });
    fs.mkdirSync(target);
  };
  const layerTarget = (index: number) => {
    const directory = path.join(target, String(index));
    fs.mkdirSync(directory);
    return directory;
  };

  for (let round = 0; round < iterations; round++) {
    for (const [label, files, gzip] of [['plain', tarFiles, false], ['gzip', gzipFiles, true]] as const) {
      fresh();
      record(`Berth unpackLayer, ${label}`, await timedAsync(async () => {
        for (const [index, file] of files.entries()) await unpackLayer(fs.createReadStream(file, { highWaterMark: 1024 * 1024 }), layerTarget(index), logger);
      }));
      fresh();
      record(`GNU tar ${gzip ? '-xzf' : '-xf'}, ${label}`, timed(() => {
        for (const [index, file] of files.entries()) run('tar', [gzip ? '-xzf' : '-xf', file, '-C', layerTarget(index)]);
      }));
    }
  }
  fs.rmSync(target, { recursive: true, force: true });
  return results;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
