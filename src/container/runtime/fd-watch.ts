// Typed access to the addon's readiness watches (watchFd, updateWatch,
// unwatchFd in native/berth_sys.c). They let the runtime read conmon's
// SOCK_SEQPACKET sockets from the event loop: Node's net module cannot wrap
// such sockets, and blocking fs.read calls would each hold a thread-pool
// thread for as long as a client stays attached.
import { nativeSys } from '../../sys/native';

export const FD_READABLE = 1;
export const FD_WRITABLE = 2;

export type FdWatchHandle = object & { readonly brand?: 'FdWatchHandle' };

interface FdWatchAddon {
  watchFd(fd: number, events: number, callback: (status: number, events: number) => void): FdWatchHandle;
  updateWatch(handle: FdWatchHandle, events: number): void;
  unwatchFd(handle: FdWatchHandle): void;
}

function addon(): FdWatchAddon {
  const loaded = nativeSys() as unknown as Partial<FdWatchAddon>;
  if (typeof loaded.watchFd !== 'function') {
    throw new Error('native addon has no watchFd: rebuild it with "npx node-gyp rebuild --directory native"');
  }
  return loaded as FdWatchAddon;
}

// Calls onEvent(status, events) while fd is ready for the requested events.
// status is a negative libuv error code when polling failed. The watch makes
// fd non-blocking. Stop the watch before closing fd.
export class FdWatch {
  private handle: FdWatchHandle | null;
  private events: number;

  constructor(fd: number, events: number, onEvent: (status: number, events: number) => void) {
    this.events = events;
    this.handle = addon().watchFd(fd, events, onEvent);
  }

  setEvents(events: number): void {
    if (!this.handle || events === this.events) return;
    this.events = events;
    addon().updateWatch(this.handle, events);
  }

  // Starts the watch again with its current events, after libuv stopped it
  // on a socket error (it reports that as status EBADF).
  restart(): void {
    if (!this.handle) return;
    addon().updateWatch(this.handle, this.events);
  }

  stop(): void {
    if (!this.handle) return;
    addon().unwatchFd(this.handle);
    this.handle = null;
  }
}
