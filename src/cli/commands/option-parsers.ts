// Parsers for the values of run/create options, with the docker CLI's rules
// and messages: ports, ulimits, devices, restart policies, CPU counts,
// environment and label files, sysctls and security options.
import fs from 'node:fs';
import { parseRamBytes } from '../format/units';

export class OptionError extends Error {}

// --cpus: a decimal number of CPUs, converted to billionths of a CPU (NanoCpus).
export function parseNanoCpus(value: string): number {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value)) throw new Error(`failed to parse ${value} as a rational number`);
  const nano = Number(value) * 1e9;
  if (Math.abs(nano - Math.round(nano)) > 1e-6) throw new Error('value is too precise');
  return Math.round(nano);
}

// --memory-swap: a size, or -1 for unlimited swap.
export function parseMemorySwap(value: string): number {
  return value === '-1' ? -1 : parseRamBytes(value);
}

const ULIMIT_NAMES = new Set(['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack']);

export interface ApiUlimit {
  Name: string;
  Soft: number;
  Hard: number;
}

// --ulimit name=soft[:hard]. The hard limit defaults to the soft one.
export function parseUlimit(value: string): ApiUlimit {
  const [name, limits, ...extra] = value.split('=');
  if (limits === undefined || extra.length > 0) throw new Error(`invalid ulimit argument: ${value}`);
  if (!ULIMIT_NAMES.has(name)) throw new Error(`invalid ulimit type: ${name}`);
  const parts = limits.split(':');
  if (parts.length > 2) throw new Error(`too many limit value arguments - ${limits}, can only have up to two, \`soft[:hard]\``);
  const numbers = parts.map((part) => {
    if (!/^-?\d+$/.test(part)) throw new Error(`invalid ulimit argument: ${value}`);
    return Number(part);
  });
  const soft = numbers[0];
  const hard = numbers[1] ?? soft;
  if (soft > hard) throw new Error(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { Name: name, Soft: soft, Hard: hard };
}

export interface ApiDeviceMapping {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
}

// --device host[:container][:permissions], permissions from r, w and m (default rwm).
export function parseDevice(value: string): ApiDeviceMapping {
  const parts = value.split(':');
  let permissions = 'rwm';
  let container = '';
  if (parts.length > 3 || parts[0] === '') throw new OptionError(`invalid device specification: ${value}`);
  if (parts.length === 3) {
    container = parts[1];
    permissions = parts[2];
  } else if (parts.length === 2) {
    if (/^[rwm]+$/.test(parts[1])) permissions = parts[1];
    else container = parts[1];
  }
  if (!/^[rwm]{1,3}$/.test(permissions)) throw new OptionError(`invalid device specification: ${value}`);
  return { PathOnHost: parts[0], PathInContainer: container || parts[0], CgroupPermissions: permissions };
}

export interface RestartPolicy {
  Name: string;
  MaximumRetryCount: number;
}

// --restart no|always|unless-stopped|on-failure[:max-retries]. The daemon validates the name.
export function parseRestartPolicy(value: string): RestartPolicy {
  const colon = value.indexOf(':');
  const name = colon === -1 ? value : value.slice(0, colon);
  const count = colon === -1 ? '' : value.slice(colon + 1);
  if (colon !== -1 && name === '') throw new OptionError('invalid restart policy format: no policy provided before colon');
  let maximumRetryCount = 0;
  if (count !== '') {
    if (!/^[+-]?\d+$/.test(count)) throw new OptionError('invalid restart policy format: maximum retry count must be an integer');
    maximumRetryCount = Number(count);
  }
  return { Name: name, MaximumRetryCount: maximumRetryCount };
}

export interface PortSettings {
  exposed: Record<string, Record<string, never>>;
  bindings: Record<string, Array<{ HostIp: string; HostPort: string }>>;
}

function parsePortRange(text: string, kind: 'containerPort' | 'hostPort'): [number, number] {
  const match = text.match(/^(\d+)(?:-(\d+))?$/);
  if (!match) throw new OptionError(`invalid ${kind}: ${text}`);
  const start = Number(match[1]);
  const end = match[2] === undefined ? start : Number(match[2]);
  if (start > 65535 || end > 65535 || end < start) throw new OptionError(`invalid ${kind}: ${text}`);
  return [start, end];
}

// -p [ip:][hostPort:]containerPort[/protocol], with ranges such as 8000-8010.
export function addPublishedPort(settings: PortSettings, value: string): void {
  const slash = value.lastIndexOf('/');
  const protocol = slash === -1 ? 'tcp' : value.slice(slash + 1).toLowerCase();
  const address = slash === -1 ? value : value.slice(0, slash);
  if (!['tcp', 'udp', 'sctp'].includes(protocol)) throw new OptionError(`invalid proto: ${protocol}`);

  let ip = '';
  let hostPart = '';
  let containerPart: string;
  const bracketed = address.match(/^\[([^\]]+)\]:(.*)$/);
  if (bracketed) {
    ip = bracketed[1];
    const rest = bracketed[2].split(':');
    [hostPart, containerPart] = rest.length === 2 ? rest : ['', rest[0]];
  } else {
    const parts = address.split(':');
    if (parts.length === 1) containerPart = parts[0];
    else if (parts.length === 2) [hostPart, containerPart] = parts;
    else {
      containerPart = parts[parts.length - 1];
      hostPart = parts[parts.length - 2];
      ip = parts.slice(0, -2).join(':');
    }
  }

  if (containerPart === '') throw new OptionError(`no port specified: ${value}<empty>`);
  const [containerStart, containerEnd] = parsePortRange(containerPart, 'containerPort');
  const hostRange = hostPart === '' ? null : parsePortRange(hostPart, 'hostPort');
  const count = containerEnd - containerStart;
  // A host range may go with a single container port (any port of the range). Otherwise the lengths must match.
  if (hostRange && hostRange[1] - hostRange[0] !== count && count !== 0) {
    throw new OptionError(`invalid ranges specified for container and host Ports: ${containerPart} and ${hostPart}`);
  }

  for (let offset = 0; offset <= count; offset++) {
    const key = `${containerStart + offset}/${protocol}`;
    let hostPort = hostPart;
    if (hostRange && hostRange[1] !== hostRange[0]) {
      hostPort = count === 0 ? `${hostRange[0]}-${hostRange[1]}` : String(hostRange[0] + offset);
    }
    settings.exposed[key] = {};
    settings.bindings[key] = [...(settings.bindings[key] ?? []), { HostIp: ip, HostPort: hostPort }];
  }
}

// --expose port[/protocol], with ranges.
export function addExposedPort(settings: PortSettings, value: string): void {
  const slash = value.lastIndexOf('/');
  const protocol = slash === -1 ? 'tcp' : value.slice(slash + 1);
  const [start, end] = parsePortRange(slash === -1 ? value : value.slice(0, slash), 'containerPort');
  for (let port = start; port <= end; port++) settings.exposed[`${port}/${protocol}`] = {};
}

// Reads KEY=VALUE lines (env and label files). Blank lines and # comments are
// skipped. A line without "=" takes its value from the local environment
// when lookup is given (env files) and is dropped if the variable is unset.
export function readKeyValueFile(file: string, lookup: ((name: string) => string | undefined) | null): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new OptionError(`open ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (error as Error).message}`);
  }
  const lines: string[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((raw, index) => {
      const line = raw.replace(/^[ \t]+/, '');
      if (line === '' || line.startsWith('#')) return;
      const equals = line.indexOf('=');
      const name = equals === -1 ? line : line.slice(0, equals);
      if (name === '') throw new OptionError(`no variable name on line '${raw}' of ${file} (line ${index + 1})`);
      if (/[ \t]/.test(name)) throw new OptionError(`variable '${name}' contains whitespaces`);
      if (equals !== -1) {
        lines.push(line);
      } else if (lookup) {
        const value = lookup(name);
        if (value !== undefined) lines.push(`${name}=${value}`);
      } else {
        lines.push(line);
      }
    });
  return lines;
}

// -e NAME=value, or -e NAME to copy NAME from the local environment (kept bare when it is unset).
export function expandEnvironmentVariable(value: string, environment: NodeJS.ProcessEnv): string {
  const equals = value.indexOf('=');
  if (equals === 0) throw new OptionError(`invalid environment variable: ${value}`);
  if (equals !== -1) return value;
  const local = environment[value];
  return local === undefined ? value : `${value}=${local}`;
}

// Turns KEY=VALUE strings into a map. A bare KEY maps to "".
export function keyValueMap(entries: string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const entry of entries) {
    const equals = entry.indexOf('=');
    if (equals === -1) map[entry] = '';
    else map[entry.slice(0, equals)] = entry.slice(equals + 1);
  }
  return map;
}

const NAMESPACED_SYSCTL_PREFIXES = ['net.', 'fs.mqueue.'];
const NAMESPACED_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

// --sysctl name=value, limited to namespaced sysctls as docker's CLI checks.
export function parseSysctl(value: string): [string, string] {
  const equals = value.indexOf('=');
  if (equals <= 0) throw new Error(`sysctl '${value}' is not allowed`);
  const name = value.slice(0, equals);
  if (!NAMESPACED_SYSCTLS.has(name) && !NAMESPACED_SYSCTL_PREFIXES.some((prefix) => name.startsWith(prefix))) {
    throw new Error(`sysctl '${value}' is not allowed`);
  }
  return [name, value.slice(equals + 1)];
}

// --security-opt values, where seccomp=FILE is replaced by seccomp=<the file's compact JSON>, as docker sends it.
export function parseSecurityOptions(values: string[]): string[] {
  return values.map((option) => {
    let separator = option.indexOf('=');
    if (separator === -1 && option !== 'no-new-privileges') separator = option.indexOf(':');
    const key = separator === -1 ? option : option.slice(0, separator);
    const value = separator === -1 ? '' : option.slice(separator + 1);
    if (value === '' && key !== 'no-new-privileges') throw new OptionError(`Invalid --security-opt: ${JSON.stringify(option)}`);
    if (key !== 'seccomp' || value === 'unconfined' || value === 'builtin') return option;

    let content: string;
    try {
      content = fs.readFileSync(value, 'utf8');
    } catch (error) {
      throw new OptionError(`opening seccomp profile (${value}) failed: ${(error as Error).message}`);
    }
    try {
      return `seccomp=${JSON.stringify(JSON.parse(content))}`;
    } catch (error) {
      throw new OptionError(`compacting json for seccomp profile (${value}) failed: ${(error as Error).message}`);
    }
  });
}

// --log-opt key=value pairs.
export function parseLogOptions(values: string[]): Record<string, string> {
  const options: Record<string, string> = {};
  for (const value of values) {
    const equals = value.indexOf('=');
    if (equals <= 0) throw new OptionError(`invalid key-value pair: ${value}`);
    options[value.slice(0, equals)] = value.slice(equals + 1);
  }
  return options;
}
