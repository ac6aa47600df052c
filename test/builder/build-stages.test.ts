// Multi-stage builds through POST /build against a real berthd: COPY --from
// by stage name and by index, --target building only the stages it needs,
// and Docker's ARG scoping.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request, startDaemon, type TestDaemon } from '../helpers/daemon';
import { buildOk, ContextDirectories, type ContextEntry, postBuild, runInImage } from './build-harness';

let daemon: TestDaemon;
const contexts = new ContextDirectories();

before(async () => {
  daemon = await startDaemon();
});

after(async () => {
  await daemon?.stop();
  await contexts.removeAll();
});

function context(dockerfile: string, files: Record<string, ContextEntry> = {}): Promise<string> {
  return contexts.create(dockerfile, files);
}

const MULTI_STAGE = [
  'FROM busybox AS builder',
  'RUN mkdir /out && echo "from builder" > /out/message',
  '',
  'FROM busybox AS broken',
  'RUN exit 3',
  '',
  'FROM busybox',
  'COPY --from=builder /out/message /by-name',
  'COPY --from=0 /out/message /by-index',
  'CMD ["cat", "/by-name", "/by-index"]',
  '',
].join('\n');

test('multi-stage copies by name and index', async () => {
  const directory = await context(MULTI_STAGE);
  const outcome = await buildOk(daemon, directory, { tags: ['stages-final'] });

  assert.match(outcome.output, /^Step 1\/6 : FROM busybox AS builder$/m);
  assert.match(outcome.output, /^Step 4\/6 : COPY --from=builder \/out\/message \/by-name$/m);
  assert.match(outcome.output, /^Successfully built [0-9a-f]{12}$/m);
  assert.match(outcome.output, /^Successfully tagged stages-final:latest$/m);
  // The broken stage is not needed by the last stage, so it never runs.
  assert.doesNotMatch(outcome.output, /exit 3/);

  const printed = await runInImage(daemon, 'stages-final', []);
  assert.equal(printed, 'from builder\nfrom builder\n');
});

test('target builds only its stages', async () => {
  const directory = await context(MULTI_STAGE);
  const builder = await buildOk(daemon, directory, { target: 'builder', tags: ['stages-builder'] });
  assert.match(builder.output, /^Step 2\/2 : RUN mkdir/m);

  const listing = await runInImage(daemon, 'stages-builder', ['ls', '/out', '/']);
  assert.match(listing, /message/);
  assert.doesNotMatch(listing, /by-name/);

  // Positive control: the broken stage does fail when it is the target.
  const broken = await postBuild(daemon, directory, { target: 'broken' });
  assert.equal(broken.errorCode, 3);
  assert.equal(broken.error, "The command '/bin/sh -c exit 3' returned a non-zero code: 3");

  const unknown = await postBuild(daemon, directory, { target: 'nope' });
  assert.equal(unknown.error, 'failed to reach build target nope in Dockerfile');
});

test('global ARG redeclared carries its value', async () => {
  const directory = await context(
    ['ARG VERSION=1.2', 'FROM busybox', 'ARG VERSION', 'RUN echo "version=$VERSION" > /with', 'CMD ["cat", "/with"]', ''].join('\n'),
  );
  await buildOk(daemon, directory, { tags: ['arg-with'] });
  assert.equal(await runInImage(daemon, 'arg-with', []), 'version=1.2\n');

  await buildOk(daemon, directory, { tags: ['arg-override'], buildArgs: { VERSION: '3.4' } });
  assert.equal(await runInImage(daemon, 'arg-override', []), 'version=3.4\n');
});

test('global ARG without redeclaration is empty', async () => {
  const directory = await context(
    ['ARG VERSION=1.2', 'ARG BASE=busybox', 'FROM $BASE', 'RUN echo "version=$VERSION" > /without', 'CMD ["cat", "/without"]', ''].join('\n'),
  );
  const outcome = await buildOk(daemon, directory, { tags: ['arg-without'], buildArgs: { UNUSED: 'x' } });
  assert.equal(await runInImage(daemon, 'arg-without', []), 'version=\n');
  assert.match(outcome.output, /^\[Warning\] One or more build-args \[UNUSED\] were not consumed$/m);
});

test('ARG stays out of config', async () => {
  const directory = await context(
    ['FROM busybox', 'ARG SECRET_LEVEL=low', 'ENV KEPT=yes', 'RUN echo "$SECRET_LEVEL $KEPT" > /seen', 'CMD ["cat", "/seen"]', ''].join('\n'),
  );
  await buildOk(daemon, directory, { tags: ['arg-config'] });
  assert.equal(await runInImage(daemon, 'arg-config', []), 'low yes\n');

  const inspect = await request(daemon.socketPath, 'GET', '/images/arg-config/json');
  const env = inspect.json<{ Config: { Env: string[] } }>().Config.Env;
  assert.ok(env.includes('KEPT=yes'), `Env: ${env.join(' ')}`);
  assert.ok(!env.some((entry) => entry.startsWith('SECRET_LEVEL=')), `Env: ${env.join(' ')}`);
});

test('platform ARGs reach FROM and stages', async () => {
  const directory = await context(
    ['FROM --platform=$BUILDPLATFORM busybox', 'ARG TARGETARCH', 'ARG TARGETPLATFORM', 'RUN echo "$TARGETARCH $TARGETPLATFORM" > /platform', 'CMD ["cat", "/platform"]', ''].join('\n'),
  );
  await buildOk(daemon, directory, { tags: ['platform-args'] });

  const architecture = { x64: 'amd64', arm64: 'arm64' }[process.arch as 'x64' | 'arm64'] ?? process.arch;
  assert.equal(await runInImage(daemon, 'platform-args', []), `${architecture} linux/${architecture}\n`);
});
