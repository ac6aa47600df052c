// Typed access to the native addon in native/berth_sys.c. Node.js has no
// mount, mknod, extended attribute or SOCK_SEQPACKET calls, and the engine
// needs them on hot paths (every container start and every layer unpack), so
// they come from a small N-API addon instead of spawned helper programs.
// The addon's readiness watches (watchFd and friends) are typed in
// src/container/runtime/fd-watch.ts, their only user.
import path from 'node:path';

export interface NativeSys {
  mount(source: string, target: string, fstype: string | null, flags: number, data: string | null, cwd: string | null): void;
  umount(target: string, flags: number): void;
  mknod(path: string, mode: number, major: number, minor: number): void;
  lsetxattr(path: string, name: string, value: Buffer): void;
  lgetxattr(path: string, name: string): Buffer | null;
  llistxattr(path: string): string[];
  connectSeqpacket(path: string): number;
  shutdownWrite(fd: number): void;
  // Creates a new file (O_EXCL|O_NOFOLLOW), writes the chunks, then sets owner, mode and times (seconds) in one call.
  writeFile(path: string, chunks: Buffer[], uid: number, gid: number, mode: number, atime: number, mtime: number): void;
  // Creates a network namespace with loopback up and bind-mounts it on the existing file target.
  createNetns(target: string): void;
}

// Mount flags from <sys/mount.h>.
export const MS_RDONLY = 1;
export const MS_NOSUID = 2;
export const MS_NODEV = 4;
export const MS_NOEXEC = 8;
export const MS_REMOUNT = 32;
export const MS_BIND = 4096;
export const MS_REC = 16384;
export const MS_PRIVATE = 1 << 18;

// umount2 flags.
export const MNT_DETACH = 2;

// File type bits for mknod.
export const S_IFCHR = 0o020000;

let loaded: NativeSys | undefined;

// Loads native/build/Release/berth_sys.node, built by `npm run build`.
export function nativeSys(): NativeSys {
  if (!loaded) {
    const addonPath = path.resolve(__dirname, '../../../native/build/Release/berth_sys.node');
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      loaded = require(addonPath) as NativeSys;
    } catch (error) {
      throw new Error(`load native addon ${addonPath}: ${(error as Error).message}. Run "npm run build" first`, { cause: error });
    }
  }
  return loaded;
}
