// berth version and berth info, laid out like docker's: a Client section
// from this program and a Server section from GET /version or GET /info.
import { CLIENT_API_VERSION } from '../client/api-client';
import { CliError, type Command, type CommandContext } from '../command';
import { FormatError, renderEach } from '../format/formatter';
import { alignColumns } from '../format/tabwriter';
import { parseGoTemplate } from '../format/template';
import { binarySize } from '../format/units';
import { clientVersion } from '../client-version';

const ARCHITECTURES: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' };

function clientInfo(apiVersion: string) {
  return {
    Platform: { Name: 'Berth' },
    Version: clientVersion(),
    ApiVersion: apiVersion,
    DefaultAPIVersion: CLIENT_API_VERSION,
    NodeVersion: process.version,
    Os: process.platform,
    Arch: ARCHITECTURES[process.arch] ?? process.arch,
    Context: 'default',
  };
}

// The layout of docker's default version template, with the client's Go version replaced by Node.js's.
const VERSION_TEMPLATE = `{{with .Client -}}
Client:{{if .Platform.Name}} {{.Platform.Name}}{{end}}
 Version:\t{{.Version}}
 API version:\t{{.ApiVersion}}{{if ne .ApiVersion .DefaultAPIVersion}} (downgraded from {{.DefaultAPIVersion}}){{end}}
 Node.js version:\t{{.NodeVersion}}
 OS/Arch:\t{{.Os}}/{{.Arch}}
 Context:\t{{.Context}}
{{- end}}

{{- if .ServerOK}}{{with .Server}}

Server:{{if .Platform}}{{if .Platform.Name}} {{.Platform.Name}}{{end}}{{end}}
 {{- range $component := .Components}}
 {{$component.Name}}:
  {{- if eq $component.Name "Engine" }}
  Version:\t{{.Version}}
  API version:\t{{detail .Details "ApiVersion"}} (minimum version {{detail .Details "MinAPIVersion"}})
  Go version:\t{{detail .Details "GoVersion"}}
  Git commit:\t{{detail .Details "GitCommit"}}
  Built:\t{{buildTime (detail .Details "BuildTime")}}
  OS/Arch:\t{{detail .Details "Os"}}/{{detail .Details "Arch"}}
  Experimental:\t{{detail .Details "Experimental"}}
  {{- else }}
  Version:\t{{$component.Version}}
  {{- range $key := detailKeys $component}}
  {{$key}}:\t{{detail $component.Details $key}}
  {{- end}}
  {{- end}}
 {{- end}}
 {{- end}}{{- end}}`;

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// Formats an RFC 3339 time as Go's time.ANSIC in UTC ("Wed Jan  1 00:00:00 2025"). Other text stays as is.
export function ansicTime(value: unknown): string {
  if (typeof value !== 'string' || value === '') return value === undefined || value === null ? '' : String(value);
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  const day = String(date.getUTCDate()).padStart(2, ' ');
  const time = date.toISOString().slice(11, 19);
  return `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${day} ${time} ${date.getUTCFullYear()}`;
}

// Looks up a component detail. A missing one prints as "", as a Go map[string]string lookup does.
function detail(details: unknown, key: unknown): string {
  if (details === null || typeof details !== 'object') return '';
  const value = (details as Record<string, unknown>)[String(key)];
  return value === undefined || value === null ? '' : String(value);
}

function detailKeys(component: unknown): string[] {
  const details = (component as { Details?: Record<string, unknown> | null }).Details;
  return details ? Object.keys(details).sort() : [];
}

export const versionCommand: Command = {
  name: 'version',
  usage: '[OPTIONS]',
  summary: 'Show the Berth version information',
  flags: [{ name: 'format', short: 'f', kind: 'string', description: 'Format the output with a Go template, or "json"' }],
  args: { max: 0 },
  async run(context: CommandContext, flags) {
    let server: unknown = null;
    let serverError: Error | null = null;
    let apiVersion = CLIENT_API_VERSION;
    try {
      const client = await context.client();
      apiVersion = client.version;
      server = await client.json('GET', '/version');
    } catch (error) {
      serverError = error as Error;
    }
    const data = { Client: clientInfo(apiVersion), Server: server, ServerOK: server !== null };

    const format = flags.string('format');
    if (format === 'json') {
      context.streams.stdout.write(`${JSON.stringify({ Client: data.Client, Server: data.Server })}\n`);
    } else if (format !== '') {
      try {
        context.streams.stdout.write(renderEach(format, [data]));
      } catch (error) {
        if (error instanceof FormatError) throw new CliError(error.message);
        throw error;
      }
    } else {
      const template = parseGoTemplate(VERSION_TEMPLATE, { functions: { buildTime: ansicTime, detail, detailKeys } });
      context.streams.stdout.write(alignColumns(`${template.execute(data)}\n`, { minWidth: 20, padding: 1 }));
    }
    if (serverError) throw serverError;
    return 0;
  },
};

type Info = Record<string, unknown> & {
  Warnings?: string[] | null;
  DriverStatus?: string[][] | null;
  Plugins?: Record<string, string[] | null> | null;
  SecurityOptions?: string[] | null;
  Runtimes?: Record<string, unknown> | null;
};

interface RegistryConfig {
  IndexConfigs?: Record<string, { Name: string; Secure: boolean }> | null;
  InsecureRegistryCIDRs?: string[] | null;
  Mirrors?: string[] | null;
}

function registryLines(config: RegistryConfig | null | undefined): string[] {
  if (!config) return [];
  const lines: string[] = [];
  const insecureIndexes = Object.values(config.IndexConfigs ?? {}).filter((index) => !index.Secure);
  const cidrs = config.InsecureRegistryCIDRs ?? [];
  if (insecureIndexes.length > 0 || cidrs.length > 0) {
    lines.push(' Insecure Registries:', ...insecureIndexes.map((index) => `  ${index.Name}`), ...cidrs.map((cidr) => `  ${cidr}`));
  }
  const mirrors = config.Mirrors ?? [];
  if (mirrors.length > 0) lines.push(' Registry Mirrors:', ...mirrors.map((mirror) => `  ${mirror}`));
  return lines;
}

function line(lines: string[], indent: number, label: string, value: unknown): void {
  lines.push(`${' '.repeat(indent)}${label}: ${value === undefined || value === null ? '' : String(value)}`);
}

function securityLines(options: string[] | null | undefined): string[] {
  if (!options || options.length === 0) return [];
  const lines = [' Security Options:'];
  for (const option of options) {
    // Each option reads "name=seccomp,profile=builtin": the name on its own line, the rest indented below it.
    const fields = Object.fromEntries(option.split(',').map((pair) => pair.split('=') as [string, string]));
    lines.push(`  ${fields.name ?? option}`);
    for (const [key, value] of Object.entries(fields)) {
      if (key !== 'name') lines.push(`   ${key.charAt(0).toUpperCase()}${key.slice(1)}: ${value}`);
    }
  }
  return lines;
}

// Renders the Server section the way docker info prints it, for the fields the daemon reports.
export function renderServerInfo(info: Info): string[] {
  const lines: string[] = ['Server:'];
  line(lines, 1, 'Containers', info.Containers);
  line(lines, 2, 'Running', info.ContainersRunning);
  line(lines, 2, 'Paused', info.ContainersPaused);
  line(lines, 2, 'Stopped', info.ContainersStopped);
  line(lines, 1, 'Images', info.Images);
  line(lines, 1, 'Server Version', info.ServerVersion);

  line(lines, 1, 'Storage Driver', info.Driver);
  for (const [key, value] of info.DriverStatus ?? []) line(lines, 2, key, value);
  line(lines, 1, 'Logging Driver', info.LoggingDriver);
  line(lines, 1, 'Cgroup Driver', info.CgroupDriver);
  line(lines, 1, 'Cgroup Version', info.CgroupVersion);
  if (info.Plugins) {
    lines.push(' Plugins:');
    for (const kind of ['Volume', 'Network', 'Authorization', 'Log']) {
      const plugins = info.Plugins[kind];
      if (plugins && plugins.length > 0) line(lines, 2, kind, plugins.join(' '));
    }
  }

  const swarm = info.Swarm as { LocalNodeState?: string } | undefined;
  if (swarm?.LocalNodeState) line(lines, 1, 'Swarm', swarm.LocalNodeState);
  if (info.Runtimes) line(lines, 1, 'Runtimes', Object.keys(info.Runtimes).sort().join(' '));
  line(lines, 1, 'Default Runtime', info.DefaultRuntime);
  line(lines, 1, 'Init Binary', info.InitBinary);
  for (const [label, key] of [['containerd version', 'ContainerdCommit'], ['runc version', 'RuncCommit'], ['init version', 'InitCommit']]) {
    const commit = info[key] as { ID?: string } | undefined;
    if (commit) line(lines, 1, label, commit.ID);
  }
  lines.push(...securityLines(info.SecurityOptions));

  line(lines, 1, 'Kernel Version', info.KernelVersion);
  line(lines, 1, 'Operating System', info.OperatingSystem);
  line(lines, 1, 'OSType', info.OSType);
  line(lines, 1, 'Architecture', info.Architecture);
  line(lines, 1, 'CPUs', info.NCPU);
  line(lines, 1, 'Total Memory', typeof info.MemTotal === 'number' ? binarySize(info.MemTotal) : info.MemTotal);
  line(lines, 1, 'Name', info.Name);
  line(lines, 1, 'ID', info.ID);
  // Named after the API field, as docker prints it, so scripts that read it keep working.
  line(lines, 1, 'Docker Root Dir', info.DockerRootDir);

  line(lines, 1, 'Debug Mode', info.Debug ?? false);
  if (info.Debug) {
    line(lines, 2, 'File Descriptors', info.NFd ?? 0);
    line(lines, 2, 'Goroutines', info.NGoroutines ?? 0);
    line(lines, 2, 'System Time', info.SystemTime);
    line(lines, 2, 'EventsListeners', info.NEventsListener ?? 0);
  }
  for (const [label, key] of [['HTTP Proxy', 'HttpProxy'], ['HTTPS Proxy', 'HttpsProxy'], ['No Proxy', 'NoProxy']]) {
    if (info[key]) line(lines, 1, label, info[key]);
  }
  const labels = (info.Labels as string[] | null | undefined) ?? [];
  if (labels.length > 0) lines.push(' Labels:', ...labels.map((label) => `  ${label}`));
  line(lines, 1, 'Experimental', info.ExperimentalBuild ?? false);
  lines.push(...registryLines(info.RegistryConfig as RegistryConfig | null | undefined));
  line(lines, 1, 'Live Restore Enabled', info.LiveRestoreEnabled ?? false);
  return lines;
}

export const infoCommand: Command = {
  name: 'info',
  usage: '[OPTIONS]',
  summary: 'Display system-wide information',
  flags: [{ name: 'format', short: 'f', kind: 'string', description: 'Format the output with a Go template, or "json"' }],
  args: { max: 0 },
  async run(context, flags) {
    const client = await context.client();
    const info = await client.json<Info>('GET', '/info');
    const clientSection = { Version: clientVersion(), Context: 'default', Debug: false };

    const format = flags.string('format');
    if (format !== '') {
      const data = { ...info, ClientInfo: clientSection };
      try {
        context.streams.stdout.write(format === 'json' ? `${JSON.stringify(data)}\n` : renderEach(format, [data]));
      } catch (error) {
        if (error instanceof FormatError) throw new CliError(error.message);
        throw error;
      }
      return 0;
    }

    const lines = ['Client:', ` Version:    ${clientSection.Version}`, ' Context:    default', ' Debug Mode: false', '', ...renderServerInfo(info), ''];
    context.streams.stdout.write(`${lines.join('\n')}\n`);
    // docker prints the daemon's warnings on stderr.
    for (const warning of info.Warnings ?? []) context.streams.stderr.write(`${warning}\n`);
    return 0;
  },
};
