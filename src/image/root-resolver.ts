// Resolves paths inside a layer directory that is being unpacked, as if the
// layer directory were "/" (the rule chroot applies): a symlink met on the way
// is followed relative to the layer root, and ".." in a symlink target never
// climbs above it. Each component is checked with lstat, so the host never
// follows a symlink that a tar entry created.
//
// Synchronous on purpose: unpacking calls this once per tar entry, and a
// cache of resolved directories keeps the usual case to one Map lookup.
import fs from 'node:fs';

// Linux gives up after 40 symlinks in one path lookup (ELOOP); so does this.
const MAX_SYMLINKS = 40;

// A tar entry that cannot be written safely; the unpacker skips it and logs the reason.
export class UnsafeEntryError extends Error {}

export class RootResolver {
  // Logical directory path (entry path components joined by "/") to the real
  // path relative to the root where that directory is.
  private readonly directories = new Map<string, string>([['', '']]);

  constructor(readonly root: string) {}

  absolute(relative: string): string {
    return relative === '' ? this.root : `${this.root}/${relative}`;
  }

  // Returns the real relative path of the directory that the logical path
  // names, creating missing directories (mode 0755, owned by root) as tar
  // extraction does for parents that the archive does not list.
  resolveDirectory(parts: readonly string[]): string {
    const key = parts.join('/');
    const cached = this.directories.get(key);
    if (cached !== undefined) return cached;

    // Start from the longest cached prefix; entries come parent-first in
    // almost every tar, so that is usually the direct parent.
    let known = parts.length - 1;
    while (known > 0 && !this.directories.has(parts.slice(0, known).join('/'))) known--;
    const base = this.directories.get(parts.slice(0, known).join('/')) ?? '';

    const resolved = base === '' ? [] : base.split('/');
    const pending = parts.slice(known);
    let linksFollowed = 0;
    while (pending.length > 0) {
      const part = pending.shift()!;
      if (part === '' || part === '.') continue;
      if (part === '..') {
        resolved.pop();
        continue;
      }

      const relative = resolved.length === 0 ? part : `${resolved.join('/')}/${part}`;
      const absolute = this.absolute(relative);
      const stat = fs.lstatSync(absolute, { throwIfNoEntry: false });
      if (stat === undefined) {
        fs.mkdirSync(absolute, 0o755);
        resolved.push(part);
      } else if (stat.isDirectory()) {
        resolved.push(part);
      } else if (stat.isSymbolicLink()) {
        if (++linksFollowed > MAX_SYMLINKS) throw new UnsafeEntryError(`too many levels of symbolic links under ${key}`);
        const target = fs.readlinkSync(absolute);
        if (target.startsWith('/')) resolved.length = 0;
        pending.unshift(...target.split('/'));
      } else {
        throw new UnsafeEntryError(`parent /${relative} is not a directory`);
      }
    }

    const result = resolved.join('/');
    this.directories.set(key, result);
    return result;
  }

  // Records a directory that an entry just created at a logical path.
  rememberDirectory(parts: readonly string[], relative: string): void {
    this.directories.set(parts.join('/'), relative);
  }

  // Returns the real relative path of an existing path, following no symlink
  // at all: a hard link target must name its file directly.
  resolveExistingStrict(parts: readonly string[]): { relative: string; stat: fs.Stats } {
    let relative = '';
    for (let index = 0; index < parts.length; index++) {
      relative = relative === '' ? parts[index] : `${relative}/${parts[index]}`;
      const stat = fs.lstatSync(this.absolute(relative), { throwIfNoEntry: false });
      if (stat === undefined) throw new UnsafeEntryError(`/${relative} does not exist`);
      const isLast = index === parts.length - 1;
      if (isLast) return { relative, stat };
      if (stat.isSymbolicLink()) throw new UnsafeEntryError(`/${relative} is a symbolic link`);
      if (!stat.isDirectory()) throw new UnsafeEntryError(`/${relative} is not a directory`);
    }
    throw new UnsafeEntryError('empty path');
  }

  // Forgets every cached directory; called whenever an entry removes an
  // existing path, because a cached resolution may have passed through it.
  invalidate(): void {
    this.directories.clear();
    this.directories.set('', '');
  }
}

// Splits an entry name into clean components: "/" prefixes are dropped (the
// name is taken relative to the layer root, as Docker does), "." is ignored
// and ".." removes the previous component. Returns null when ".." would
// climb above the root.
export function cleanEntryPath(name: string): string[] | null {
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return null;
      parts.pop();
      continue;
    }
    parts.push(part);
  }
  return parts;
}
