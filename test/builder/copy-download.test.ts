import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { planCopy, type CopyOptions } from '../../src/builder/copy';

const LAST_MODIFIED = new Date('2024-01-02T03:04:05Z');

function addOptions(overrides: Partial<CopyOptions> = {}): CopyOptions {
  return { instruction: 'ADD', chown: null, chmod: null, link: false, checksum: null, excludes: [], workingDir: '/', ...overrides };
}

test('add url downloads without extracting', async (t) => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-download-'));
  t.after(() => fs.rmSync(base, { recursive: true, force: true }));
  const root = path.join(base, 'root');
  const temporary = path.join(base, 'tmp');
  fs.mkdirSync(root);
  fs.mkdirSync(temporary);

  const payload = path.join(base, 'payload');
  fs.mkdirSync(payload);
  fs.writeFileSync(path.join(payload, 'inside.txt'), 'inside');
  execFileSync('tar', ['-czf', path.join(base, 'archive.tar.gz'), '-C', payload, 'inside.txt']);
  const archive = fs.readFileSync(path.join(base, 'archive.tar.gz'));
  const digest = `sha256:${createHash('sha256').update(archive).digest('hex')}`;

  const server = http.createServer((request, response) => {
    if (request.url === '/files/archive.tar.gz') {
      response.writeHead(200, { 'Last-Modified': LAST_MODIFIED.toUTCString(), 'Content-Type': 'application/gzip' });
      response.end(archive);
      return;
    }
    response.writeHead(404);
    response.end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/files/archive.tar.gz`;

  const plan = await planCopy(root, [{ kind: 'url', url }], addOptions({ checksum: digest }), temporary);
  await plan.apply(root, '/downloads/');
  await plan.cleanup();

  const downloaded = path.join(root, 'downloads/archive.tar.gz');
  assert.deepEqual(fs.readFileSync(downloaded), archive, 'the archive is stored as downloaded, not extracted');
  const stat = fs.statSync(downloaded);
  assert.equal(stat.mode & 0o777, 0o600);
  assert.equal(stat.mtime.getTime(), LAST_MODIFIED.getTime());
  assert.deepEqual(fs.readdirSync(temporary), [], 'cleanup removes the download');

  await assert.rejects(planCopy(root, [{ kind: 'url', url }], addOptions({ checksum: `sha256:${'0'.repeat(64)}` }), temporary), /digest mismatch/);
  assert.deepEqual(fs.readdirSync(temporary), [], 'a rejected download leaves no file');
  await assert.rejects(planCopy(root, [{ kind: 'url', url: `${url}.missing` }], addOptions(), temporary), /HTTP status 404/);
  await assert.rejects(planCopy(root, [{ kind: 'url', url }], addOptions({ instruction: 'COPY' }), temporary), /source can't be a URL for COPY/);
});
