// User and group names for --chown and WORKDIR, looked up in the image's own
// /etc/passwd and /etc/group (resolved inside its root), never the host's.
import fsp from 'node:fs/promises';
import { resolveInRoot } from '../../common/scoped-path';

export interface Owner {
  uid: number;
  gid: number;
}

interface DatabaseEntry {
  name: string;
  id: number;
  // The primary group ID for /etc/passwd entries.
  groupId: number;
}

async function readDatabase(root: string, file: string): Promise<DatabaseEntry[]> {
  const hostPath = await resolveInRoot(root, file);
  const text = await fsp.readFile(hostPath, 'utf8').catch(() => '');
  const entries: DatabaseEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 3 || line.startsWith('#')) continue;
    const id = Number(fields[2]);
    const groupId = Number(fields[3]);
    if (!Number.isInteger(id)) continue;
    entries.push({ name: fields[0], id, groupId: Number.isInteger(groupId) ? groupId : id });
  }
  return entries;
}

function isNumeric(text: string): boolean {
  return /^\d+$/.test(text);
}

// Resolves "user[:group]" as COPY --chown does: numbers are taken as they
// are, names are looked up in the root, and a missing group takes the
// user's number as its GID, as Docker documents for --chown.
export async function resolveChown(root: string, spec: string): Promise<Owner> {
  const [userPart, groupPart] = splitUserGroup(spec);
  const uid = await lookupUser(root, userPart, spec);
  if (groupPart === null) return { uid: uid.id, gid: uid.id };
  return { uid: uid.id, gid: await lookupGroup(root, groupPart, spec) };
}

// Resolves a USER value for the directories WORKDIR creates: without a
// group, the user's primary group from /etc/passwd, else GID 0, as
// BuildKit and containerd do. An empty user means root.
export async function resolveUser(root: string, spec: string): Promise<Owner> {
  if (spec === '') return { uid: 0, gid: 0 };
  const [userPart, groupPart] = splitUserGroup(spec);
  const user = await lookupUser(root, userPart, spec);
  if (groupPart === null) return { uid: user.id, gid: user.groupId };
  return { uid: user.id, gid: await lookupGroup(root, groupPart, spec) };
}

function splitUserGroup(spec: string): [string, string | null] {
  const separator = spec.indexOf(':');
  if (separator < 0) return [spec, null];
  return [spec.slice(0, separator), spec.slice(separator + 1)];
}

async function lookupUser(root: string, user: string, spec: string): Promise<{ id: number; groupId: number }> {
  const users = await readDatabase(root, '/etc/passwd');
  if (isNumeric(user)) {
    const id = Number(user);
    const entry = users.find((candidate) => candidate.id === id);
    return { id, groupId: entry?.groupId ?? 0 };
  }
  const entry = users.find((candidate) => candidate.name === user);
  if (!entry) throw new Error(`unable to convert uid/gid chown string to host mapping: user "${user}" of "${spec}" is not in the image's /etc/passwd`);
  return { id: entry.id, groupId: entry.groupId };
}

async function lookupGroup(root: string, group: string, spec: string): Promise<number> {
  if (isNumeric(group)) return Number(group);
  const groups = await readDatabase(root, '/etc/group');
  const entry = groups.find((candidate) => candidate.name === group);
  if (!entry) throw new Error(`unable to convert uid/gid chown string to host mapping: group "${group}" of "${spec}" is not in the image's /etc/group`);
  return entry.id;
}

// Parses a --chmod value: octal digits only, as the classic builder and BuildKit accept.
export function parseChmod(text: string): number {
  if (!/^[0-7]{1,4}$/.test(text)) throw new Error(`invalid chmod parameter "${text}": it must be an octal mode such as 0755`);
  return Number.parseInt(text, 8);
}
