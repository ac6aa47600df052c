// Shared pieces of the image store tests: tars built in memory with
// tar-stream, docker-archive tars around them, temporary roots, and overlay
// mounts of layers that are always unmounted again.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import tar from 'tar-stream';
import type { Logger } from '../../src/common/logger';
import { MNT_DETACH, nativeSys } from '../../src/sys/native';
import type { LowerLayers } from '../../src/image/types';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const IMAGES_DIRECTORY = path.join(REPO_ROOT, 'build/images');
export const BUSYBOX_ARCHIVE = path.join(IMAGES_DIRECTORY, 'busybox.tar');
export const BUSYBOX_OCI_ARCHIVE = path.join(IMAGES_DIRECTORY, 'busybox-oci.tar');

export function quietLogger(): Logger {
  return pino({ level: process.env.BERTH_TEST_LOG_LEVEL ?? 'silent' });
}

export interface TarEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo' | 'pax-header';
  content?: string | Buffer;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  devmajor?: number;
  devminor?: number;
}

// Builds an uncompressed tar. A 'pax-header' entry is written as given,
// byte for byte, and applies to the entry after it.
export async function buildTar(entries: readonly TarEntry[]): Promise<Buffer> {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    // tar-stream's pack refuses bodies for PAX headers, so such an entry is
    // packed as a regular file and its type flag patched afterwards.
    const isPax = entry.type === 'pax-header';
    const single = await packOne(isPax ? { ...entry, type: 'file' } : entry);
    const withoutTrailer = single.subarray(0, single.length - 1024);
    if (isPax) setTypeFlag(withoutTrailer, 'x');
    blocks.push(withoutTrailer);
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

async function packOne(entry: TarEntry): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk: unknown) => {
    chunks.push(chunk as Buffer);
  });
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  const type = entry.type ?? 'file';
  const content = entry.content === undefined ? Buffer.alloc(0) : Buffer.from(entry.content);
  const header = {
    name: entry.name,
    type,
    mode: entry.mode ?? (type === 'directory' ? 0o755 : 0o644),
    uid: entry.uid ?? 0,
    gid: entry.gid ?? 0,
    mtime: entry.mtime ?? new Date('2024-01-02T03:04:05Z'),
    linkname: entry.linkname,
    devmajor: entry.devmajor,
    devminor: entry.devminor,
    size: type === 'file' ? content.length : 0,
  } as tar.Header;
  await new Promise<void>((resolve, reject) => {
    const callback = (error?: Error | null) => (error ? reject(error) : resolve());
    if (type === 'file') pack.entry(header, content, callback);
    else pack.entry(header, callback);
  });
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

// Rewrites the type flag of the header at the start of block and its checksum.
function setTypeFlag(block: Buffer, flag: string): void {
  block.write(flag, 156, 'latin1');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (let index = 0; index < 512; index++) sum += block[index];
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
}

// Encodes PAX records with raw byte values: "<length> <key>=<value>\n".
export function paxRecords(records: Record<string, Buffer | string>): Buffer {
  const parts: Buffer[] = [];
  for (const [key, rawValue] of Object.entries(records)) {
    const body = Buffer.concat([Buffer.from(` ${key}=`), Buffer.from(rawValue), Buffer.from('\n')]);
    let length = body.length + 1;
    while (String(length).length + body.length !== length) length = String(length).length + body.length;
    parts.push(Buffer.concat([Buffer.from(String(length)), body]));
  }
  return Buffer.concat(parts);
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export async function* chunksOf(data: Buffer, size = 64 * 1024): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}

export interface ArchiveImageSpec {
  layers: Buffer[];
  repoTags: string[];
  // Overrides the diff IDs written into the config (for mismatch tests).
  diffIds?: string[];
  cmd?: string[];
}

// Builds a docker-archive tar (manifest.json, <hex>.json config, <n>/layer.tar layers).
export async function buildDockerArchive(images: readonly ArchiveImageSpec[]): Promise<{ archive: Buffer; imageIds: string[] }> {
  const entries: TarEntry[] = [];
  const manifest: unknown[] = [];
  const imageIds: string[] = [];
  let layerNumber = 0;
  for (const image of images) {
    const layerNames: string[] = [];
    for (const layer of image.layers) {
      const name = `layer${layerNumber++}/layer.tar`;
      entries.push({ name, content: layer });
      layerNames.push(name);
    }
    const config = JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: image.cmd ?? ['sh'] },
      rootfs: { type: 'layers', diff_ids: image.diffIds ?? image.layers.map((layer) => sha256(layer)) },
      history: [],
    });
    const id = sha256(config);
    entries.push({ name: `${id.slice(7)}.json`, content: config });
    imageIds.push(id);
    manifest.push({ Config: `${id.slice(7)}.json`, RepoTags: image.repoTags, Layers: layerNames });
  }
  // manifest.json last, as `docker save` streams it: the loader must spool first.
  entries.push({ name: 'manifest.json', content: JSON.stringify(manifest) });
  return { archive: await buildTar(entries), imageIds };
}

export async function makeTemporaryDirectory(prefix: string): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), prefix));
}

// Unmounts everything mounted under directory, then removes it.
export async function removeTemporaryDirectory(directory: string): Promise<void> {
  const mounts = fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').map((line) => line.split(' ')[1]).filter((target) => target?.startsWith(`${directory}/`));
  for (const target of mounts.reverse()) {
    try {
      nativeSys().umount(target, MNT_DETACH);
    } catch {
      // Already gone; the removal below reports anything that is still busy.
    }
  }
  await fsp.rm(directory, { recursive: true, force: true });
}

// Mounts layers with overlayfs (with an upper directory, as a container's
// root filesystem is) and returns the merged directory and an unmount function.
export function mountLayers(lower: LowerLayers, scratch: string): { merged: string; unmount: () => void } {
  const upper = path.join(scratch, 'upper');
  const work = path.join(scratch, 'work');
  const merged = path.join(scratch, 'merged');
  for (const directory of [upper, work, merged]) fs.mkdirSync(directory, { recursive: true });
  const options = `lowerdir=${lower.lowerDirs.join(':')},upperdir=${upper},workdir=${work}`;
  nativeSys().mount('overlay', merged, 'overlay', 0, options, lower.cwd);
  return { merged, unmount: () => nativeSys().umount(merged, MNT_DETACH) };
}

// Lists a directory's names, sorted.
export function listNames(directory: string): string[] {
  return fs.readdirSync(directory).sort();
}

// Returns every path under directory whose name starts with ".wh.".
export function findWhiteoutNames(directory: string): string[] {
  const output = execFileSync('find', [directory, '-name', '.wh.*'], { encoding: 'utf8' });
  return output.split('\n').filter(Boolean);
}

// Builds build/images/busybox.tar and busybox-oci.tar when they are missing.
export function ensureBusyboxArchives(): void {
  if (fs.existsSync(BUSYBOX_ARCHIVE) && fs.existsSync(BUSYBOX_OCI_ARCHIVE)) return;
  execFileSync(path.join(REPO_ROOT, 'scripts/build-busybox-image.sh'), [IMAGES_DIRECTORY], { stdio: ['ignore', 'ignore', 'inherit'] });
}
