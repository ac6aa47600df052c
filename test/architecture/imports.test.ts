// Enforces the layering described in docs/architecture.md: each folder of
// src/ may import only the folders listed for it, so the core never depends
// on the API or the CLI and the CLI never reaches into the engine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/daemon';

// Folder → folders it may import (besides itself). "type:" entries may be imported only with `import type`.
const ALLOWED: Record<string, string[]> = {
  common: [],
  sys: ['common'],
  image: ['common', 'sys'],
  volume: ['common', 'sys'],
  network: ['common', 'sys'],
  container: ['common', 'sys', 'type:image', 'type:volume', 'type:engine'],
  engine: ['common', 'sys', 'image', 'volume', 'network', 'container', 'builder'],
  api: ['common', 'engine', 'type:container', 'type:image', 'type:volume', 'type:network', 'type:builder', 'image/reference', 'network/ports'],
  // The CLI applies .dockerignore while it packs a build context, with the same rules as the daemon.
  cli: ['common', 'builder/context/dockerignore'],
  daemon: ['common', 'engine', 'api'],
  bin: ['daemon', 'cli', 'common'],
  builder: ['common', 'sys', 'type:image'],
};

function sourceFiles(directory: string): string[] {
  return fs.readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

test('src folders import only what their layer allows', () => {
  const sourceRoot = path.join(REPO_ROOT, 'src');
  const violations: string[] = [];
  let checked = 0;

  for (const file of sourceFiles(sourceRoot)) {
    const folder = path.relative(sourceRoot, file).split(path.sep)[0];
    const allowed = ALLOWED[folder];
    assert.ok(allowed, `folder src/${folder} has no entry in the layering table`);
    const text = fs.readFileSync(file, 'utf8');

    for (const match of text.matchAll(/^\s*import\s+(type\s+)?[^'";]*?from\s+'(\.[^']+)'/gm)) {
      const typeOnly = Boolean(match[1]);
      const target = path.relative(sourceRoot, path.resolve(path.dirname(file), match[2]));
      const targetFolder = target.split(path.sep)[0];
      checked++;
      if (targetFolder === folder) continue;
      const permitted =
        allowed.includes(targetFolder) || (typeOnly && allowed.includes(`type:${targetFolder}`)) || allowed.includes(target.replace(/\.ts$/, ''));
      if (!permitted) violations.push(`${path.relative(REPO_ROOT, file)} imports ${typeOnly ? 'type ' : ''}${target}`);
    }
  }

  assert.ok(checked > 20, `expected to check many imports, checked ${checked}`);
  assert.deepEqual(violations, []);
});
