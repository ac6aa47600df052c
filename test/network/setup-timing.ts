// Measures the network service's per-container steps with real kernel objects:
// prepareSandbox, connect, publish and releaseSandbox, on the default bridge and
// on a user network. Run after `npx tsc -p .` as
//   node dist/test/network/setup-timing.js [rounds]
// and under `strace -f -e trace=execve` to count the programs each step starts.
// It is a measurement script, not a test, so `node --test` does not pick it up.
import { performance } from 'node:perf_hooks';
import { startNetworking } from './helpers';

interface StepTimes {
  prepare: number[];
  connect: number[];
  publish: number[];
  release: number[];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timed<T>(list: number[], step: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await step();
  list.push(performance.now() - start);
  return result;
}

async function measure(networkName: string, rounds: number, withPort: boolean): Promise<StepTimes> {
  const networking = await startNetworking();
  const { service } = networking;
  const times: StepTimes = { prepare: [], connect: [], publish: [], release: [] };
  try {
    if (networkName !== 'bridge') await service.create({ name: networkName, driver: 'bridge' });
    for (let round = 0; round < rounds; round++) {
      const id = `timing${round.toString().padStart(4, '0')}${'0'.repeat(52)}`;
      await timed(times.prepare, () => service.prepareSandbox(id));
      await timed(times.connect, () => service.connect(id, networkName, { name: `c${round}`, aliases: [] }));
      if (withPort) await timed(times.publish, () => service.publish(id, [{ hostIp: '127.0.0.1', hostPort: 0, containerPort: 80, protocol: 'tcp' }]));
      await timed(times.release, () => service.releaseSandbox(id));
    }
  } finally {
    await networking.cleanup();
  }
  return times;
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? '20');
  for (const [networkName, withPort] of [['bridge', false], ['timingnet', false], ['bridge', true]] as const) {
    const times = await measure(networkName, rounds, withPort);
    const row = Object.entries(times)
      .filter(([, list]) => list.length > 0)
      .map(([step, list]) => `${step} ${median(list).toFixed(1)} ms`)
      .join(', ');
    process.stdout.write(`${networkName}${withPort ? ' with -p' : ''}: median of ${rounds}: ${row}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`setup timing failed: ${String(error)}\n`);
  process.exitCode = 1;
});
