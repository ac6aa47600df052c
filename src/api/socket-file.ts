// The API's unix socket file: created root-only, replacing a stale socket
// left by a daemon that died, and never taking over a live daemon's socket.
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { Server } from 'node:http';
import { ConflictError, InvalidArgumentError, hasErrorCode } from '../common/errors';

export interface BoundSocket {
  path: string;
  // Inode of the socket file this server created, so close() removes only its own file.
  inode: number;
}

// sockaddr_un has room for 108 bytes including the terminating NUL.
const MAX_SOCKET_PATH_BYTES = 107;

function canConnect(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const client = net.connect(socketPath);
    client.once('connect', () => {
      client.destroy();
      resolve(true);
    });
    client.once('error', () => resolve(false));
  });
}

// Removes a socket file that no server listens on. Raises ConflictError when a server accepts
// connections there, and InvalidArgumentError when the path is something other than a socket.
async function removeStaleSocket(socketPath: string): Promise<void> {
  let stats;
  try {
    stats = await fs.lstat(socketPath);
  } catch (error) {
    if (hasErrorCode(error, 'ENOENT')) return;
    throw error;
  }
  if (!stats.isSocket()) throw new InvalidArgumentError(`listen on ${socketPath}: the path exists and is not a socket`);
  if (await canConnect(socketPath)) throw new ConflictError(`listen on ${socketPath}: another server is already listening on this socket`);
  await fs.unlink(socketPath);
}

// Returns the group ID for a name or number, from /etc/group.
async function groupId(group: string): Promise<number> {
  if (/^\d+$/.test(group)) return Number.parseInt(group, 10);
  const lines = (await fs.readFile('/etc/group', 'utf8')).split('\n');
  for (const line of lines) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined) return Number.parseInt(gid, 10);
  }
  throw new InvalidArgumentError(`socket group "${group}" not found in /etc/group`);
}

function listenOn(server: Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(socketPath, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

// Binds the server to socketPath with mode 0600 (0660 and the given group when socketGroup is set).
// The socket is bound under a temporary name and renamed into place after its mode is set, so no
// client can connect while it still has the default mode.
export async function bindSocket(server: Server, socketPath: string, socketGroup: string | null): Promise<BoundSocket> {
  const directory = path.dirname(socketPath);
  const created = await fs.mkdir(directory, { recursive: true, mode: 0o700 });
  if (created !== undefined) await fs.chmod(directory, 0o700);
  await removeStaleSocket(socketPath);

  const temporary = path.join(directory, `.berth-api-${process.pid}.sock`);
  const bindPath = Buffer.byteLength(temporary) <= MAX_SOCKET_PATH_BYTES ? temporary : socketPath;
  await fs.rm(temporary, { force: true });
  await listenOn(server, bindPath);

  if (socketGroup !== null) {
    await fs.chown(bindPath, process.getuid?.() ?? 0, await groupId(socketGroup));
    await fs.chmod(bindPath, 0o660);
  } else {
    await fs.chmod(bindPath, 0o600);
  }
  if (bindPath !== socketPath) await fs.rename(bindPath, socketPath);
  const stats = await fs.stat(socketPath);
  return { path: socketPath, inode: stats.ino };
}

export async function removeOwnSocket(bound: BoundSocket): Promise<void> {
  try {
    const stats = await fs.lstat(bound.path);
    if (stats.ino === bound.inode) await fs.unlink(bound.path);
  } catch (error) {
    if (!hasErrorCode(error, 'ENOENT')) throw error;
  }
}
