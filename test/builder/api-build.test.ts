// POST /build decoding and streaming through the in-process API server,
// with an engine double whose build reads the context and reports by target.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Readable } from 'node:stream';
import { decodeBuildRequest } from '../../src/api/decode/build-request';
import type { BuildProgress, BuildRequest, BuildResult } from '../../src/builder/types';
import { InvalidArgumentError, NotFoundError } from '../../src/common/errors';
import { startHarness, type Harness } from '../api/api-harness';
import { InMemoryEngineDouble } from '../api/in-memory-engine-double';

const IMAGE_ID = `sha256:${'cd'.repeat(32)}`;

class FailingBuildError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

class BuildEngineDouble extends InMemoryEngineDouble {
  readonly requests: (Omit<BuildRequest, 'context' | 'signal'> & { contextBytes: number })[] = [];
  aborted = 0;

  override async build(request: BuildRequest, progress: BuildProgress): Promise<BuildResult> {
    let contextBytes = 0;
    for await (const chunk of request.context) contextBytes += (chunk as Buffer).length;
    const { context: _context, signal: _signal, ...rest } = request;
    this.requests.push({ ...rest, contextBytes });

    if (request.target === 'wait-for-abort') {
      progress({ stream: 'Step 1/1 : RUN sleep 1000\n' });
      await new Promise<void>((resolve) => request.signal.addEventListener('abort', () => resolve(), { once: true }));
      this.aborted++;
      throw new Error('build aborted: the client went away');
    }
    if (request.target === 'missing-base') throw new NotFoundError('pull access denied for nothing-here, repository does not exist');
    progress({ stream: 'Step 1/2 : FROM busybox\n' });
    if (request.target === 'failing-run') throw new FailingBuildError("The command '/bin/sh -c exit 2' returned a non-zero code: 2", 2);
    progress({ aux: { ID: IMAGE_ID } });
    return { imageId: IMAGE_ID, tags: request.tags };
  }

  override async pruneBuildCache(options: { all: boolean }): Promise<{ cachesDeleted: string[]; spaceReclaimed: number }> {
    return { cachesDeleted: options.all ? ['one', 'two'] : ['one'], spaceReclaimed: 42 };
  }
}

let harness: Harness;
let engine: BuildEngineDouble;

before(async () => {
  engine = new BuildEngineDouble();
  harness = await startHarness(engine);
});

after(async () => {
  await harness?.close();
});

function lines(text: string): Record<string, unknown>[] {
  return text
    .split('\r\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

test('build request decoding', () => {
  const query = new URLSearchParams();
  for (const tag of ['one', 'two:2']) query.append('t', tag);
  query.set('dockerfile', 'sub/Dockerfile.dev');
  query.set('buildargs', JSON.stringify({ A: '1', B: null }));
  query.set('labels', JSON.stringify({ x: 'y' }));
  query.set('nocache', '1');
  query.set('pull', 'true');
  query.set('q', '1');
  query.set('target', 'final');
  query.set('networkmode', 'none');
  query.set('platform', 'linux/amd64');
  const signal = new AbortController().signal;
  const request = decodeBuildRequest(query, { 'x-registry-config': 'e30=' }, Readable.from([]), signal);

  assert.deepEqual(request.tags, ['one', 'two:2']);
  assert.equal(request.dockerfile, 'sub/Dockerfile.dev');
  assert.deepEqual(request.buildArgs, { A: '1', B: null });
  assert.deepEqual(request.labels, { x: 'y' });
  assert.equal(request.noCache, true);
  assert.equal(request.pull, 'always');
  assert.equal(request.quiet, true);
  assert.equal(request.target, 'final');
  assert.equal(request.networkMode, 'none');
  assert.equal(request.platform, 'linux/amd64');
  assert.equal(request.registryConfig, 'e30=');

  const defaults = decodeBuildRequest(new URLSearchParams(), {}, Readable.from([]), signal);
  assert.equal(defaults.dockerfile, 'Dockerfile');
  assert.equal(defaults.pull, 'missing');
  assert.equal(defaults.networkMode, 'default');
  assert.equal(defaults.registryConfig, null);

  assert.throws(() => decodeBuildRequest(new URLSearchParams({ buildargs: '[1]' }), {}, Readable.from([]), signal), InvalidArgumentError);
  assert.throws(() => decodeBuildRequest(new URLSearchParams({ networkmode: 'container:x' }), {}, Readable.from([]), signal), /invalid networkmode "container:x"/);
});

test('build streams messages', async () => {
  const response = await harness.request('POST', '/v1.47/build?t=demo&buildargs=%7B%22A%22%3A%221%22%7D', Buffer.from('context bytes'), { 'Content-Type': 'application/x-tar' });
  assert.equal(response.status, 200);
  assert.equal(response.headers['content-type'], 'application/json');
  assert.deepEqual(lines(response.text), [{ stream: 'Step 1/2 : FROM busybox\n' }, { aux: { ID: IMAGE_ID } }]);
  const recorded = engine.requests.at(-1)!;
  assert.equal(recorded.contextBytes, 'context bytes'.length);
  assert.deepEqual(recorded.tags, ['demo']);
  assert.deepEqual(recorded.buildArgs, { A: '1' });
});

test('build errors before and after output', async () => {
  const early = await harness.request('POST', '/build?target=missing-base', Buffer.from('x'), { 'Content-Type': 'application/x-tar' });
  assert.equal(early.status, 404);
  assert.match(early.json<{ message: string }>().message, /pull access denied/);

  const late = await harness.request('POST', '/build?target=failing-run', Buffer.from('x'), { 'Content-Type': 'application/x-tar' });
  assert.equal(late.status, 200);
  const message = "The command '/bin/sh -c exit 2' returned a non-zero code: 2";
  assert.deepEqual(lines(late.text).at(-1), { errorDetail: { code: 2, message }, error: message });
});

test('build rejects remote and sessions', async () => {
  const remote = await harness.request('POST', '/build?remote=https%3A%2F%2Fexample.invalid%2Frepo.git', Buffer.alloc(0));
  assert.equal(remote.status, 400);
  assert.match(remote.json<{ message: string }>().message, /remote build contexts/);

  const session = await harness.request('POST', '/build?version=2&session=abc', Buffer.alloc(0));
  assert.equal(session.status, 501);
  assert.match(session.json<{ message: string }>().message, /BuildKit sessions/);

  const accepted = await harness.request('POST', '/build?version=1', Buffer.from('ok'));
  assert.equal(accepted.status, 200, 'version=1 is the classic builder and is accepted');
});

test('build prune and ping header', async () => {
  const pruned = await harness.request('POST', '/build/prune?all=1');
  assert.equal(pruned.status, 200);
  assert.deepEqual(pruned.json(), { CachesDeleted: ['one', 'two'], SpaceReclaimed: 42 });

  const ping = await harness.request('GET', '/_ping');
  assert.equal(ping.headers['builder-version'], '1');
});

test('build aborts on disconnect', async () => {
  const request = http.request({ socketPath: harness.socketPath, method: 'POST', path: '/build?target=wait-for-abort', headers: { 'Content-Type': 'application/x-tar' } });
  const firstChunk = new Promise<string>((resolve, reject) => {
    request.on('response', (response) => response.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    request.on('error', reject);
  });
  request.end('context');
  assert.match(await firstChunk, /RUN sleep 1000/);

  request.destroy();
  for (let attempt = 0; attempt < 50 && engine.aborted === 0; attempt++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(engine.aborted, 1, 'the build saw its signal abort after the client disconnected');
});
