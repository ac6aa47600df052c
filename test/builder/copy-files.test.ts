import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureDirectory, planCopy, type CopyOptions, type CopySourceSpec } from '../../src/builder/copy';

function temporaryDirectory(t: { after: (fn: () => void) => void }): string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-copy-'));
  t.after(() => fs.rmSync(directory, { recursive: true, force: true }));
  return directory;
}

function options(overrides: Partial<CopyOptions> = {}): CopyOptions {
  return { instruction: 'COPY', chown: null, chmod: null, link: false, checksum: null, excludes: [], workingDir: '/', ...overrides };
}

// A context, an image root with users, groups and a /lib -> usr/lib symlink, and a temporary directory.
function setup(t: { after: (fn: () => void) => void }) {
  const base = temporaryDirectory(t);
  const context = path.join(base, 'context');
  const root = path.join(base, 'root');
  const temporary = path.join(base, 'tmp');
  for (const directory of [context, root, temporary, path.join(root, 'etc'), path.join(root, 'usr/lib')]) fs.mkdirSync(directory, { recursive: true });
  fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:app:/home/app:/bin/sh\n');
  fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\nappgroup:x:1001:\nstaff:x:50:\n');
  fs.symlinkSync('usr/lib', path.join(root, 'lib'));
  return { base, context, root, temporary };
}

async function copy(sourceRoot: string, sources: CopySourceSpec[], copyOptions: CopyOptions, temporary: string, root: string, destination: string): Promise<string> {
  const plan = await planCopy(sourceRoot, sources, copyOptions, temporary);
  try {
    await plan.apply(root, destination);
  } finally {
    await plan.cleanup();
  }
  return plan.digest;
}

test('copy file and directory rules', async (t) => {
  const { context, root, temporary } = setup(t);
  fs.writeFileSync(path.join(context, 'a.txt'), 'A');
  fs.mkdirSync(path.join(context, 'dir/sub'), { recursive: true });
  fs.writeFileSync(path.join(context, 'dir/sub/b.txt'), 'B');
  fs.symlinkSync('missing-target', path.join(context, 'dir/dangling'));

  await copy(context, [{ kind: 'path', path: 'a.txt' }], options(), temporary, root, '/new/parents/renamed.txt');
  assert.equal(fs.readFileSync(path.join(root, 'new/parents/renamed.txt'), 'utf8'), 'A');

  await copy(context, [{ kind: 'path', path: 'a.txt' }], options(), temporary, root, '/into/');
  assert.equal(fs.readFileSync(path.join(root, 'into/a.txt'), 'utf8'), 'A');

  fs.linkSync(path.join(context, 'dir/sub/b.txt'), path.join(context, 'dir/sub/b-link.txt'));
  await copy(context, [{ kind: 'path', path: 'dir' }], options(), temporary, root, '/target');
  const linked = [fs.statSync(path.join(root, 'target/sub/b.txt')), fs.statSync(path.join(root, 'target/sub/b-link.txt'))];
  assert.equal(linked[0].ino, linked[1].ino, 'hard links inside a copied directory stay hard links');
  assert.equal(linked[0].nlink, 2);
  assert.equal(fs.readFileSync(path.join(root, 'target/sub/b.txt'), 'utf8'), 'B');
  assert.equal(fs.existsSync(path.join(root, 'target/dir')), false, 'a directory source copies its contents');
  assert.equal(fs.readlinkSync(path.join(root, 'target/dangling')), 'missing-target');

  // Relative destinations follow WORKDIR, and an existing directory takes the file inside it.
  await copy(context, [{ kind: 'path', path: 'a.txt' }], options({ workingDir: '/usr' }), temporary, root, 'lib');
  assert.equal(fs.readFileSync(path.join(root, 'usr/lib/a.txt'), 'utf8'), 'A');
});

test('copy globs and several sources', async (t) => {
  const { context, root, temporary } = setup(t);
  for (const name of ['one.txt', 'two.txt', 'three.md']) fs.writeFileSync(path.join(context, name), name);

  await copy(context, [{ kind: 'path', path: '*.txt' }], options(), temporary, root, '/texts');
  assert.deepEqual(fs.readdirSync(path.join(root, 'texts')).sort(), ['one.txt', 'two.txt']);

  await assert.rejects(planCopy(context, [{ kind: 'path', path: '*.none' }], options(), temporary), /COPY failed: no source files were specified/);
  await assert.rejects(
    planCopy(context, [{ kind: 'path', path: 'missing.txt' }], options(), temporary),
    /COPY failed: file not found in build context or excluded by \.dockerignore: stat missing\.txt: file does not exist/,
  );
});

test('copy symlinks stay inside roots', async (t) => {
  const { base, context, root, temporary } = setup(t);
  fs.writeFileSync(path.join(context, 'hostname'), 'context hostname');
  fs.symlinkSync('/etc/hostname', path.join(context, 'link-to-host'));
  fs.mkdirSync(path.join(context, 'tree'));
  fs.symlinkSync('/etc/hostname', path.join(context, 'tree/host-link'));

  // Named directly, the link resolves with the context as "/", where /etc/hostname is absent.
  await assert.rejects(planCopy(context, [{ kind: 'path', path: 'link-to-host' }], options(), temporary), /file not found in build context/);
  fs.mkdirSync(path.join(context, 'etc'));
  fs.writeFileSync(path.join(context, 'etc/hostname'), 'context etc hostname');
  await copy(context, [{ kind: 'path', path: 'link-to-host' }], options(), temporary, root, '/copied-link');
  assert.equal(fs.readFileSync(path.join(root, 'copied-link'), 'utf8'), 'context etc hostname');

  // Inside a copied directory the link stays a link.
  await copy(context, [{ kind: 'path', path: 'tree' }], options(), temporary, root, '/tree');
  assert.equal(fs.lstatSync(path.join(root, 'tree/host-link')).isSymbolicLink(), true);

  // A symlink in the image pointing outside is followed inside the root, never to the host.
  const outside = path.join(base, 'outside');
  fs.mkdirSync(outside);
  fs.symlinkSync(outside, path.join(root, 'escape'));
  await copy(context, [{ kind: 'path', path: 'hostname' }], options(), temporary, root, '/escape/');
  assert.deepEqual(fs.readdirSync(outside), []);
  assert.equal(fs.readFileSync(path.join(root, outside, 'hostname'), 'utf8'), 'context hostname');

  // /lib -> usr/lib in the image is followed as it would be inside the container.
  await copy(context, [{ kind: 'path', path: 'hostname' }], options(), temporary, root, '/lib/');
  assert.equal(fs.readFileSync(path.join(root, 'usr/lib/hostname'), 'utf8'), 'context hostname');
});

test('copy chown and chmod', async (t) => {
  const { context, root, temporary } = setup(t);
  fs.writeFileSync(path.join(context, 'f'), 'x', { mode: 0o600 });

  await copy(context, [{ kind: 'path', path: 'f' }], options(), temporary, root, '/default');
  const plain = fs.statSync(path.join(root, 'default'));
  assert.deepEqual([plain.uid, plain.gid, plain.mode & 0o777], [0, 0, 0o600]);

  await copy(context, [{ kind: 'path', path: 'f' }], options({ chown: 'app:staff', chmod: '755' }), temporary, root, '/owned/f');
  const owned = fs.statSync(path.join(root, 'owned/f'));
  assert.deepEqual([owned.uid, owned.gid, owned.mode & 0o777], [1000, 50, 0o755]);

  await copy(context, [{ kind: 'path', path: 'f' }], options({ chown: '42' }), temporary, root, '/numeric');
  const numeric = fs.statSync(path.join(root, 'numeric'));
  assert.deepEqual([numeric.uid, numeric.gid], [42, 42]);

  // A stage root keeps its owners and set-user-ID bits, as Docker's COPY --from does.
  const stage = path.join(root, '..', 'stage');
  fs.mkdirSync(path.join(stage, 'home'), { recursive: true });
  fs.writeFileSync(path.join(stage, 'home/tool'), 'tool');
  fs.chownSync(path.join(stage, 'home/tool'), 1000, 1001);
  fs.chmodSync(path.join(stage, 'home/tool'), 0o4755);
  await copy(stage, [{ kind: 'path', path: '/home' }], options(), temporary, root, '/from-stage');
  const copied = fs.statSync(path.join(root, 'from-stage/tool'));
  assert.deepEqual([copied.uid, copied.gid, copied.mode & 0o7777], [1000, 1001, 0o4755]);
  await copy(stage, [{ kind: 'path', path: '/home' }], options({ keepOwners: false }), temporary, root, '/from-stage-root');
  assert.equal(fs.statSync(path.join(root, 'from-stage-root/tool')).uid, 0);

  await assert.rejects(copy(context, [{ kind: 'path', path: 'f' }], options({ chown: 'nobody-here' }), temporary, root, '/x'), /user "nobody-here".*not in the image's \/etc\/passwd/);
  await assert.rejects(planCopy(context, [{ kind: 'path', path: 'f' }], options({ chmod: 'u+x' }), temporary), /invalid chmod parameter "u\+x"/);
});

test('copy exclude and inline sources', async (t) => {
  const { context, root, temporary } = setup(t);
  fs.mkdirSync(path.join(context, 'src'));
  fs.writeFileSync(path.join(context, 'src/main.c'), 'int main;');
  fs.writeFileSync(path.join(context, 'src/notes.md'), 'notes');

  await copy(context, [{ kind: 'path', path: 'src' }], options({ excludes: ['*.md'] }), temporary, root, '/src');
  assert.deepEqual(fs.readdirSync(path.join(root, 'src')), ['main.c']);

  fs.writeFileSync(path.join(context, 'top.md'), 'top');
  fs.writeFileSync(path.join(context, 'top.txt'), 'top');
  await copy(context, [{ kind: 'path', path: 'top.*' }], options({ excludes: ['*.md'] }), temporary, root, '/tops/');
  assert.deepEqual(fs.readdirSync(path.join(root, 'tops')), ['top.txt']);

  await copy(context, [{ kind: 'inline', name: 'EOF', content: 'hello\n' }], options(), temporary, root, '/greeting');
  assert.equal(fs.readFileSync(path.join(root, 'greeting'), 'utf8'), 'hello\n');
  await copy(context, [{ kind: 'inline', name: 'script.sh', content: 'echo\n', mode: 0o755 }], options(), temporary, root, '/bin/');
  assert.equal(fs.statSync(path.join(root, 'bin/script.sh')).mode & 0o777, 0o755);
});

test('copy digest ignores times', async (t) => {
  const { context, temporary } = setup(t);
  fs.writeFileSync(path.join(context, 'f'), 'one');
  const first = await planCopy(context, [{ kind: 'path', path: 'f' }], options(), temporary);
  fs.utimesSync(path.join(context, 'f'), new Date(1000), new Date(1000));
  const touched = await planCopy(context, [{ kind: 'path', path: 'f' }], options(), temporary);
  fs.writeFileSync(path.join(context, 'f'), 'two');
  const changed = await planCopy(context, [{ kind: 'path', path: 'f' }], options(), temporary);
  const chmodded = await planCopy(context, [{ kind: 'path', path: 'f' }], options({ chmod: '700' }), temporary);

  assert.equal(touched.digest, first.digest);
  assert.notEqual(changed.digest, first.digest);
  assert.notEqual(chmodded.digest, changed.digest);
});

test('add extracts archives copy does not', async (t) => {
  const { base, context, root, temporary } = setup(t);
  const payload = path.join(base, 'payload');
  fs.mkdirSync(path.join(payload, 'inner'), { recursive: true });
  fs.writeFileSync(path.join(payload, 'inner/data.txt'), 'data');
  execFileSync('tar', ['-czf', path.join(context, 'bundle.tar.gz'), '-C', payload, 'inner']);
  execFileSync('tar', ['-cJf', path.join(context, 'bundle.tar.xz'), '-C', payload, 'inner']);
  fs.writeFileSync(path.join(context, 'not-a-tar.gz'), 'plain text with a misleading name');

  await copy(context, [{ kind: 'path', path: 'bundle.tar.gz' }], options({ instruction: 'ADD' }), temporary, root, '/added/');
  assert.equal(fs.readFileSync(path.join(root, 'added/inner/data.txt'), 'utf8'), 'data');
  await copy(context, [{ kind: 'path', path: 'bundle.tar.xz' }], options({ instruction: 'ADD' }), temporary, root, '/added-xz');
  assert.equal(fs.readFileSync(path.join(root, 'added-xz/inner/data.txt'), 'utf8'), 'data');

  await copy(context, [{ kind: 'path', path: 'bundle.tar.gz' }], options(), temporary, root, '/copied/');
  assert.deepEqual(fs.readdirSync(path.join(root, 'copied')), ['bundle.tar.gz']);

  await assert.rejects(planCopy(context, [{ kind: 'path', path: 'bundle.tar.gz' }], options({ instruction: 'ADD', checksum: `sha256:${'0'.repeat(64)}` }), temporary), /--checksum is only supported for http and https sources/);

  await copy(context, [{ kind: 'path', path: 'not-a-tar.gz' }], options({ instruction: 'ADD' }), temporary, root, '/plain/');
  assert.equal(fs.readFileSync(path.join(root, 'plain/not-a-tar.gz'), 'utf8'), 'plain text with a misleading name');
});

test('workdir creation owner', async (t) => {
  const { root } = setup(t);
  assert.equal(await ensureDirectory(root, '/app/deep', '1234'), true);
  const created = fs.statSync(path.join(root, 'app/deep'));
  assert.deepEqual([created.uid, created.gid], [1234, 0]);
  assert.equal(fs.statSync(path.join(root, 'app')).uid, 1234);

  assert.equal(await ensureDirectory(root, '/home/app', 'app'), true);
  const named = fs.statSync(path.join(root, 'home/app'));
  assert.deepEqual([named.uid, named.gid], [1000, 1001]);

  assert.equal(await ensureDirectory(root, '/app/deep', '1234'), false);
  assert.equal(await ensureDirectory(root, '/usr', ''), false);
});
