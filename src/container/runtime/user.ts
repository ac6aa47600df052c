// Resolves a container's --user value against the container's own
// /etc/passwd and /etc/group, with Docker's rules. A numeric user that is not
// in passwd runs with that uid and gid 0, while a user name must exist. An
// explicit group replaces the primary group. Without one, the user's
// memberships in /etc/group become supplementary groups. --group-add adds more.
import fs from 'node:fs/promises';
import { InvalidArgumentError, hasErrorCode } from '../../common/errors';
import { resolveInRoot } from '../../common/scoped-path';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  // Home directory from passwd, or "/" when the user has no entry.
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const NUMERIC = /^\d+$/;
const MAX_ID = 2 ** 31 - 1;

export function parsePasswd(text: string): PasswdEntry[] {
  const entries: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const fields = line.split(':');
    if (fields.length < 4 || !NUMERIC.test(fields[2]) || !NUMERIC.test(fields[3])) continue;
    entries.push({ name: fields[0], uid: Number(fields[2]), gid: Number(fields[3]), home: fields[5] || '/' });
  }
  return entries;
}

export function parseGroup(text: string): GroupEntry[] {
  const entries: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const fields = line.split(':');
    if (fields.length < 3 || !NUMERIC.test(fields[2])) continue;
    const members = (fields[3] ?? '').split(',').map((member) => member.trim()).filter(Boolean);
    entries.push({ name: fields[0], gid: Number(fields[2]), members });
  }
  return entries;
}

// Reads a file inside the container's root file system without following
// links out of it. A missing file reads as empty, as in Docker.
async function readInRoot(rootfs: string, file: string): Promise<string> {
  try {
    return await fs.readFile(await resolveInRoot(rootfs, file), 'utf8');
  } catch (error) {
    if (hasErrorCode(error, 'ENOENT') || hasErrorCode(error, 'ENOTDIR')) return '';
    throw error;
  }
}

export async function resolveUser(rootfs: string, user: string, groupAdd: readonly string[]): Promise<ResolvedUser> {
  const [passwdText, groupText] = await Promise.all([readInRoot(rootfs, '/etc/passwd'), readInRoot(rootfs, '/etc/group')]);
  return resolveUserFromFiles(passwdText, groupText, user, groupAdd);
}

export function resolveUserFromFiles(passwdText: string, groupText: string, user: string, groupAdd: readonly string[]): ResolvedUser {
  const passwd = parsePasswd(passwdText);
  const groups = parseGroup(groupText);
  const separator = user.indexOf(':');
  const userPart = separator >= 0 ? user.slice(0, separator) : user;
  const groupPart = separator >= 0 ? user.slice(separator + 1) : '';

  // An empty user means root, looked up by uid so that root's name and groups come from the image.
  const requested = userPart === '' ? '0' : userPart;
  let entry: PasswdEntry | undefined;
  let uid: number;
  let gid = 0;
  let home = '/';
  if (NUMERIC.test(requested)) {
    uid = parseId(requested, 'user');
    entry = passwd.find((candidate) => candidate.uid === uid);
  } else {
    entry = passwd.find((candidate) => candidate.name === requested);
    if (!entry) throw new InvalidArgumentError(`unable to find user ${requested}: no matching entries in passwd file`);
    uid = entry.uid;
  }
  if (entry) {
    gid = entry.gid;
    home = entry.home;
  }

  // The primary group also leads the supplementary list, as containerd's
  // WithAdditionalGIDs does, so `id` shows it among the groups.
  const additionalGids: number[] = [];
  if (groupPart !== '') {
    gid = resolveGroup(groups, groupPart);
  } else if (entry) {
    const name = entry.name;
    for (const group of groups) {
      if (group.members.includes(name) && !additionalGids.includes(group.gid)) additionalGids.push(group.gid);
    }
  }
  for (const extra of groupAdd) {
    const extraGid = resolveGroup(groups, extra);
    if (!additionalGids.includes(extraGid)) additionalGids.push(extraGid);
  }
  return { uid, gid, additionalGids: [gid, ...additionalGids.filter((candidate) => candidate !== gid)], home };
}

function resolveGroup(groups: GroupEntry[], group: string): number {
  if (NUMERIC.test(group)) return parseId(group, 'group');
  const entry = groups.find((candidate) => candidate.name === group);
  if (!entry) throw new InvalidArgumentError(`unable to find group ${group}: no matching entries in group file`);
  return entry.gid;
}

function parseId(value: string, kind: 'user' | 'group'): number {
  const id = Number(value);
  if (!Number.isSafeInteger(id) || id > MAX_ID) {
    throw new InvalidArgumentError(`invalid ${kind} ID ${value}: the maximum is ${MAX_ID}`);
  }
  return id;
}
