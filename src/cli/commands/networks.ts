// Network commands: create, ls, rm, prune, connect and disconnect
// (inspect lives with the other inspect commands).
import { ApiError } from '../client/api-error';
import { CliError, PROGRAM, type Command, type CommandContext } from '../command';
import { FormatError, renderList } from '../format/formatter';
import { DEFAULT_NETWORK_TABLE, NETWORK_HEADERS, NetworkRow, type ApiNetwork } from '../format/network-row';
import { forEachTarget } from './container-lifecycle';
import { checkFilter, encodeFilters } from './filters';
import { naturalCompare } from './list';
import { keyValueMap } from './option-parsers';
import { confirm } from './volumes';

// docker allows one --subnet, --gateway and --ip-range per address family. Berth networks are IPv4 only.
function single(values: string[], flag: string): string | null {
  if (values.length > 1) throw new CliError(`invalid ${flag}: Berth networks have one IPv4 subnet, so give --${flag} once`);
  return values[0] ?? null;
}

function ipamConfig(flags: { list(name: string): string[] }): Record<string, string>[] {
  const subnet = single(flags.list('subnet'), 'subnet');
  const gateway = single(flags.list('gateway'), 'gateway');
  const ipRange = single(flags.list('ip-range'), 'ip-range');
  if (subnet === null) {
    if (gateway !== null || ipRange !== null) throw new CliError('every ip-range or gateway must have a corresponding subnet');
    return [];
  }
  const config: Record<string, string> = { Subnet: subnet };
  if (ipRange !== null) config.IPRange = ipRange;
  if (gateway !== null) config.Gateway = gateway;
  return [config];
}

export const networkCreateCommand: Command = {
  name: 'create',
  usage: '[OPTIONS] NETWORK',
  summary: 'Create a network',
  flags: [
    { name: 'attachable', kind: 'bool', description: 'Enable manual container attachment' },
    { name: 'driver', short: 'd', kind: 'string', defaultValue: 'bridge', description: 'Driver to manage the network ("bridge")' },
    { name: 'gateway', kind: 'list', description: 'IPv4 gateway for the subnet' },
    { name: 'internal', kind: 'bool', description: 'Restrict external access to the network' },
    { name: 'ip-range', kind: 'list', description: 'Allocate container addresses from a sub-range of the subnet' },
    { name: 'label', kind: 'list', description: 'Set metadata on a network: KEY=VALUE' },
    { name: 'opt', short: 'o', kind: 'list', description: 'Driver option: KEY=VALUE' },
    { name: 'subnet', kind: 'list', description: 'Subnet in CIDR format, such as 10.10.0.0/24' },
  ],
  args: { min: 1, max: 1 },
  async run(context, flags, [name]) {
    const client = await context.client();
    const created = await client.json<{ Id: string; Warning?: string }>('POST', '/networks/create', {
      body: {
        Name: name,
        Driver: flags.string('driver'),
        Internal: flags.bool('internal'),
        Attachable: flags.bool('attachable'),
        IPAM: { Driver: 'default', Config: ipamConfig(flags), Options: {} },
        Options: keyValueMap(flags.list('opt')),
        Labels: keyValueMap(flags.list('label')),
      },
    });
    if (created.Warning) context.streams.stderr.write(`${created.Warning}\n`);
    context.streams.stdout.write(`${created.Id}\n`);
    return 0;
  },
};

export const networkListCommand: Command = {
  name: 'ls',
  usage: '[OPTIONS]',
  summary: 'List networks',
  flags: [
    { name: 'filter', short: 'f', kind: 'list', description: 'Filter output: driver=, id=, label=, name=, type=custom|builtin, dangling=', check: checkFilter },
    { name: 'format', kind: 'string', description: 'Output format: "table", "table TEMPLATE", "json" (one object per line) or a Go template' },
    { name: 'no-trunc', kind: 'bool', description: 'Do not truncate the output' },
    { name: 'quiet', short: 'q', kind: 'bool', description: 'Only display network IDs' },
  ],
  args: { max: 0 },
  aliases: [`${PROGRAM} network ls`, `${PROGRAM} network list`],
  async run(context, flags) {
    const client = await context.client();
    const networks = await client.json<ApiNetwork[]>('GET', '/networks', { query: { filters: encodeFilters(flags.list('filter')) } });
    const truncate = !flags.bool('no-trunc');
    const rows = [...networks].sort((left, right) => naturalCompare(left.Name, right.Name)).map((network) => new NetworkRow(network, truncate));
    try {
      context.streams.stdout.write(
        renderList({ format: flags.string('format'), defaultTable: DEFAULT_NETWORK_TABLE, quietFormat: '{{.ID}}', quiet: flags.bool('quiet'), headers: NETWORK_HEADERS }, rows),
      );
    } catch (error) {
      if (error instanceof FormatError) throw new CliError(error.message);
      throw error;
    }
    return 0;
  },
};

export const networkRemoveCommand: Command = {
  name: 'rm',
  usage: '[OPTIONS] NETWORK [NETWORK...]',
  summary: 'Remove one or more networks',
  flags: [{ name: 'force', short: 'f', kind: 'bool', description: 'Do not fail when a network does not exist' }],
  args: { min: 1 },
  aliases: [`${PROGRAM} network rm`, `${PROGRAM} network remove`],
  run: (context, flags, names) =>
    forEachTarget(context, names, async (client, name) => {
      try {
        await client.call('DELETE', `/networks/${encodeURIComponent(name)}`);
      } catch (error) {
        if (flags.bool('force') && error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
      return name;
    }),
};

export const networkPruneCommand: Command = {
  name: 'prune',
  usage: '[OPTIONS]',
  summary: 'Remove all unused networks',
  flags: [
    { name: 'filter', kind: 'list', description: 'Only prune networks that match: label=KEY[=VALUE]', check: checkFilter },
    { name: 'force', short: 'f', kind: 'bool', description: 'Do not prompt for confirmation' },
  ],
  args: { max: 0 },
  async run(context, flags) {
    if (!flags.bool('force')) {
      context.streams.stdout.write('WARNING! This will remove all custom networks not used by at least one container.\n');
      if (!(await confirm(context.streams.stdin, context.streams.stdout, 'Are you sure you want to continue?'))) return 0;
    }
    const client = await context.client();
    const report = await client.json<{ NetworksDeleted: string[] | null }>('POST', '/networks/prune', { query: { filters: encodeFilters(flags.list('filter')) } });
    const deleted = report.NetworksDeleted ?? [];
    if (deleted.length > 0) context.streams.stdout.write(`Deleted Networks:\n${deleted.join('\n')}\n\n`);
    return 0;
  },
};

async function postToNetwork(context: CommandContext, network: string, action: 'connect' | 'disconnect', body: object): Promise<number> {
  const client = await context.client();
  await client.call('POST', `/networks/${encodeURIComponent(network)}/${action}`, { body });
  return 0;
}

export const networkConnectCommand: Command = {
  name: 'connect',
  usage: '[OPTIONS] NETWORK CONTAINER',
  summary: 'Connect a container to a network',
  flags: [
    { name: 'alias', kind: 'list', description: 'Add a network-scoped alias for the container' },
    { name: 'ip', kind: 'string', description: 'IPv4 address, on a network created with --subnet' },
  ],
  args: { min: 2, max: 2 },
  run: (context, flags, [network, container]) => {
    const ip = flags.string('ip');
    const endpoint = { Aliases: flags.list('alias'), IPAMConfig: ip === '' ? null : { IPv4Address: ip } };
    return postToNetwork(context, network, 'connect', { Container: container, EndpointConfig: endpoint });
  },
};

export const networkDisconnectCommand: Command = {
  name: 'disconnect',
  usage: '[OPTIONS] NETWORK CONTAINER',
  summary: 'Disconnect a container from a network',
  flags: [{ name: 'force', short: 'f', kind: 'bool', description: 'Force the container to disconnect from a network' }],
  args: { min: 2, max: 2 },
  run: (context, flags, [network, container]) => postToNetwork(context, network, 'disconnect', { Container: container, Force: flags.bool('force') }),
};
