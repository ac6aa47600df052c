// Instructions beyond COPY and RUN basics through a real berthd: the image
// config they write, heredocs, RUN mounts and networks, ONBUILD triggers,
// parallel stages and quiet output.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { request, startDaemon, type TestDaemon } from '../helpers/daemon';
import { buildOk, ContextDirectories, type ContextEntry, findCacheMount, postBuild, runInImage } from './build-harness';

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

interface InspectedConfig {
  Cmd: string[] | null;
  Entrypoint: string[] | null;
  Env: string[];
  ExposedPorts: Record<string, object>;
  Volumes: Record<string, object>;
  User: string;
  WorkingDir: string;
  StopSignal: string;
  Labels: Record<string, string>;
  OnBuild: string[] | null;
  Shell?: string[];
}

async function inspectConfig(image: string): Promise<InspectedConfig> {
  const response = await request(daemon.socketPath, 'GET', `/images/${image}/json`);
  assert.equal(response.status, 200, response.body.toString());
  return response.json<{ Config: InspectedConfig }>().Config;
}

test('config instructions fill the image config', async () => {
  const directory = await context(
    [
      'FROM busybox',
      'ENV A=1 B="two words"',
      'LABEL version="1.0" team=build',
      'EXPOSE 80 53/udp 8000-8001',
      'VOLUME ["/data"]',
      'STOPSIGNAL SIGINT',
      'WORKDIR /srv',
      'WORKDIR sub',
      'USER nobody',
      'ENTRYPOINT ["echo"]',
      'ONBUILD RUN echo triggered > /triggered',
      '',
    ].join('\n'),
  );
  await buildOk(daemon, directory, { tags: ['config-image'], labels: { extra: 'from-request' } });
  const config = await inspectConfig('config-image');

  assert.ok(config.Env.includes('A=1'));
  assert.ok(config.Env.includes('B=two words'));
  assert.deepEqual(config.Labels, { version: '1.0', team: 'build', extra: 'from-request' });
  assert.deepEqual(Object.keys(config.ExposedPorts).sort(), ['53/udp', '80/tcp', '8000/tcp', '8001/tcp']);
  assert.deepEqual(Object.keys(config.Volumes), ['/data']);
  assert.equal(config.StopSignal, 'SIGINT');
  assert.equal(config.WorkingDir, '/srv/sub');
  assert.equal(config.User, 'nobody');
  assert.deepEqual(config.Entrypoint, ['echo']);
  // ENTRYPOINT clears the CMD inherited from busybox.
  assert.equal(config.Cmd, null);
  assert.deepEqual(config.OnBuild, ['RUN echo triggered > /triggered']);
});

test('ONBUILD triggers run in the child', async () => {
  const parent = await context('FROM busybox\nONBUILD RUN echo triggered > /triggered\n');
  await buildOk(daemon, parent, { tags: ['onbuild-parent'] });

  const child = await context('FROM onbuild-parent\nCMD ["cat", "/triggered"]\n');
  const outcome = await buildOk(daemon, child, { tags: ['onbuild-child'] });
  assert.match(outcome.output, /^# Executing 1 build trigger$/m);
  assert.equal(await runInImage(daemon, 'onbuild-child', []), 'triggered\n');

  const config = await inspectConfig('onbuild-child');
  assert.ok(config.OnBuild === null || config.OnBuild.length === 0, `OnBuild: ${JSON.stringify(config.OnBuild)}`);
});

test('heredocs run as scripts', async () => {
  const directory = await context(
    [
      'FROM busybox',
      'ARG NAME=world',
      'RUN <<EOF',
      'echo "hello $NAME" > /greeting',
      'echo second line >> /greeting',
      'EOF',
      'RUN <<EOF',
      '#!/bin/sh',
      'echo "from a shebang script" > /shebang',
      'EOF',
      'COPY <<EOF /inline.txt',
      'inline $NAME',
      'EOF',
      'SHELL ["/bin/sh", "-e", "-c"]',
      'RUN cat <<EOF > /piped',
      'piped text',
      'EOF',
      '',
    ].join('\n'),
  );
  await buildOk(daemon, directory, { tags: ['heredoc-image'] });
  const printed = await runInImage(daemon, 'heredoc-image', ['cat', '/greeting', '/shebang', '/inline.txt', '/piped']);
  assert.equal(printed, 'hello world\nsecond line\nfrom a shebang script\ninline world\npiped text\n');
});

test('RUN mounts bind context and stages', async () => {
  const directory = await context(
    [
      'FROM busybox AS tools',
      'RUN echo "tool output" > /tool.txt',
      'FROM busybox',
      'RUN --mount=type=bind,source=input,target=/input cat /input/value.txt > /from-context',
      'RUN --mount=type=bind,from=tools,source=/tool.txt,target=/mnt/tool.txt cat /mnt/tool.txt > /from-stage',
      'RUN --mount=type=bind,source=input,target=/input,rw echo changed > /input/value.txt',
      'RUN --mount=type=tmpfs,target=/scratch touch /scratch/file && ls /scratch > /scratch-listing',
      'RUN --mount=type=bind,source=input,target=/input ! touch /input/read-only-probe 2>/dev/null && echo read-only > /bind-mode',
      '',
    ].join('\n'),
    { 'input/value.txt': 'context value\n' },
  );
  await buildOk(daemon, directory, { tags: ['mount-image'] });
  const printed = await runInImage(daemon, 'mount-image', ['sh', '-c', 'cat /from-context /from-stage /scratch-listing /bind-mode; ls /input 2>&1 | head -1']);
  assert.equal(printed.split('\n').slice(0, 4).join('\n'), 'context value\ntool output\nfile\nread-only');
  // Mounts are gone from the image, because /input was only a mount target.
  assert.doesNotMatch(printed.split('\n')[4] ?? '', /value\.txt/);
  // The rw mount wrote to a copy, so the context file is unchanged.
  assert.equal(await fsp.readFile(`${directory}/input/value.txt`, 'utf8'), 'context value\n');
});

test('RUN network none has no interfaces', async () => {
  const directory = await context(
    ['FROM busybox', 'RUN --network=none ls /sys/class/net > /none-net', 'RUN ls /sys/class/net > /default-net', ''].join('\n'),
  );
  await buildOk(daemon, directory, { tags: ['network-image'] });
  assert.equal(await runInImage(daemon, 'network-image', ['cat', '/none-net']), 'lo\n');
  // Positive control: the default network has an interface besides loopback.
  assert.match(await runInImage(daemon, 'network-image', ['cat', '/default-net']), /eth0/);
});

test('independent stages build in parallel', async () => {
  const directory = await context(
    [
      'FROM busybox AS one',
      'RUN sleep 1.5 && echo one > /one',
      'FROM busybox AS two',
      'RUN sleep 1.5 && echo two > /two',
      'FROM busybox',
      'COPY --from=one /one /one',
      'COPY --from=two /two /two',
      '',
    ].join('\n'),
  );
  const started = Date.now();
  const outcome = await buildOk(daemon, directory, { tags: ['parallel-image'] });
  const elapsed = Date.now() - started;

  assert.ok(elapsed < 2900, `two 1.5 s stages took ${elapsed} ms, so they ran one after the other`);
  // The output still comes in Dockerfile order.
  assert.ok(outcome.output.indexOf('Step 2/7') < outcome.output.indexOf('Step 3/7'));
  assert.equal(await runInImage(daemon, 'parallel-image', ['cat', '/one', '/two']), 'one\ntwo\n');
});

test('quiet build sends only the ID', async () => {
  const directory = await context('FROM busybox\nRUN echo noisy\n');
  const outcome = await postBuild(daemon, directory, { quiet: true, noCache: true });
  assert.equal(outcome.error, null);
  assert.match(outcome.imageId ?? '', /^sha256:[0-9a-f]{64}$/);
  assert.equal(outcome.output, '');
});

// Two parallel stages write start and end lines into one cache mount around a sleep.
async function cacheMountLog(sharing: string): Promise<string[]> {
  const id = `sharing-${randomBytes(4).toString('hex')}`;
  const step = (name: string): string =>
    `RUN --mount=type=cache,id=${id},target=/c,sharing=${sharing} echo start-${name} >> /c/log && sleep 1 && echo end-${name} >> /c/log`;
  const directory = await context(
    ['FROM busybox AS one', step('one'), 'FROM busybox AS two', step('two'), 'FROM busybox', 'COPY --from=one /etc/passwd /one', 'COPY --from=two /etc/passwd /two', ''].join('\n'),
  );
  await buildOk(daemon, directory, { noCache: true });

  const mount = await findCacheMount(daemon, createHash('sha256').update(id).digest('hex').slice(0, 32));
  assert.ok(mount, `cache mount ${id} not found`);
  const text = await fsp.readFile(path.join(mount, 'log'), 'utf8');
  return text.split('\n').filter((line) => line !== '').map((line) => line.replace(/-(one|two)$/, ''));
}

test('locked cache mount serializes steps', async () => {
  assert.deepEqual(await cacheMountLog('locked'), ['start', 'end', 'start', 'end']);
  // Positive control: shared lets both steps in at once.
  assert.deepEqual(await cacheMountLog('shared'), ['start', 'start', 'end', 'end']);
});
