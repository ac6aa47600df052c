// Checks berth build's context packing against the real docker CLI: both
// send their build request to a small HTTP server on a unix socket in a
// temporary directory, and the tars they send must contain the same entries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { runCommand } from '../helpers/cli';
import { BERTH, DOCKER } from '../helpers/daemon';

const IMAGE_ID = `sha256:${'ab'.repeat(32)}`;

interface CapturedBuild {
  query: URLSearchParams;
  body: Buffer;
}

// Starts a server that replies to /_ping as a daemon with the classic builder and records POST /build.
async function startCaptureServer(socketPath: string): Promise<{ builds: CapturedBuild[]; close: () => Promise<void> }> {
  const builds: CapturedBuild[] = [];
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (url.pathname.endsWith('/_ping')) {
        response.writeHead(200, { 'Api-Version': '1.50', 'Builder-Version': '1', OSType: 'linux', 'Content-Type': 'text/plain' });
        response.end(request.method === 'HEAD' ? undefined : 'OK');
        return;
      }
      if (/^(\/v[\d.]+)?\/build$/.test(url.pathname) && request.method === 'POST') {
        builds.push({ query: url.searchParams, body: Buffer.concat(chunks) });
        response.writeHead(200, { 'Content-Type': 'application/json' });
        if (url.searchParams.get('t') === 'fail') {
          const message = "The command '/bin/sh -c exit 2' returned a non-zero code: 2";
          response.end(`${JSON.stringify({ stream: 'Step 1/1 : RUN exit 2\n' })}\r\n${JSON.stringify({ errorDetail: { code: 2, message }, error: message })}\r\n`);
          return;
        }
        response.end(`${JSON.stringify({ stream: 'Step 1/1 : FROM busybox\n' })}\r\n${JSON.stringify({ aux: { ID: IMAGE_ID } })}\r\n${JSON.stringify({ stream: `Successfully built ${IMAGE_ID.slice(7, 19)}\n` })}\r\n`);
        return;
      }
      response.writeHead(404, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ message: `page not found: ${request.method} ${url.pathname}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return { builds, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

// Lists a tar's entries as "type name [-> link] [content]" lines, sorted by name.
async function describeTar(archive: Buffer): Promise<string[]> {
  const lines: string[] = [];
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    stream.on('end', () => {
      const link = header.linkname ? ` -> ${header.linkname}` : '';
      const content = header.type === 'file' ? ` ${JSON.stringify(Buffer.concat(chunks).toString())}` : '';
      lines.push(`${header.type} ${header.name.replace(/\/$/, '')}${link}${content} mode=${(header.mode ?? 0).toString(8)} uid=${header.uid}`);
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
    Readable.from([archive]).pipe(extract);
  });
  return lines.sort();
}

function writeTree(directory: string): void {
  const files: Record<string, string> = {
    Dockerfile: 'FROM busybox\n',
    'a.txt': 'a',
    'b.log': 'b',
    'secret/keep.txt': 'keep',
    'secret/drop.txt': 'drop',
    'docs/readme.md': 'readme',
    'docs/keep.md': 'keep',
    'docs/sub/x.md': 'x',
    'src/main.c': 'int main;',
    'src/sub/deep.log': 'deep',
  };
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(directory, name)), { recursive: true });
    fs.writeFileSync(path.join(directory, name), content);
  }
  fs.mkdirSync(path.join(directory, 'empty'));
  fs.symlinkSync('a.txt', path.join(directory, 'link'));
  fs.symlinkSync('/etc/hostname', path.join(directory, 'outside-link'));
}

const IGNORE_CASES: (string | null)[] = [
  null,
  'secret\n!secret/keep.txt\n*.log\n',
  '**/*.md\n!docs/keep.md\n',
  '*\n!src\n',
  'docs/**\nDockerfile\n.dockerignore\n',
  '# comment\n/a.txt\nsrc/*/deep.log\nempty\n',
  '**\n!src/main.c\n',
  'src/\n!src/sub\n',
  '*.[lm][od]\ndocs/?eep.md\n',
  '  secret/  \n!secret/keep.txt\nsecret/keep.txt\n',
];

test('cli context matches docker cli', async (t) => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-context-compare-'));
  const socketPath = path.join(base, 'docker.sock');
  const capture = await startCaptureServer(socketPath);
  t.after(async () => {
    await capture.close();
    fs.rmSync(base, { recursive: true, force: true });
  });
  const environment = { PATH: process.env.PATH, HOME: base, DOCKER_HOST: `unix://${socketPath}`, DOCKER_BUILDKIT: '0', BERTH_NO_AUTOSTART: '1' };

  for (const [index, ignore] of IGNORE_CASES.entries()) {
    const directory = path.join(base, `context-${index}`);
    fs.mkdirSync(directory);
    writeTree(directory);
    if (ignore !== null) fs.writeFileSync(path.join(directory, '.dockerignore'), ignore);

    const dockerResult = await runCommand(DOCKER, ['build', '-t', 'demo:1', directory], environment);
    assert.equal(dockerResult.exitCode, 0, `docker build case ${index}: ${dockerResult.stderr}`);
    const berthResult = await runCommand(process.execPath, [BERTH, 'build', '--progress', 'plain', '-t', 'demo:1', directory], environment);
    assert.equal(berthResult.exitCode, 0, `berth build case ${index}: ${berthResult.stderr}`);
    assert.match(berthResult.stdout, /Step 1\/1 : FROM busybox/);
    const sizeLine = /Sending build context to Docker daemon +\S+/;
    assert.equal(berthResult.stdout.match(sizeLine)?.[0], dockerResult.stdout.match(sizeLine)?.[0], 'both report the same context size');

    const [fromDocker, fromBerth] = capture.builds.splice(0);
    assert.deepEqual(await describeTar(fromBerth.body), await describeTar(fromDocker.body), `context case ${index}: ${JSON.stringify(ignore)}`);
    assert.deepEqual(fromBerth.query.getAll('t'), fromDocker.query.getAll('t'));
    assert.equal(fromBerth.query.get('dockerfile'), fromDocker.query.get('dockerfile'));
  }
});

test('cli build flags reach the query', async (t) => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-build-flags-'));
  const socketPath = path.join(base, 'docker.sock');
  const capture = await startCaptureServer(socketPath);
  t.after(async () => {
    await capture.close();
    fs.rmSync(base, { recursive: true, force: true });
  });
  const environment = { PATH: process.env.PATH, HOME: base, DOCKER_HOST: `unix://${socketPath}`, DOCKER_BUILDKIT: '0', BERTH_NO_AUTOSTART: '1', FROM_ENV: 'env-value' };
  const directory = path.join(base, 'context');
  fs.mkdirSync(directory);
  writeTree(directory);
  const outsideDockerfile = path.join(base, 'Outside.Dockerfile');
  fs.writeFileSync(outsideDockerfile, 'FROM busybox\nRUN echo outside\n');
  const iidfile = path.join(base, 'iid');

  const args = ['build', '-q', '-t', 'one', '-t', 'two:2', '-f', outsideDockerfile, '--target', 'final', '--build-arg', 'A=1', '--build-arg', 'FROM_ENV', '--build-arg', 'UNSET_ARG', '--label', 'x=y', '--no-cache', '--pull', '--iidfile', iidfile, directory];
  const dockerResult = await runCommand(DOCKER, args, environment);
  assert.equal(dockerResult.exitCode, 0, dockerResult.stderr);
  const berthResult = await runCommand(process.execPath, [BERTH, ...args], environment);
  assert.equal(berthResult.exitCode, 0, berthResult.stderr);
  assert.equal(berthResult.stdout, `${IMAGE_ID}\n`);
  assert.equal(fs.readFileSync(iidfile, 'utf8'), IMAGE_ID);

  const [fromDocker, fromBerth] = capture.builds.splice(0);
  for (const key of ['t', 'target', 'nocache', 'pull', 'q']) {
    assert.deepEqual(fromBerth.query.getAll(key), fromDocker.query.getAll(key), `query parameter ${key}`);
  }
  assert.deepEqual(JSON.parse(fromBerth.query.get('buildargs') ?? ''), JSON.parse(fromDocker.query.get('buildargs') ?? ''));
  assert.deepEqual(JSON.parse(fromBerth.query.get('labels') ?? ''), JSON.parse(fromDocker.query.get('labels') ?? ''));

  // The outside Dockerfile travels under a generated name that .dockerignore then excludes.
  const berthDockerfile = fromBerth.query.get('dockerfile') ?? '';
  assert.match(berthDockerfile, /^\.dockerfile\.[0-9a-f]{20}$/);
  assert.match(fromDocker.query.get('dockerfile') ?? '', /^\.dockerfile\.[0-9a-f]{20}$/);
  const entries = await describeTar(fromBerth.body);
  assert.ok(entries.some((line) => line.startsWith(`file ${berthDockerfile} "FROM busybox\\nRUN echo outside\\n"`)), entries.join('\n'));
  assert.ok(entries.some((line) => line.startsWith('file .dockerignore') && line.includes(berthDockerfile)), entries.join('\n'));
});

test('cli build stdin and failures', async (t) => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-build-stdin-'));
  const socketPath = path.join(base, 'docker.sock');
  const capture = await startCaptureServer(socketPath);
  t.after(async () => {
    await capture.close();
    fs.rmSync(base, { recursive: true, force: true });
  });
  const environment = { PATH: process.env.PATH, HOME: base, BERTH_HOST: `unix://${socketPath}`, BERTH_NO_AUTOSTART: '1' };
  const directory = path.join(base, 'context');
  fs.mkdirSync(directory);
  writeTree(directory);

  // "-" as the context with a Dockerfile on stdin sends a context of only that Dockerfile.
  const onlyDockerfile = await runCommand(process.execPath, [BERTH, 'build', '-'], environment, 'FROM busybox\nRUN echo stdin\n');
  assert.equal(onlyDockerfile.exitCode, 0, onlyDockerfile.stderr);
  const stdinContext = capture.builds.splice(0)[0];
  assert.deepEqual((await describeTar(stdinContext.body)).map((line) => line.split(' mode=')[0]), ['file Dockerfile "FROM busybox\\nRUN echo stdin\\n"']);

  // -f - keeps the directory as the context and sends the Dockerfile under a generated name.
  const dockerfileFromStdin = await runCommand(process.execPath, [BERTH, 'build', '-f', '-', directory], environment, 'FROM busybox\n');
  assert.equal(dockerfileFromStdin.exitCode, 0, dockerfileFromStdin.stderr);
  const withDirectory = capture.builds.splice(0)[0];
  assert.match(withDirectory.query.get('dockerfile') ?? '', /^\.dockerfile\.[0-9a-f]{20}$/);
  assert.ok((await describeTar(withDirectory.body)).some((line) => line.startsWith('file src/main.c')));

  const failed = await runCommand(process.execPath, [BERTH, 'build', '--progress', 'plain', '-t', 'fail', directory], environment);
  assert.equal(failed.exitCode, 1);
  assert.match(failed.stdout, /Step 1\/1 : RUN exit 2/);
  assert.equal(failed.stderr, "The command '/bin/sh -c exit 2' returned a non-zero code: 2\n");
  assert.equal(capture.builds.splice(0).length, 1);

  const missing = await runCommand(process.execPath, [BERTH, 'build', '-f', path.join(directory, 'Nope'), directory], environment);
  assert.equal(missing.exitCode, 1);
  assert.match(missing.stderr, /unable to prepare context: .*Nope: no such file or directory/);
  assert.equal(capture.builds.length, 0, 'nothing is sent when the Dockerfile is missing');

  const badTag = await runCommand(process.execPath, [BERTH, 'build', '-t', 'Bad:Tag:x', directory], environment);
  assert.equal(badTag.exitCode, 1);
  assert.match(badTag.stderr, /invalid argument "Bad:Tag:x" for "-t, --tag" flag/);
});
