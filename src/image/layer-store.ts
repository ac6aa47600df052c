// Unpacked layers, shared by every image that uses them:
//
//   <root>/layers/<chain ID hex>/diff        the layer's files, an overlayfs lower directory
//   <root>/layers/<chain ID hex>/layer.json  LayerInfo
//   <root>/l/<26 characters>                 symlink to ../layers/<hex>/diff
//
// A layer is keyed by its chain ID because its diff only makes sense on top
// of the same parent layers. The short link names keep an overlay mount of
// 100+ layers within the one page (4096 bytes) that mount options may use, as
// Docker's overlay2 driver does.
//
// A layer is unpacked into <root>/tmp and renamed into place only when it is
// complete, so a directory under layers/ is never half written; the service's
// init() removes what an interrupted unpack left in tmp.
import fsp from 'node:fs/promises';
import path from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import type { Logger } from '../common/logger';
import { InvalidArgumentError, NotFoundError, hasErrorCode } from '../common/errors';
import { KeyedLock } from '../common/keyed-lock';
import { readJsonIfExists, syncDirectory, writeJsonAtomic } from '../common/atomic-file';
import type { LowerLayers } from './types';
import { digestHex, sha256Digest } from './digest';
import { unpackLayer, type UnpackResult } from './layer-unpack';

export interface LayerInfo {
  chainId: string;
  diffId: string;
  parent: string | null;
  // Name of the symlink under <root>/l.
  link: string;
  // Bytes of regular file content.
  size: number;
  createdAt: string;
}

const LINK_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const LINK_LENGTH = 26;

export class LayerStore {
  private readonly layers = new Map<string, LayerInfo>();
  // Layers that a load or import in progress relies on; never removed while pinned.
  private readonly pins = new Map<string, number>();
  // Serializes the commit and the removal of one chain ID.
  private readonly locks = new KeyedLock();
  private readonly layersDirectory: string;
  private readonly linksDirectory: string;

  constructor(
    private readonly root: string,
    private readonly temporaryDirectory: string,
    private readonly logger: Logger,
  ) {
    this.layersDirectory = path.join(root, 'layers');
    this.linksDirectory = path.join(root, 'l');
  }

  // Reads the committed layers and repairs their links: a link whose layer is
  // gone (a crash between creating the link and renaming the layer into
  // place) is removed, and a layer whose link is missing gets it back.
  async init(): Promise<void> {
    await fsp.mkdir(this.layersDirectory, { recursive: true, mode: 0o700 });
    await fsp.mkdir(this.linksDirectory, { recursive: true, mode: 0o700 });

    for (const name of await fsp.readdir(this.layersDirectory)) {
      const directory = path.join(this.layersDirectory, name);
      const info = await readJsonIfExists<LayerInfo>(path.join(directory, 'layer.json'));
      if (!info || digestHex(info.chainId) !== name) {
        this.logger.warn({ layer: name }, 'removing a layer directory without valid layer.json');
        await fsp.rm(directory, { recursive: true, force: true });
        continue;
      }
      this.layers.set(info.chainId, info);
    }

    const linked = new Set<string>();
    for (const link of await fsp.readdir(this.linksDirectory)) {
      const target = await fsp.readlink(path.join(this.linksDirectory, link)).catch(() => null);
      const chainHex = target === null ? null : /^\.\.\/layers\/([a-f0-9]{64})\/diff$/.exec(target)?.[1];
      const info = chainHex ? this.layers.get(`sha256:${chainHex}`) : undefined;
      if (!info || info.link !== link) {
        this.logger.info({ link, target }, 'removing a layer link that no committed layer uses');
        await fsp.rm(path.join(this.linksDirectory, link), { force: true });
        continue;
      }
      linked.add(link);
    }
    for (const info of this.layers.values()) {
      if (linked.has(info.link)) continue;
      this.logger.warn({ layer: info.chainId, link: info.link }, 'recreating a missing layer link');
      await fsp.symlink(this.linkTarget(info.chainId), path.join(this.linksDirectory, info.link));
    }
  }

  has(chainId: string): boolean {
    return this.layers.has(chainId);
  }

  get(chainId: string): LayerInfo {
    const info = this.layers.get(chainId);
    if (!info) throw new NotFoundError(`layer ${chainId}: not found in the layer store`);
    return info;
  }

  list(): LayerInfo[] {
    return [...this.layers.values()];
  }

  // Pins a layer so that removeUnused() keeps it, and tells whether it is
  // committed. The check and the pin happen in one synchronous step.
  acquire(chainId: string): boolean {
    this.pins.set(chainId, (this.pins.get(chainId) ?? 0) + 1);
    return this.layers.has(chainId);
  }

  release(chainId: string): void {
    const count = (this.pins.get(chainId) ?? 0) - 1;
    if (count > 0) this.pins.set(chainId, count);
    else this.pins.delete(chainId);
  }

  // Unpacks a layer tar on top of parent and commits it. When expectedDiffId
  // is given, content with another diff ID is rejected. The returned layer is
  // pinned for the caller, who must release() it. When the same chain ID is
  // already committed, the new copy is dropped and the existing layer returned.
  async create(source: AsyncIterable<Buffer>, parent: string | null, expectedDiffId: string | null): Promise<{ layer: LayerInfo; unpack: UnpackResult }> {
    const work = await fsp.mkdtemp(path.join(this.temporaryDirectory, 'layer-'));
    let pinned: string | null = null;
    try {
      const diffDirectory = path.join(work, 'diff');
      await fsp.mkdir(diffDirectory, { mode: 0o755 });
      const unpack = await unpackLayer(source, diffDirectory, this.logger);
      if (expectedDiffId !== null && unpack.diffId !== expectedDiffId) {
        throw new InvalidArgumentError(`unpack layer ${expectedDiffId}: diff ID mismatch: the content hashes to ${unpack.diffId}`);
      }

      const chainId = parent === null ? unpack.diffId : sha256Digest(`${parent} ${unpack.diffId}`);
      this.acquire(chainId);
      pinned = chainId;
      const layer = await this.locks.run(chainId, () => this.commit(work, { chainId, diffId: unpack.diffId, parent, size: unpack.size }));
      pinned = null;
      return { layer, unpack };
    } catch (error) {
      if (pinned !== null) this.release(pinned);
      throw error;
    } finally {
      await fsp.rm(work, { recursive: true, force: true });
    }
  }

  private async commit(work: string, fields: Omit<LayerInfo, 'link' | 'createdAt'>): Promise<LayerInfo> {
    const existing = this.layers.get(fields.chainId);
    if (existing) return existing;

    const info: LayerInfo = { ...fields, link: newLinkName(), createdAt: new Date().toISOString() };
    await writeJsonAtomic(path.join(work, 'layer.json'), info);
    // The link first: a crash before the rename leaves only a dangling link, which init() removes.
    const link = path.join(this.linksDirectory, info.link);
    await fsp.symlink(this.linkTarget(info.chainId), link);
    try {
      await fsp.rename(work, this.layerDirectory(info.chainId));
    } catch (error) {
      await fsp.rm(link, { force: true });
      throw error;
    }
    await syncDirectory(this.layersDirectory);
    await syncDirectory(this.linksDirectory);
    this.layers.set(info.chainId, info);
    this.logger.info({ layer: info.chainId, diffId: info.diffId, size: info.size }, 'layer committed');
    return info;
  }

  // Removes every committed layer that is neither in inUse nor pinned, and
  // returns their chain IDs. Layers leave the in-memory index before the
  // first await, so a concurrent acquire() sees them as absent and unpacks
  // its own copy, which commits after the removal (per chain ID lock).
  async removeUnused(inUse: ReadonlySet<string>): Promise<string[]> {
    const doomed = [...this.layers.values()].filter((info) => !inUse.has(info.chainId) && !this.pins.has(info.chainId));
    for (const info of doomed) this.layers.delete(info.chainId);

    for (const info of doomed) {
      await this.locks.run(info.chainId, () => this.removeLayer(info));
    }
    return doomed.map((info) => info.chainId);
  }

  private async removeLayer(info: LayerInfo): Promise<void> {
    // Renaming first makes the removal atomic for readers: the layer is either complete or gone.
    const trash = path.join(this.temporaryDirectory, `removing-${randomBytes(6).toString('hex')}`);
    try {
      await fsp.rename(this.layerDirectory(info.chainId), trash);
    } catch (error) {
      if (!hasErrorCode(error, 'ENOENT')) throw error;
    }
    await fsp.rm(path.join(this.linksDirectory, info.link), { force: true });
    await fsp.rm(trash, { recursive: true, force: true });
    this.logger.info({ layer: info.chainId }, 'layer removed');
  }

  // Returns what an overlay mount of these layers needs; chainIds are listed bottom layer first.
  lowerLayers(chainIds: readonly string[]): LowerLayers {
    const topFirst = [...chainIds].reverse().map((chainId) => this.get(chainId));
    return {
      cwd: this.root,
      lowerDirs: topFirst.map((info) => `l/${info.link}`),
      absoluteLowerDirs: topFirst.map((info) => path.join(this.layerDirectory(info.chainId), 'diff')),
    };
  }

  diffPath(chainId: string): string {
    return path.join(this.layerDirectory(this.get(chainId).chainId), 'diff');
  }

  private layerDirectory(chainId: string): string {
    return path.join(this.layersDirectory, digestHex(chainId, 'chain ID'));
  }

  private linkTarget(chainId: string): string {
    return `../layers/${digestHex(chainId, 'chain ID')}/diff`;
  }
}

// Returns 26 random characters from A-Z and 0-9, the form of Docker's overlay2 link names.
function newLinkName(): string {
  let name = '';
  for (let index = 0; index < LINK_LENGTH; index++) name += LINK_ALPHABET[randomInt(LINK_ALPHABET.length)];
  return name;
}
