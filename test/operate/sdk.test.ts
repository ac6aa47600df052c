// dockerode against berthd: archive round trip and stats.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Docker from 'dockerode';
import { startDaemon, type TestDaemon } from '../helpers/daemon';

let daemon: TestDaemon;
let client: Docker;
let container: Docker.Container;

before(async () => {
  daemon = await startDaemon();
  client = new Docker({ socketPath: daemon.socketPath });
  container = await client.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'while true; do echo tick > /dev/null; done'] });
  await container.start();
});

after(async () => {
  await daemon?.stop();
});

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

test('archive round trip', async () => {
  const original = await readAll(await container.getArchive({ path: '/etc/hostname' }));
  assert.ok(original.length >= 1024, `tar of ${original.length} bytes`);
  await container.putArchive(original, { path: '/tmp' });
  const copy = await readAll(await container.getArchive({ path: '/tmp/hostname' }));
  // The tar headers match apart from times, so compare the file's content block.
  assert.equal(copy.subarray(512, 1024).toString().replace(/\0+$/, ''), original.subarray(512, 1024).toString().replace(/\0+$/, ''));
  assert.match(copy.subarray(0, 100).toString(), /^hostname\0/);
});

test('stats once and streamed', async () => {
  const sample = (await container.stats({ stream: false })) as unknown as Docker.ContainerStats;
  assert.ok(sample.memory_stats.usage > 0);
  assert.ok((sample.pids_stats?.current ?? 0) >= 1);
  assert.ok(sample.cpu_stats.cpu_usage.total_usage > 0);

  const stream = (await container.stats({ stream: true })) as unknown as NodeJS.ReadableStream & { destroy(): void };
  const samples: Docker.ContainerStats[] = [];
  let buffered = '';
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        samples.push(JSON.parse(buffered.slice(0, newline)) as Docker.ContainerStats);
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
      }
      if (samples.length >= 2) {
        stream.destroy();
        resolve();
      }
    });
    stream.on('error', reject);
  });
  const [first, second] = samples;
  assert.ok(second.cpu_stats.cpu_usage.total_usage >= first.cpu_stats.cpu_usage.total_usage);
  // A busy loop uses CPU between two samples about a second apart.
  assert.ok(second.cpu_stats.cpu_usage.total_usage > second.precpu_stats.cpu_usage.total_usage);
  assert.ok(second.memory_stats.usage > 0);
  assert.ok(second.memory_stats.usage < 512 * 1024 * 1024);
});
