// Lists what a container changed (`docker diff`) by walking its overlayfs
// upper directory and comparing each entry with the image's lower layers.
// A whiteout (character device 0/0) is a deletion, an entry the image has
// is a modification, and anything else is an addition. Every directory
// above a change that the image has is listed as modified, before the
// change, as Docker lists it.
import fsp from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { hasErrorCode } from '../common/errors';
import { nativeSys } from '../sys/native';

export const CHANGE_KIND = { modified: 0, added: 1, deleted: 2 } as const;

export type ChangeKind = (typeof CHANGE_KIND)[keyof typeof CHANGE_KIND];

export interface FilesystemChange {
  // Absolute path inside the container, "/etc/passwd".
  path: string;
  kind: ChangeKind;
}

const OPAQUE_XATTR = 'trusted.overlay.opaque';

// A directory of the walk; recorded once it is in the output.
interface DirectoryFrame {
  path: string;
  recorded: boolean;
  parent: DirectoryFrame | null;
}

// Returns the changes in upperDir relative to lowerDirs (topmost first),
// in walk order with names sorted bytewise. Paths in skip (absolute, such as
// mount points the runtime creates) are left out with everything under them.
export async function listChanges(upperDir: string, lowerDirs: readonly string[], skip: ReadonlySet<string> = new Set()): Promise<FilesystemChange[]> {
  const walker = new ChangeWalker(upperDir, lowerDirs, skip);
  await walker.walk({ path: '/', recorded: true, parent: null });
  return walker.changes;
}

class ChangeWalker {
  readonly changes: FilesystemChange[] = [];

  constructor(
    private readonly upperDir: string,
    private readonly lowerDirs: readonly string[],
    private readonly skip: ReadonlySet<string>,
  ) {}

  async walk(directory: DirectoryFrame): Promise<void> {
    const names = (await fsp.readdir(path.join(this.upperDir, directory.path))).sort(compareBytes);
    for (const name of names) {
      const entryPath = path.posix.join(directory.path, name);
      if (this.skip.has(entryPath)) continue;
      const upper = await fsp.lstat(path.join(this.upperDir, entryPath));

      if (isWhiteout(upper)) {
        if (await this.lowerEntry(entryPath)) this.record(directory, { path: entryPath, kind: CHANGE_KIND.deleted });
        continue;
      }

      const lower = await this.lowerEntry(entryPath);
      if (!upper.isDirectory()) {
        this.record(directory, { path: entryPath, kind: lower ? CHANGE_KIND.modified : CHANGE_KIND.added });
        continue;
      }

      const frame: DirectoryFrame = { path: entryPath, recorded: false, parent: directory };
      if (!lower || !lower.isDirectory()) {
        this.record(directory, { path: entryPath, kind: lower ? CHANGE_KIND.modified : CHANGE_KIND.added });
        frame.recorded = true;
      } else if (metadataDiffers(upper, lower)) {
        this.record(directory, { path: entryPath, kind: CHANGE_KIND.modified });
        frame.recorded = true;
      }
      if (lower?.isDirectory() && isOpaque(path.join(this.upperDir, entryPath))) {
        await this.recordHiddenEntries(frame, await fsp.readdir(path.join(this.upperDir, entryPath)));
      }
      await this.walk(frame);
    }
  }

  // An opaque directory hides every lower entry of the same name; those the upper directory lacks are deleted.
  private async recordHiddenEntries(frame: DirectoryFrame, upperNames: string[]): Promise<void> {
    const present = new Set(upperNames);
    const hidden = new Set<string>();
    for (const lowerDir of this.lowerDirs) {
      const names = await fsp.readdir(path.join(lowerDir, frame.path)).catch(() => [] as string[]);
      for (const name of names) if (!present.has(name)) hidden.add(name);
    }
    for (const name of [...hidden].sort(compareBytes)) {
      const entryPath = path.posix.join(frame.path, name);
      if (this.skip.has(entryPath)) continue;
      if (await this.lowerEntry(entryPath)) this.record(frame, { path: entryPath, kind: CHANGE_KIND.deleted });
    }
  }

  // Returns the entry the image shows at entryPath: the topmost lower layer
  // that has the name decides, and a whiteout there means the image has none.
  // NOTE: an opaque directory in a lower layer does not hide the layers below it here.
  private async lowerEntry(entryPath: string): Promise<Stats | null> {
    for (const lowerDir of this.lowerDirs) {
      try {
        const stats = await fsp.lstat(path.join(lowerDir, entryPath));
        return isWhiteout(stats) ? null : stats;
      } catch (error) {
        if (hasErrorCode(error, 'ENOENT') || hasErrorCode(error, 'ENOTDIR')) continue;
        throw error;
      }
    }
    return null;
  }

  // Adds a change after every directory above it that is not in the output yet.
  private record(parent: DirectoryFrame, change: FilesystemChange): void {
    this.recordDirectory(parent);
    this.changes.push(change);
  }

  private recordDirectory(frame: DirectoryFrame | null): void {
    if (frame === null || frame.recorded) return;
    this.recordDirectory(frame.parent);
    frame.recorded = true;
    this.changes.push({ path: frame.path, kind: CHANGE_KIND.modified });
  }
}

function isWhiteout(stats: Stats): boolean {
  return stats.isCharacterDevice() && stats.rdev === 0;
}

function isOpaque(directory: string): boolean {
  const value = nativeSys().lgetxattr(directory, OPAQUE_XATTR);
  return value !== null && value.toString() === 'y';
}

// A directory the image has counts as changed when its owner or mode did.
// Its mtime is not compared, because overlayfs copies a directory up with
// the lower mtime and any entry created in it changes that mtime.
function metadataDiffers(upper: Stats, lower: Stats): boolean {
  return upper.mode !== lower.mode || upper.uid !== lower.uid || upper.gid !== lower.gid;
}

// Orders names by their UTF-8 bytes, as Go's filepath.Walk does, not by UTF-16 code units.
function compareBytes(left: string, right: string): number {
  return Buffer.compare(Buffer.from(left), Buffer.from(right));
}
