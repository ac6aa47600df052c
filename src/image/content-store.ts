// Content-addressed blobs under <root>/blobs/sha256/<hex>: image configs,
// manifests and layer blobs. A blob is written to a temporary file while it is hashed,
// checked against the expected digest and size, synced and only then renamed
// into place, so a blob file under its digest always has that content.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { InvalidArgumentError, NotFoundError, hasErrorCode } from '../common/errors';
import { syncDirectory } from '../common/atomic-file';
import { digestHex } from './digest';

export interface BlobDescriptor {
  digest: string;
  size: number;
}

export class ContentStore {
  private readonly blobDirectory: string;
  // Blobs that a load, import or commit in progress has stored before any image record names them.
  private readonly pins = new Map<string, number>();

  // temporaryDirectory must be on the same filesystem as root, for rename.
  constructor(root: string, private readonly temporaryDirectory: string) {
    this.blobDirectory = path.join(root, 'blobs', 'sha256');
  }

  async init(): Promise<void> {
    await fsp.mkdir(this.blobDirectory, { recursive: true, mode: 0o700 });
  }

  blobPath(digest: string): string {
    return path.join(this.blobDirectory, digestHex(digest));
  }

  has(digest: string): boolean {
    return fs.existsSync(this.blobPath(digest));
  }

  // Stores content and returns its descriptor. When expected fields are
  // given, a mismatch rejects the blob and nothing is stored.
  async ingest(content: Buffer | AsyncIterable<Buffer>, expected: Partial<BlobDescriptor> = {}): Promise<BlobDescriptor> {
    const temporary = path.join(this.temporaryDirectory, `blob-${randomBytes(8).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    const handle = await fsp.open(temporary, 'wx', 0o600);
    try {
      const chunks: AsyncIterable<Buffer> | Buffer[] = Buffer.isBuffer(content) ? [content] : content;
      for await (const chunk of chunks) {
        hash.update(chunk);
        size += chunk.length;
        if (expected.size !== undefined && size > expected.size) break;
        await handle.write(chunk);
      }
      await handle.sync();
    } catch (error) {
      await handle.close();
      await fsp.rm(temporary, { force: true });
      throw error;
    }
    await handle.close();

    const digest = `sha256:${hash.digest('hex')}`;
    const failure = this.mismatch({ digest, size }, expected);
    if (failure) {
      await fsp.rm(temporary, { force: true });
      throw new InvalidArgumentError(`store blob ${expected.digest ?? digest}: ${failure}`);
    }

    await fsp.rename(temporary, this.blobPath(digest));
    await syncDirectory(this.blobDirectory);
    return { digest, size };
  }

  private mismatch(actual: BlobDescriptor, expected: Partial<BlobDescriptor>): string | null {
    if (expected.size !== undefined && actual.size !== expected.size) {
      return `size mismatch: expected ${expected.size} bytes, got ${actual.size > expected.size ? 'more' : actual.size}`;
    }
    if (expected.digest !== undefined && actual.digest !== expected.digest) {
      return `digest mismatch: content hashes to ${actual.digest}`;
    }
    return null;
  }

  async read(digest: string): Promise<Buffer> {
    try {
      return await fsp.readFile(this.blobPath(digest));
    } catch (error) {
      if (hasErrorCode(error, 'ENOENT')) throw new NotFoundError(`read blob ${digest}: not found in the content store`, { cause: error });
      throw error;
    }
  }

  // Stores a file whose digest and size the caller computed from its content
  // (an archive spool or a layer the caller wrote) by hard-linking it, so a
  // large layer is not copied. The file must not change afterwards and must
  // be on the same filesystem as the store.
  async adoptFile(file: string, descriptor: BlobDescriptor): Promise<void> {
    if (this.has(descriptor.digest)) return;
    const stat = await fsp.stat(file);
    if (stat.size !== descriptor.size) {
      throw new InvalidArgumentError(`store blob ${descriptor.digest}: size mismatch: expected ${descriptor.size} bytes, the file ${file} has ${stat.size}`);
    }
    const handle = await fsp.open(file, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await fsp.link(file, this.blobPath(descriptor.digest));
    } catch (error) {
      // Another load stored the same blob in the meantime.
      if (!hasErrorCode(error, 'EEXIST')) throw error;
    }
    await syncDirectory(this.blobDirectory);
  }

  // Keeps a blob from garbage collection until unpin(); pins nest.
  pin(digest: string): void {
    this.pins.set(digest, (this.pins.get(digest) ?? 0) + 1);
  }

  unpin(digest: string): void {
    const count = (this.pins.get(digest) ?? 0) - 1;
    if (count > 0) this.pins.set(digest, count);
    else this.pins.delete(digest);
  }

  isPinned(digest: string): boolean {
    return this.pins.has(digest);
  }

  async remove(digest: string): Promise<void> {
    await fsp.rm(this.blobPath(digest), { force: true });
  }

  list(): string[] {
    return fs.readdirSync(this.blobDirectory).filter((name) => /^[a-f0-9]{64}$/.test(name)).map((hex) => `sha256:${hex}`);
  }
}
