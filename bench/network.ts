// Network benchmark. It measures container-to-container TCP throughput over a
// user bridge under Berth and Docker (with and without seccomp) next to two
// namespaces joined by a bare veth pair or by a bare bridge, and the throughput
// of a published port from the host. It also
// times name lookups inside a container and connecting a running container
// to a second network. Prints medians and which targets were met, and asserts nothing.
//
//   node dist/bench/network.js [--iterations N] [--seconds S] [--lookups N]
//
// Needs iperf3, busybox-static and gcc on the host (see bench/iperf3-image/build.sh)
// and dockerd from Debian's docker.io for the Docker figures. Everything it creates
// is removed at the end: containers, networks, namespaces, dockerd (by its PID).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DOCKER, REPO_ROOT, request, startDaemon } from '../test/helpers/daemon';
import { check, iperf3Gbits, median, startBarePair, startDockerd, type BarePair, type Dockerd } from './network-fixtures';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  return index >= 0 ? Number(process.argv[index + 1]) || fallback : fallback;
}

const iterations = option('--iterations', 5);
const seconds = option('--seconds', 3);
const lookups = option('--lookups', 2000);
const IMAGE = 'berth-bench/iperf3:latest';

interface Engine {
  name: string;
  env: NodeJS.ProcessEnv;
  socketPath: string;
}

interface EngineResult {
  bridgeGbits: number[];
  bridgeUnconfinedGbits: number[];
  publishedGbits: number[];
  lookup: { medianMicroseconds: number; p90Microseconds: number; meanMicroseconds: number };
  connectMs: number[];
}

function docker(engine: Engine, args: string[]): string {
  return check(DOCKER, args, engine.env).trim();
}

// Retries while the iperf3 server in the new container is still starting.
function firstRun(action: () => number): number {
  for (let attempt = 0; ; attempt++) {
    try {
      return action();
    } catch (error) {
      if (attempt >= 20) throw error;
      check('sleep', ['0.25']);
    }
  }
}

async function api(engine: Engine, method: string, requestPath: string, body?: unknown): Promise<void> {
  // Node's agent keeps sockets alive, and one the server closed while idle fails with EPIPE once, so that is retried.
  const send = () => request(engine.socketPath, method, requestPath, body);
  const response = await send()
    .catch((error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? send() : Promise.reject(error)))
    .catch((error: unknown) => {
      throw new Error(`${engine.name}: ${method} ${requestPath} on ${engine.socketPath}: ${(error as Error).message}`, { cause: error });
    });
  if (response.status >= 300) throw new Error(`${engine.name}: ${method} ${requestPath}: HTTP ${response.status} ${response.body.toString()}`);
}

// Progress goes to stderr, so stdout contains only the results.
function progress(message: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);
}

interface Prepared {
  engine: Engine;
  overBridge: () => number;
  // The same, between two containers without a seccomp filter, to tell the filter's cost from the bridge's.
  overBridgeUnconfined: () => number;
  published: () => number;
}

// Creates the image, both networks, an iperf3 server publishing 5201 on 127.0.0.1 and a client, and warms both paths up.
function prepareEngine(engine: Engine, imageTar: string): Prepared {
  progress(`${engine.name}: import image, create networks and containers`);
  docker(engine, ['import', imageTar, IMAGE]);
  docker(engine, ['network', 'create', 'bench-net']);
  docker(engine, ['network', 'create', 'bench-extra']);
  docker(engine, ['run', '-d', '--name', 'bench-server', '--network', 'bench-net', '-p', '127.0.0.1::5201', IMAGE, 'iperf3', '-s']);
  docker(engine, ['run', '-d', '--name', 'bench-client', '--network', 'bench-net', IMAGE, 'sleep', '1d']);
  const unconfined = ['--network', 'bench-net', '--security-opt', 'seccomp=unconfined', IMAGE];
  docker(engine, ['run', '-d', '--name', 'bench-server-u', ...unconfined, 'iperf3', '-s']);
  docker(engine, ['run', '-d', '--name', 'bench-client-u', ...unconfined, 'sleep', '1d']);

  const hostPort = /:(\d+)$/.exec(docker(engine, ['port', 'bench-server', '5201/tcp']).split('\n')[0])?.[1];
  if (!hostPort) throw new Error(`${engine.name}: no host port for bench-server 5201/tcp`);
  const prepared = {
    engine,
    overBridge: () => iperf3Gbits(docker(engine, ['exec', 'bench-client', 'iperf3', '-c', 'bench-server', '-t', String(seconds), '-J'])),
    overBridgeUnconfined: () => iperf3Gbits(docker(engine, ['exec', 'bench-client-u', 'iperf3', '-c', 'bench-server-u', '-t', String(seconds), '-J'])),
    published: () => iperf3Gbits(check('iperf3', ['-c', '127.0.0.1', '-p', hostPort, '-t', String(seconds), '-J'])),
  };
  firstRun(prepared.overBridge);
  firstRun(prepared.overBridgeUnconfined);
  firstRun(prepared.published);
  return prepared;
}

async function measureLookupsAndConnect(engine: Engine): Promise<Pick<EngineResult, 'lookup' | 'connectMs'>> {
  progress(`${engine.name}: name lookups`);
  // One warm-up process, then the measured one.
  docker(engine, ['exec', 'bench-client', 'lookup-loop', 'bench-server', '100']);
  const lookup = JSON.parse(docker(engine, ['exec', 'bench-client', 'lookup-loop', 'bench-server', String(lookups)])) as EngineResult['lookup'];

  progress(`${engine.name}: network connect`);
  const connectMs: number[] = [];
  for (let index = 0; index <= iterations; index++) {
    const start = performance.now();
    await api(engine, 'POST', '/networks/bench-extra/connect', { Container: 'bench-client' });
    const elapsed = performance.now() - start;
    await api(engine, 'POST', '/networks/bench-extra/disconnect', { Container: 'bench-client' });
    if (index > 0) connectMs.push(elapsed);
  }
  return { lookup, connectMs };
}

interface Measurement {
  name: string;
  run: () => number;
}

// Docker's userland proxy (docker-proxy) sometimes still keeps the previous iperf3
// test's connections open when the next one starts, and iperf3 then fails with "the server
// is busy" or "control socket has closed unexpectedly". A failed run is repeated
// after a pause, at most twice, and every failure is reported in notes.
function runWithRetries(measurement: Measurement, round: number, notes: string[]): number {
  for (let attempt = 1; ; attempt++) {
    try {
      return measurement.run();
    } catch (error) {
      const message = (error as Error).message.split('\n')[0];
      notes.push(`${measurement.name}: run ${round + 1}, attempt ${attempt} failed: ${message}`);
      progress(`${measurement.name}: run ${round + 1}, attempt ${attempt} failed (${message})`);
      if (attempt >= 3) throw error;
      check('sleep', ['2']);
    }
  }
}

// Runs each measurement once per round, starting with a different one each round, so
// that a change in the load of a shared machine falls on all of them alike.
function interleave(measurements: readonly Measurement[], notes: string[]): number[][] {
  const samples: number[][] = measurements.map(() => []);
  for (let round = 0; round < iterations; round++) {
    for (let offset = 0; offset < measurements.length; offset++) {
      const index = (round + offset) % measurements.length;
      const measurement = measurements[index];
      samples[index].push(runWithRetries(measurement, round, notes));
    }
  }
  return samples;
}

function removeEngineObjects(engine: Engine): void {
  for (const args of [
    ['rm', '-f', 'bench-server', 'bench-client', 'bench-server-u', 'bench-client-u'],
    ['network', 'rm', 'bench-net', 'bench-extra'],
    ['rmi', IMAGE],
  ]) {
    try {
      docker(engine, args);
    } catch (error) {
      console.error(`clean-up on ${engine.name}: ${(error as Error).message}`);
    }
  }
}

function format(values: number[], digits = 2): string {
  return `${median(values).toFixed(digits)} (${values.map((value) => value.toFixed(digits)).join(', ')})`;
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-net-bench-'));
  const imageTar = path.join(work, 'iperf3.tar');
  check('sh', [path.join(REPO_ROOT, 'bench/iperf3-image/build.sh'), imageTar]);

  const daemon = await startDaemon({ loadBusybox: false, extraEnv: { BERTH_LOG_LEVEL: 'warn' } });
  let dockerd: Dockerd | null = null;
  let bare: BarePair | null = null;
  let bareBridge: BarePair | null = null;
  const engines: Engine[] = [{ name: 'Berth', env: daemon.env, socketPath: daemon.socketPath }];
  const results = new Map<string, EngineResult>();
  // Engines whose benchmark objects exist and must be removed at the end.
  const active: Engine[] = [];
  const notes: string[] = [];
  try {
    progress('bare veth pair');
    bare = await startBarePair(String(process.pid), false);
    firstRun(() => bare!.measure(1));
    bareBridge = await startBarePair(String(process.pid), true);
    firstRun(() => bareBridge!.measure(1));

    try {
      dockerd = await startDockerd(path.join(work, 'docker'));
      engines.push({ name: 'Docker', env: dockerd.env, socketPath: dockerd.socketPath });
    } catch (error) {
      notes.push(`Docker: not measured (${(error as Error).message.split('\n')[0]})`);
    }
    const prepared = engines.map((engine) => {
      active.push(engine);
      return prepareEngine(engine, imageTar);
    });

    progress('throughput over the bridges and the bare pair, interleaved');
    const [pair, pairOnBridge] = [bare, bareBridge];
    const [bareGbits, bareBridgeGbits, ...bridgeSamples] = interleave(
      [
        { name: 'bare veth pair', run: () => pair.measure(seconds) },
        { name: 'bare namespaces on a bridge', run: () => pairOnBridge.measure(seconds) },
        ...prepared.flatMap((entry) => [
          { name: `${entry.engine.name} over the bridge`, run: entry.overBridge },
          { name: `${entry.engine.name} over the bridge, no seccomp`, run: entry.overBridgeUnconfined },
        ]),
      ],
      notes,
    );
    progress('throughput of the published ports, interleaved');
    const publishedSamples = interleave(
      prepared.map((entry) => ({ name: `${entry.engine.name} published port`, run: entry.published })),
      notes,
    );
    for (const [index, entry] of prepared.entries()) {
      const rest = await measureLookupsAndConnect(entry.engine);
      results.set(entry.engine.name, { bridgeGbits: bridgeSamples[2 * index], bridgeUnconfinedGbits: bridgeSamples[2 * index + 1], publishedGbits: publishedSamples[index], ...rest });
    }

    console.log(`Machine: ${os.cpus().length} × ${os.cpus()[0]?.model}, kernel ${os.release()}, load average ${os.loadavg().map((load) => load.toFixed(1)).join(' ')}`);
    console.log(`iperf3 ${check('iperf3', ['--version']).split('\n')[0]}; ${iterations} interleaved runs of ${seconds} s each after one warm-up; medians, then every run\n`);
    console.log('TCP throughput, Gbit/s');
    console.log(`  ${'bare veth pair between two namespaces'.padEnd(48)} ${format(bareGbits)}`);
    console.log(`  ${'bare namespaces on a bridge, two veth pairs'.padEnd(48)} ${format(bareBridgeGbits)}`);
    for (const [name, result] of results) {
      console.log(`  ${`${name}, container to container`.padEnd(48)} ${format(result.bridgeGbits)}`);
      console.log(`  ${`${name}, container to container, no seccomp`.padEnd(48)} ${format(result.bridgeUnconfinedGbits)}`);
    }
    for (const [name, result] of results) console.log(`  ${`${name}, host to 127.0.0.1 published`.padEnd(48)} ${format(result.publishedGbits)}`);
    console.log(`\nName lookups in one process (getaddrinfo of the server's name, ${lookups} lookups), µs`);
    for (const [name, result] of results) {
      console.log(`  ${name.padEnd(8)} median ${result.lookup.medianMicroseconds}, p90 ${result.lookup.p90Microseconds}, mean ${result.lookup.meanMicroseconds}`);
    }
    console.log('\nnetwork connect of a running container (API call), ms');
    for (const [name, result] of results) console.log(`  ${name.padEnd(8)} ${format(result.connectMs, 1)}`);

    const berth = results.get('Berth') as EngineResult;
    const dockerResult = results.get('Docker');
    const bridgeRatio = median(berth.bridgeGbits) / median(bareGbits);
    console.log('\nTargets');
    console.log(`  bridge within 5% of the bare pair: ${(bridgeRatio * 100).toFixed(1)}% of it, ${bridgeRatio >= 0.95 ? 'met' : 'missed'}`);
    console.log(`    (bare namespaces on a bridge: ${((median(bareBridgeGbits) / median(bareGbits)) * 100).toFixed(1)}%; Berth without seccomp: ${((median(berth.bridgeUnconfinedGbits) / median(bareGbits)) * 100).toFixed(1)}%)`);
    if (dockerResult) {
      const publishedRatio = median(berth.publishedGbits) / median(dockerResult.publishedGbits);
      console.log(`  published port at least Docker's: ${(publishedRatio * 100).toFixed(0)}% of it, ${publishedRatio >= 1 ? 'met' : 'missed'}`);
    }
    console.log(`  lookup median under 300 µs: ${berth.lookup.medianMicroseconds} µs, ${berth.lookup.medianMicroseconds < 300 ? 'met' : 'missed'}`);
    for (const note of notes) console.log(note);
  } catch (error) {
    const log = fs.readFileSync(daemon.logFile, 'utf8');
    process.stderr.write(`berthd log, last lines:\n${log.split('\n').slice(-15).join('\n')}\n`);
    throw error;
  } finally {
    for (const engine of active) removeEngineObjects(engine);
    bare?.remove();
    bareBridge?.remove();
    await dockerd?.stop();
    await daemon.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
