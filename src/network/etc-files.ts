// Content of a container's /etc/hosts and /etc/resolv.conf per network mode.
// The runtime writes the files; these functions only build the text.
import { InvalidArgumentError } from '../common/errors';
import { isIPv4 } from './cidr';

export interface HostsOptions {
  hostname: string;
  domainname?: string;
  // The container's address on its first network; null under --network none.
  ipAddress: string | null;
  // --add-host values: "name:address" or "name=address"; address host-gateway means hostGateway.
  extraHosts?: readonly string[];
  // Address that "host-gateway" stands for: the default bridge's gateway.
  hostGateway?: string | null;
}

const LOCALHOST_LINES = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

// Builds /etc/hosts for bridge and none networks. Under --network host Docker
// copies the host's file instead, which the caller does with hostHostsFile().
export function hostsFile(options: HostsOptions): string {
  const lines = [...LOCALHOST_LINES];
  for (const entry of options.extraHosts ?? []) {
    const { name, address } = parseExtraHost(entry, options.hostGateway ?? null);
    lines.push(`${address}\t${name}`);
  }
  if (options.ipAddress) {
    const names = options.domainname ? `${options.hostname}.${options.domainname} ${options.hostname}` : options.hostname;
    lines.push(`${options.ipAddress}\t${names}`);
  }
  return lines.join('\n') + '\n';
}

// Builds /etc/hosts for --network host: the host's file plus the --add-host entries.
export function hostHostsFile(hostContent: string, extraHosts: readonly string[], hostGateway: string | null): string {
  const lines = hostContent.replace(/\n*$/, '').split('\n');
  for (const entry of extraHosts) {
    const { name, address } = parseExtraHost(entry, hostGateway);
    lines.push(`${address}\t${name}`);
  }
  return lines.join('\n') + '\n';
}

export function parseExtraHost(entry: string, hostGateway: string | null): { name: string; address: string } {
  // Docker accepts "name:address" and, since API 1.44, "name=address"; the first separator wins.
  const match = /^([^:=]+)[:=](.+)$/.exec(entry);
  if (!match) throw new InvalidArgumentError(`invalid argument "${entry}" for "--add-host": expected name:address`);
  const name = match[1].trim();
  let address = match[2].trim();
  if (address === 'host-gateway') {
    if (!hostGateway) throw new InvalidArgumentError(`invalid argument "${entry}" for "--add-host": no host gateway address is known`);
    address = hostGateway;
  }
  if (!isIPv4(address) && !/^[0-9a-fA-F:]+$/.test(address.replace(/^\[|\]$/g, ''))) {
    throw new InvalidArgumentError(`invalid argument "${entry}" for "--add-host": invalid IP address "${address}"`);
  }
  return { name, address: address.replace(/^\[|\]$/g, '') };
}

export interface ResolvConfSettings {
  nameservers: string[];
  search: string[];
  options: string[];
}

export function parseResolvConf(content: string): ResolvConfSettings {
  const settings: ResolvConfSettings = { nameservers: [], search: [], options: [] };
  for (const rawLine of content.split('\n')) {
    const line = rawLine.replace(/[#;].*$/, '').trim();
    const [keyword, ...values] = line.split(/\s+/);
    if (keyword === 'nameserver' && values[0]) settings.nameservers.push(values[0]);
    else if (keyword === 'search' || keyword === 'domain') settings.search = values;
    else if (keyword === 'options') settings.options.push(...values);
  }
  return settings;
}

export interface ResolvConfOptions {
  // 'user' for user-defined bridge networks (embedded resolver), 'bridge' for the
  // default bridge, 'host' and 'none' for those modes.
  mode: 'user' | 'bridge' | 'host' | 'none';
  // Content of the host's /etc/resolv.conf.
  hostResolvConf: string;
  dns?: readonly string[];
  dnsSearch?: readonly string[];
  dnsOptions?: readonly string[];
  // Embedded resolver address on user networks: the network's gateway.
  resolverAddress?: string;
}

// Docker's fallback when the host lists only loopback resolvers, which a container cannot reach.
const FALLBACK_NAMESERVERS = ['8.8.8.8', '8.8.4.4'];

export function resolvConf(options: ResolvConfOptions): string {
  const host = parseResolvConf(options.hostResolvConf);
  const search = options.dnsSearch?.length ? [...options.dnsSearch] : host.search;
  let nameservers: string[];
  let resolverOptions = options.dnsOptions?.length ? [...options.dnsOptions] : host.options;

  if (options.mode === 'user') {
    if (!options.resolverAddress) throw new InvalidArgumentError('build resolv.conf: a user network needs the embedded resolver address');
    nameservers = [options.resolverAddress];
    // Docker adds ndots:0 for its embedded resolver, so that single names go to it unchanged,
    // unless the user set ndots with --dns-option.
    if (!resolverOptions.some((option) => option.startsWith('ndots:'))) resolverOptions = ['ndots:0', ...resolverOptions];
  } else if (options.dns?.length) {
    nameservers = [...options.dns];
  } else if (options.mode === 'host') {
    nameservers = host.nameservers;
  } else {
    nameservers = host.nameservers.filter((server) => !server.startsWith('127.') && server !== '::1');
    if (nameservers.length === 0) nameservers = [...FALLBACK_NAMESERVERS];
  }

  const lines: string[] = [];
  if (search.length) lines.push(`search ${search.join(' ')}`);
  for (const server of nameservers) lines.push(`nameserver ${server}`);
  if (resolverOptions.length) lines.push(`options ${resolverOptions.join(' ')}`);
  return lines.join('\n') + '\n';
}

// Upstream servers for the embedded resolver: --dns, else the host's non-loopback servers.
export function upstreamServers(hostResolvConf: string, dns: readonly string[] = []): string[] {
  if (dns.length) return [...dns];
  return parseResolvConf(hostResolvConf).nameservers.filter((server) => !server.startsWith('127.') && server !== '::1');
}
