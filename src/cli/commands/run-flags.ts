// The options of berth run and berth create, with docker's names, short
// letters and value checks. Values are checked as they are parsed so a bad
// value fails with pflag's "invalid argument" message and exit code 125.
import { isIPv4 } from 'node:net';
import type { FlagSpec } from '../flags';
import { parseRamBytes } from '../format/units';
import { HEALTH_FLAGS } from './health-flags';
import { parseMount } from './mount-options';
import { parseMemorySwap, parseNanoCpus, parseSysctl, parseUlimit } from './option-parsers';

const ATTACHABLE_STREAMS = new Set(['stdin', 'stdout', 'stderr']);

function checkAttach(value: string): void {
  if (!ATTACHABLE_STREAMS.has(value.toLowerCase())) throw new Error('valid streams are STDIN, STDOUT and STDERR');
}

function checkIpv4(value: string): void {
  if (!isIPv4(value)) throw new Error(`invalid IPv4 address: ${value}`);
}

function checkBytes(value: string): void {
  parseRamBytes(value);
}

// Options shared by run and create.
export const CONTAINER_CONFIG_FLAGS: FlagSpec[] = [
  { name: 'add-host', kind: 'list', description: 'Add a line "host:ip" to /etc/hosts' },
  { name: 'attach', short: 'a', kind: 'list', description: 'Attach to STDIN, STDOUT or STDERR (repeatable)', check: checkAttach },
  { name: 'cap-add', kind: 'list', description: 'Add a Linux capability, such as NET_ADMIN or ALL' },
  { name: 'cap-drop', kind: 'list', description: 'Drop a Linux capability, such as CHOWN or ALL' },
  { name: 'cgroup-parent', kind: 'string', description: 'Parent cgroup for the container' },
  { name: 'cgroupns', kind: 'string', description: 'Cgroup namespace: "host" or "private"' },
  { name: 'cidfile', kind: 'string', description: 'Write the container ID to this file (which must not exist)' },
  { name: 'cpu-period', kind: 'int', valueName: 'microseconds', description: 'Length of a CPU CFS period' },
  { name: 'cpu-quota', kind: 'int', valueName: 'microseconds', description: 'CPU time allowed per CFS period' },
  { name: 'cpu-shares', short: 'c', kind: 'int', description: 'Relative CPU weight (cgroup cpu.shares)' },
  { name: 'cpus', kind: 'string', valueName: 'decimal', description: 'Number of CPUs the container may use, such as 1.5', check: (value) => void parseNanoCpus(value) },
  { name: 'cpuset-cpus', kind: 'string', description: 'CPUs the container may run on, such as 0-3 or 0,1' },
  { name: 'cpuset-mems', kind: 'string', description: 'Memory nodes the container may use, such as 0-3 or 0,1' },
  { name: 'detach-keys', kind: 'string', description: 'Key sequence that detaches from the container, such as ctrl-p,ctrl-q' },
  { name: 'device', kind: 'list', description: 'Add a host device: HOST[:CONTAINER][:PERMISSIONS], permissions from r, w, m' },
  { name: 'dns', kind: 'list', description: 'DNS server written to /etc/resolv.conf' },
  { name: 'dns-option', kind: 'list', description: 'Option line for /etc/resolv.conf' },
  { name: 'dns-search', kind: 'list', description: 'DNS search domain for /etc/resolv.conf' },
  { name: 'domainname', kind: 'string', description: 'Container NIS domain name' },
  { name: 'entrypoint', kind: 'string', description: 'Replace the image\'s ENTRYPOINT ("" clears it)' },
  { name: 'env', short: 'e', kind: 'list', description: 'Set an environment variable: NAME=VALUE, or NAME to copy it from this shell' },
  { name: 'env-file', kind: 'list', description: 'Read environment variables from a file of NAME=VALUE lines' },
  { name: 'expose', kind: 'list', description: 'Expose a port or a range of ports: PORT[/PROTOCOL]' },
  { name: 'group-add', kind: 'list', description: 'Additional group for the container process (name or GID)' },
  ...HEALTH_FLAGS,
  { name: 'hostname', short: 'h', kind: 'string', description: 'Container host name' },
  { name: 'init', kind: 'bool', description: 'Run an init process (tini) as PID 1 that forwards signals and reaps zombies' },
  { name: 'interactive', short: 'i', kind: 'bool', description: 'Keep STDIN open even when not attached' },
  { name: 'ipc', kind: 'string', description: 'IPC namespace: "private", "shareable" or "host"' },
  { name: 'label', short: 'l', kind: 'list', description: 'Set a label: KEY=VALUE' },
  { name: 'label-file', kind: 'list', description: 'Read labels from a file of KEY=VALUE lines' },
  { name: 'log-driver', kind: 'string', description: 'Logging driver for the container' },
  { name: 'log-opt', kind: 'list', description: 'Logging driver option: KEY=VALUE' },
  { name: 'memory', short: 'm', kind: 'string', valueName: 'bytes', description: 'Memory limit, with an optional unit b, k, m or g (binary: 1k is 1024 bytes)', check: checkBytes },
  { name: 'memory-reservation', kind: 'string', valueName: 'bytes', description: 'Memory soft limit, with an optional unit b, k, m or g', check: checkBytes },
  { name: 'memory-swap', kind: 'string', valueName: 'bytes', description: 'Memory plus swap limit, with a unit as for --memory; -1 for unlimited swap', check: (value) => void parseMemorySwap(value) },
  { name: 'mount', kind: 'list', valueName: 'mount', description: 'Attach a mount: type=bind|volume|tmpfs,source=...,target=...[,readonly]', check: (value) => void parseMount(value) },
  { name: 'name', kind: 'string', description: 'Container name' },
  { name: 'network', kind: 'string', valueName: 'network', description: 'Network mode: "bridge", "host", "none" or a network name' },
  { name: 'net', kind: 'string', valueName: 'network', description: 'Same as --network', hidden: true },
  { name: 'network-alias', kind: 'list', description: 'Add a network-scoped alias, resolvable by other containers on a user-defined network' },
  { name: 'net-alias', kind: 'list', description: 'Same as --network-alias', hidden: true },
  { name: 'ip', kind: 'string', valueName: 'address', description: 'IPv4 address for the container, on a network created with --subnet', check: checkIpv4 },
  { name: 'oom-kill-disable', kind: 'bool', description: 'Disable the OOM killer for the container' },
  { name: 'oom-score-adj', kind: 'int', description: 'OOM score adjustment, from -1000 to 1000' },
  { name: 'pid', kind: 'string', description: 'PID namespace: "host" to share the host\'s' },
  { name: 'pids-limit', kind: 'int', description: 'Maximum number of processes (-1 for no limit)' },
  { name: 'platform', kind: 'string', description: 'Platform of the image, such as linux/amd64' },
  { name: 'privileged', kind: 'bool', description: 'Give the container all capabilities and host devices' },
  { name: 'publish', short: 'p', kind: 'list', description: 'Publish a container port: [IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]' },
  { name: 'publish-all', short: 'P', kind: 'bool', description: 'Publish every exposed port to a random host port' },
  { name: 'pull', kind: 'string', defaultValue: 'missing', description: 'When to pull the image: "always", "missing" or "never"' },
  { name: 'quiet', short: 'q', kind: 'bool', description: 'Do not print pull progress' },
  { name: 'read-only', kind: 'bool', description: 'Mount the container\'s root filesystem read-only' },
  { name: 'restart', kind: 'string', defaultValue: 'no', description: 'Restart policy: "no", "always", "unless-stopped" or "on-failure[:MAX_RETRIES]"' },
  { name: 'rm', kind: 'bool', description: 'Remove the container and its anonymous volumes when it exits' },
  { name: 'security-opt', kind: 'list', description: 'Security option: no-new-privileges, seccomp=unconfined or seccomp=PROFILE.json' },
  { name: 'shm-size', kind: 'string', valueName: 'bytes', description: 'Size of /dev/shm, with a unit as for --memory (default 64m)', check: checkBytes },
  { name: 'stop-signal', kind: 'string', description: 'Signal that stops the container, such as SIGTERM or 15' },
  { name: 'stop-timeout', kind: 'int', valueName: 'seconds', description: 'Time to wait after the stop signal before killing the container' },
  { name: 'sysctl', kind: 'list', description: 'Set a namespaced kernel parameter: NAME=VALUE', check: (value) => void parseSysctl(value) },
  { name: 'tmpfs', kind: 'list', description: 'Mount a tmpfs: PATH[:OPTIONS], such as /run:rw,size=64m' },
  { name: 'tty', short: 't', kind: 'bool', description: 'Allocate a pseudo-terminal' },
  { name: 'ulimit', kind: 'list', description: 'Resource limit: NAME=SOFT[:HARD], such as nofile=1024:2048', check: (value) => void parseUlimit(value) },
  { name: 'user', short: 'u', kind: 'string', description: 'User to run as: NAME|UID[:GROUP|GID]' },
  { name: 'userns', kind: 'string', description: 'User namespace mode' },
  { name: 'uts', kind: 'string', description: 'UTS namespace: "host" to share the host\'s' },
  { name: 'volume', short: 'v', kind: 'list', description: 'Bind mount or volume: [SOURCE:]TARGET[:OPTIONS]' },
  { name: 'volumes-from', kind: 'list', description: 'Mount the volumes of another container: CONTAINER[:ro|rw]' },
  { name: 'workdir', short: 'w', kind: 'string', description: 'Working directory inside the container' },
];

// Options only run has.
export const RUN_ONLY_FLAGS: FlagSpec[] = [
  { name: 'detach', short: 'd', kind: 'bool', description: 'Run in the background and print the container ID' },
  { name: 'sig-proxy', kind: 'bool', defaultValue: true, description: 'Forward signals this command receives to the container (not with -t)' },
];

// Sorted by code unit, not localeCompare: the names are lowercase ASCII, where both give the same
// order, and the first localeCompare call loads ICU's collator (about 6 ms of every berth run).
function compareFlagNames(a: FlagSpec, b: FlagSpec): number {
  if (a.name < b.name) return -1;
  if (a.name > b.name) return 1;
  return 0;
}

export const RUN_FLAGS: FlagSpec[] = [...CONTAINER_CONFIG_FLAGS, ...RUN_ONLY_FLAGS].sort(compareFlagNames);
export const CREATE_FLAGS: FlagSpec[] = CONTAINER_CONFIG_FLAGS;
