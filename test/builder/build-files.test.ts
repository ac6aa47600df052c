// Files reaching an image through a real berthd build: WORKDIR ownership,
// .dockerignore exceptions, symlinks in COPY, ADD extracting local archives
// (COPY never does), ADD from a URL on loopback, and context symlinks that
// point outside the context.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fsp from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon';
import { buildOk, postBuild, runInImage, writeContext } from './build-harness';

let daemon: TestDaemon;
let server: http.Server;
let serverPort = 0;
const contexts: string[] = [];

before(async () => {
  daemon = await startDaemon();
  server = http.createServer((request, response) => {
    if (request.url === '/remote.txt') {
      response.end('served over loopback\n');
      return;
    }
    response.statusCode = 404;
    response.end('not found\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serverPort = (server.address() as AddressInfo).port;
});

after(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await daemon?.stop();
  for (const directory of contexts) await fsp.rm(directory, { recursive: true, force: true });
});

// A .tar.gz containing inner/hello.txt, made with the system tar.
async function makeArchive(): Promise<Buffer> {
  const source = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-build-archive-'));
  try {
    await fsp.mkdir(path.join(source, 'inner'));
    await fsp.writeFile(path.join(source, 'inner/hello.txt'), 'hello from the archive\n');
    return execFileSync('tar', ['-C', source, '-czf', '-', 'inner']);
  } finally {
    await fsp.rm(source, { recursive: true, force: true });
  }
}

// Parses "key=value" lines printed by the check script.
function fields(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    const equals = line.indexOf('=');
    if (equals > 0) map.set(line.slice(0, equals), line.slice(equals + 1));
  }
  return map;
}

test('files follow Docker copy rules', async () => {
  const directory = await writeContext({
    Dockerfile: [
      'FROM busybox',
      'USER 1234',
      'WORKDIR /app',
      'USER root',
      'COPY ignored /ignored/',
      'COPY links /links/',
      'ADD archive.tar.gz /added/',
      'COPY archive.tar.gz /copied/',
      'COPY normal.txt /normal.txt',
      `ADD http://127.0.0.1:${serverPort}/remote.txt /remote.txt`,
      '',
    ].join('\n'),
    '.dockerignore': 'ignored\n!ignored/wanted.txt\n',
    'ignored/a.txt': 'excluded\n',
    'ignored/b.txt': 'excluded\n',
    'ignored/wanted.txt': 'brought back\n',
    'links/real.txt': 'real\n',
    'links/dangling': { symlink: 'does-not-exist' },
    'archive.tar.gz': { content: await makeArchive() },
    'normal.txt': 'a normal file\n',
  });
  contexts.push(directory);

  await buildOk(daemon, directory, { tags: ['files-image'] });
  const script = [
    'echo "app_owner=$(stat -c %u /app)"',
    'echo "ignored=$(ls /ignored | tr "\\n" " ")"',
    'echo "dangling=$(readlink /links/dangling)"',
    'echo "added=$(cat /added/inner/hello.txt)"',
    'echo "copied=$(ls /copied | tr "\\n" " ")"',
    'echo "normal=$(cat /normal.txt)"',
    'echo "remote=$(cat /remote.txt)"',
  ].join('; ');
  const result = fields(await runInImage(daemon, 'files-image', ['sh', '-c', script]));

  assert.equal(result.get('app_owner'), '1234');
  assert.equal(result.get('ignored'), 'wanted.txt ');
  assert.equal(result.get('dangling'), 'does-not-exist');
  assert.equal(result.get('added'), 'hello from the archive');
  assert.equal(result.get('copied'), 'archive.tar.gz ');
  assert.equal(result.get('normal'), 'a normal file');
  assert.equal(result.get('remote'), 'served over loopback');
});

test('copied directory keeps symlinks', async () => {
  const directory = await writeContext({
    Dockerfile: ['FROM busybox', 'COPY normal.txt /normal.txt', 'COPY tree /tree/', ''].join('\n'),
    'normal.txt': 'inside the context\n',
    'tree/outside': { symlink: '/etc/hostname' },
  });
  contexts.push(directory);

  await buildOk(daemon, directory, { tags: ['symlink-image'] });
  const script = 'echo "normal=$(cat /normal.txt)"; echo "tree=$(readlink /tree/outside)"';
  const result = fields(await runInImage(daemon, 'symlink-image', ['sh', '-c', script]));

  // Positive control: a regular file of the context is copied.
  assert.equal(result.get('normal'), 'inside the context');
  // The link is copied as a link, so it names the container's own /etc/hostname, never the host's content.
  assert.equal(result.get('tree'), '/etc/hostname');
});

test('symlink out of context not followed', async () => {
  const directory = await writeContext({
    Dockerfile: ['FROM busybox', 'COPY outside /copied-outside', ''].join('\n'),
    outside: { symlink: '/etc/hostname' },
  });
  contexts.push(directory);

  // The link resolves inside the context root, where no etc/hostname exists.
  const outcome = await postBuild(daemon, directory, { tags: ['symlink-alone'] });
  assert.match(outcome.error ?? '', /^Dockerfile:2: COPY failed: file not found in build context/);
  assert.equal(outcome.imageId, null);
});
