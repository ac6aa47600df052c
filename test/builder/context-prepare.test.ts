import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import pino from 'pino';
import tar from 'tar-stream';
import { prepareContext } from '../../src/builder/context';

const logger = pino({ level: 'silent' });

function temporaryDirectory(t: { after: (fn: () => void) => void }): string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-context-'));
  t.after(() => fs.rmSync(directory, { recursive: true, force: true }));
  return directory;
}

type Entry = { name: string; type?: 'file' | 'directory' | 'symlink' | 'link'; content?: string; linkname?: string };

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const entry of entries) {
    pack.entry({ name: entry.name, type: entry.type ?? 'file', linkname: entry.linkname, mode: entry.type === 'directory' ? 0o755 : 0o644 }, entry.content ?? '');
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

test('context extraction keeps entries inside', async (t) => {
  const root = temporaryDirectory(t);
  const directory = path.join(root, 'context');
  fs.mkdirSync(directory);
  const archive = await tarOf([
    { name: 'Dockerfile', content: 'FROM busybox\n' },
    { name: '../escape.txt', content: 'out' },
    { name: '/absolute.txt', content: 'abs' },
    { name: 'link', type: 'symlink', linkname: '/etc' },
    { name: 'link/passwd-copy', content: 'via link' },
    { name: 'dangling', type: 'symlink', linkname: 'nowhere' },
    { name: 'dir/', type: 'directory' },
    { name: 'dir/file.txt', content: 'hello' },
    { name: 'dir/hard', type: 'link', linkname: 'dir/file.txt' },
  ]);

  const result = await prepareContext(Readable.from([archive]), directory, 'Dockerfile', logger);

  assert.equal(result.dockerfileText, 'FROM busybox\n');
  assert.equal(result.dockerfileName, 'Dockerfile');
  assert.equal(fs.existsSync(path.join(root, 'escape.txt')), false);
  assert.equal(fs.existsSync(path.join(directory, 'absolute.txt')), false);
  assert.equal(fs.readlinkSync(path.join(directory, 'link')), '/etc');
  assert.equal(fs.existsSync('/etc/passwd-copy'), false);
  assert.equal(fs.readFileSync(path.join(directory, 'etc/passwd-copy'), 'utf8'), 'via link');
  assert.equal(fs.readlinkSync(path.join(directory, 'dangling')), 'nowhere');
  assert.equal(fs.readFileSync(path.join(directory, 'dir/hard'), 'utf8'), 'hello');
});

test('context missing Dockerfile message', async (t) => {
  const directory = temporaryDirectory(t);
  const archive = await tarOf([{ name: 'other.txt', content: 'x' }]);
  await assert.rejects(prepareContext(Readable.from([archive]), directory, 'build/Dockerfile.dev', logger), /Cannot locate specified Dockerfile: build\/Dockerfile\.dev/);
});

test('context dockerignore removes files', async (t) => {
  const directory = temporaryDirectory(t);
  const archive = await tarOf([
    { name: 'Dockerfile', content: 'FROM scratch\n' },
    { name: '.dockerignore', content: 'Dockerfile\n.dockerignore\nsecret\n!secret/keep.txt\n*.log\n' },
    { name: 'secret/keep.txt', content: 'keep' },
    { name: 'secret/drop.txt', content: 'drop' },
    { name: 'app.log', content: 'log' },
    { name: 'app.txt', content: 'app' },
  ]);

  const result = await prepareContext(Readable.from([archive]), directory, 'Dockerfile', logger);

  assert.equal(result.dockerfileText, 'FROM scratch\n');
  assert.equal(fs.existsSync(path.join(directory, 'Dockerfile')), false);
  assert.equal(fs.existsSync(path.join(directory, '.dockerignore')), false);
  assert.equal(fs.existsSync(path.join(directory, 'secret/drop.txt')), false);
  assert.equal(fs.existsSync(path.join(directory, 'app.log')), false);
  assert.equal(fs.readFileSync(path.join(directory, 'secret/keep.txt'), 'utf8'), 'keep');
  assert.equal(fs.readFileSync(path.join(directory, 'app.txt'), 'utf8'), 'app');
});

test('context compressed archives', async (t) => {
  const archive = await tarOf([{ name: 'Dockerfile', content: 'FROM busybox\nRUN true\n' }]);
  const source = path.join(temporaryDirectory(t), 'context.tar');
  fs.writeFileSync(source, archive);

  for (const [tool, extension] of [['gzip', 'gz'], ['bzip2', 'bz2'], ['xz', 'xz']]) {
    execFileSync(tool, ['-kf', source]);
    const directory = temporaryDirectory(t);
    const compressed = fs.readFileSync(`${source}.${extension}`);
    assert.notDeepEqual(compressed.subarray(0, 4), archive.subarray(0, 4), `${tool} output differs from the plain tar`);
    const result = await prepareContext(Readable.from([compressed]), directory, 'Dockerfile', logger);
    assert.equal(result.dockerfileText, 'FROM busybox\nRUN true\n', `context compressed with ${tool}`);
  }
});

test('context invalid archive message', async (t) => {
  const directory = temporaryDirectory(t);
  const garbage = Buffer.from('this is plain text and not a tar archive of any kind');
  await assert.rejects(prepareContext(Readable.from([garbage]), directory, 'Dockerfile', logger), /^Error: extract build context: Unexpected end of data/);

  const empty = temporaryDirectory(t);
  await assert.rejects(prepareContext(Readable.from([]), empty, 'Dockerfile', logger), /Cannot locate specified Dockerfile: Dockerfile/);
});

// Lists files, links and non-empty directories below directory as sorted relative paths.
function listFiles(directory: string, relative = ''): string[] {
  const names: string[] = [];
  for (const entry of fs.readdirSync(path.join(directory, relative), { withFileTypes: true })) {
    const entryPath = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) names.push(...listFiles(directory, entryPath));
    else names.push(entryPath);
  }
  return names.sort();
}

test('context server filtering matches client', async (t) => {
  const { packContext } = await import('../../src/cli/commands/build-context');
  const cases = ['secret\n!secret/keep.txt\n*.log\n', '**/*.md\n!docs/keep.md\n', '*\n!src\n', 'docs/**\nDockerfile\n.dockerignore\n', 'src/\n!src/sub\n'];

  for (const [index, ignore] of cases.entries()) {
    const source = temporaryDirectory(t);
    const files = ['Dockerfile', 'a.txt', 'b.log', 'secret/keep.txt', 'secret/drop.txt', 'docs/readme.md', 'docs/keep.md', 'src/main.c', 'src/sub/deep.log'];
    for (const name of files) {
      fs.mkdirSync(path.dirname(path.join(source, name)), { recursive: true });
      fs.writeFileSync(path.join(source, name), name);
    }
    fs.writeFileSync(path.join(source, '.dockerignore'), ignore);

    // Everything, as an API client that does not read .dockerignore would send it.
    const everything = execFileSync('tar', ['-C', source, '-cf', '-', '.'], { maxBuffer: 1 << 26 });
    const fromEverything = temporaryDirectory(t);
    await prepareContext(Readable.from([everything]), fromEverything, 'Dockerfile', logger);

    const packed = await packContext(source, 'Dockerfile', null);
    const fromClient = temporaryDirectory(t);
    await prepareContext(packed.archive, fromClient, 'Dockerfile', logger);

    assert.deepEqual(listFiles(fromEverything), listFiles(fromClient), `case ${index}: ${JSON.stringify(ignore)}`);
    assert.ok(listFiles(fromClient).length > 0, `case ${index} keeps some files`);
  }
});
