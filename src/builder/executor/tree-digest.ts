// A digest of a directory tree's names, types, modes, sizes, contents and
// link targets, never its timestamps. A RUN that bind-mounts part of the
// build context puts it in the step's cache key, so editing a mounted file
// reruns the step.
import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

async function hashFile(file: string, hash: Hash): Promise<void> {
  await pipeline(fs.createReadStream(file), async function* (source) {
    for await (const chunk of source) hash.update(chunk as Buffer);
  });
}

async function addEntry(root: string, relative: string, hash: Hash): Promise<void> {
  const absolute = path.join(root, relative);
  const stat = await fsp.lstat(absolute);
  hash.update(`${relative}\0${stat.mode}\0${stat.uid}:${stat.gid}\0`);

  if (stat.isSymbolicLink()) {
    hash.update(`link\0${await fsp.readlink(absolute)}\0`);
    return;
  }

  if (stat.isFile()) {
    hash.update(`file\0${stat.size}\0`);
    await hashFile(absolute, hash);
    return;
  }

  if (stat.isDirectory()) {
    const names = (await fsp.readdir(absolute)).sort();
    for (const name of names) await addEntry(root, path.join(relative, name), hash);
  }
}

export async function digestTree(target: string): Promise<string> {
  const hash = createHash('sha256');
  await addEntry(target, '.', hash);
  return `sha256:${hash.digest('hex')}`;
}
