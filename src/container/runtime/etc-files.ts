// The /etc/hostname, /etc/hosts and /etc/resolv.conf files that are bind
// mounted into a container, written as Docker writes them.
import fs from 'node:fs/promises';
import { hasErrorCode } from '../../common/errors';

export interface EtcFileInputs {
  hostname: string;
  domainname: string;
  // The container's address on its network, or null when it has none (network none, or not connected yet).
  ipAddress: string | null;
  hostNetwork: boolean;
  // Contents prepared by the network module; when set they are written as given.
  hostsContent?: string | null;
  resolvConfContent?: string | null;
}

const LOCALHOST_LINES = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

// Public resolvers Docker falls back to when the host has only local ones.
const FALLBACK_NAMESERVERS = ['8.8.8.8', '8.8.4.4'];

export function hostsContent(inputs: EtcFileInputs): string {
  const lines = [...LOCALHOST_LINES];
  if (inputs.ipAddress) {
    const names = inputs.domainname ? `${inputs.hostname}.${inputs.domainname} ${inputs.hostname}` : inputs.hostname;
    lines.push(`${inputs.ipAddress}\t${names}`);
  }
  return lines.join('\n') + '\n';
}

// Host mode copies the host's file. Otherwise nameservers on loopback
// addresses are dropped, because they would point into the container itself.
// A container with an address gets Docker's public fallback when none remain,
// and a container without one (network none) keeps an empty list.
export function resolvConfContent(hostText: string, inputs: EtcFileInputs): string {
  if (inputs.hostNetwork) return hostText;
  const kept: string[] = [];
  let nameservers = 0;
  for (const line of hostText.split('\n')) {
    const match = /^\s*nameserver\s+(\S+)/.exec(line);
    if (match) {
      if (isLoopback(match[1])) continue;
      nameservers++;
    }
    if (line.trim() !== '') kept.push(line);
  }
  if (nameservers === 0 && inputs.ipAddress) {
    for (const server of FALLBACK_NAMESERVERS) kept.push(`nameserver ${server}`);
  }
  return kept.length ? kept.join('\n') + '\n' : '';
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address === '0:0:0:0:0:0:0:1';
}

async function readHostFile(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    if (hasErrorCode(error, 'ENOENT')) return '';
    throw error;
  }
}

// Plain writes without fsync: the files are rewritten at every start, so a
// crash cannot leave a container running with a torn copy, and start latency matters.
export async function writeEtcFiles(paths: { hostnamePath: string; hostsPath: string; resolvConfPath: string }, inputs: EtcFileInputs): Promise<void> {
  const hosts = inputs.hostsContent ?? (inputs.hostNetwork ? await readHostFile('/etc/hosts') : hostsContent(inputs));
  const resolvConf = inputs.resolvConfContent ?? resolvConfContent(await readHostFile('/etc/resolv.conf'), inputs);
  await Promise.all([
    fs.writeFile(paths.hostnamePath, `${inputs.hostname}\n`, { mode: 0o644 }),
    fs.writeFile(paths.hostsPath, hosts, { mode: 0o644 }),
    fs.writeFile(paths.resolvConfPath, resolvConf, { mode: 0o644 }),
  ]);
}
