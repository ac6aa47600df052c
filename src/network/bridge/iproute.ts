// Thin wrappers over iproute2's `ip` (JSON output where we read state) and
// over sysctl files. Commands inside a container's network namespace run
// through `nsenter --net=<file>`, because `ip -n` only accepts names under
// /run/netns and Berth keeps its namespace files under its own run root.
import fs from 'node:fs/promises';
import { run, SubprocessError } from '../../common/subprocess';
import { parseCidr, type Subnet } from '../cidr';

export async function ip(args: readonly string[], netnsPath?: string): Promise<string> {
  const result = netnsPath ? await run('nsenter', [`--net=${netnsPath}`, 'ip', ...args]) : await run('ip', args);
  return result.stdout;
}

// Runs several commands in one `ip -batch -` process, which stops at the first
// failing command. One process instead of one per command keeps container
// start-up fast, because each spawn of ip costs a few milliseconds.
export async function ipBatch(commands: readonly (readonly string[])[], netnsPath?: string): Promise<string> {
  const lines = commands.map((command) => {
    for (const arg of command) {
      // A batch line is split on blanks, so an argument must be one non-empty word.
      if (!/^[^\s"'\\#]+$/.test(arg)) throw new Error(`ip batch: invalid argument ${JSON.stringify(arg)} in "${command.join(' ')}"`);
    }
    return command.join(' ');
  });
  const args = ['-batch', '-'];
  const options = { input: lines.join('\n') + '\n' };
  const result = netnsPath ? await run('nsenter', [`--net=${netnsPath}`, 'ip', ...args], options) : await run('ip', args, options);
  return result.stdout;
}

export async function ipJson<T>(args: readonly string[], netnsPath?: string): Promise<T> {
  const output = await ip(['-j', ...args], netnsPath);
  return (output.trim() ? JSON.parse(output) : []) as T;
}

export interface LinkInfo {
  ifname: string;
  mtu: number;
  operstate: string;
  address?: string;
  master?: string;
  flags: string[];
}

export async function findLink(name: string, netnsPath?: string): Promise<LinkInfo | undefined> {
  try {
    const links = await ipJson<LinkInfo[]>(['link', 'show', 'dev', name], netnsPath);
    return links[0];
  } catch (error) {
    if (error instanceof SubprocessError && /does not exist|Cannot find device/i.test(error.stderr)) return undefined;
    throw error;
  }
}

// Deletes a link; a link that is already gone is fine.
export async function deleteLink(name: string): Promise<boolean> {
  try {
    await ip(['link', 'delete', 'dev', name]);
    return true;
  } catch (error) {
    if (error instanceof SubprocessError && /does not exist|Cannot find device/i.test(error.stderr)) return false;
    throw error;
  }
}

interface AddressInfo {
  ifname: string;
  addr_info: { family: string; local: string; prefixlen: number }[];
}

export async function linkAddresses(name: string, netnsPath?: string): Promise<string[]> {
  const entries = await ipJson<AddressInfo[]>(['-4', 'address', 'show', 'dev', name], netnsPath);
  return entries.flatMap((entry) => entry.addr_info.map((info) => `${info.local}/${info.prefixlen}`));
}

// Returns the prefixes of the host's main IPv4 routing table, skipping the default route.
export async function readHostRoutes(): Promise<Subnet[]> {
  const routes = await ipJson<{ dst: string }[]>(['-4', 'route', 'show', 'table', 'main']);
  const subnets: Subnet[] = [];
  for (const route of routes) {
    if (route.dst === 'default') continue;
    const cidr = route.dst.includes('/') ? route.dst : `${route.dst}/32`;
    subnets.push(parseCidr(cidr, false));
  }
  return subnets;
}

export async function writeSysctl(name: string, value: string): Promise<void> {
  await fs.writeFile(`/proc/sys/${name.replace(/\./g, '/')}`, value);
}

export async function readSysctl(name: string): Promise<string> {
  return (await fs.readFile(`/proc/sys/${name.replace(/\./g, '/')}`, 'utf8')).trim();
}
