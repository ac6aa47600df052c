// berth port: the published ports of a container, from NetworkSettings.Ports of inspect.
import { CliError, PROGRAM, type Command } from '../command';

type PortMap = Record<string, { HostIp: string; HostPort: string }[] | null>;

function hostAddress(binding: { HostIp: string; HostPort: string }): string {
  const host = binding.HostIp || '0.0.0.0';
  return host.includes(':') ? `[${host}]:${binding.HostPort}` : `${host}:${binding.HostPort}`;
}

// Orders "80/tcp" before "443/tcp" and tcp before udp, as docker does.
function comparePortKeys(left: string, right: string): number {
  const [leftPort, leftProtocol = ''] = left.split('/');
  const [rightPort, rightProtocol = ''] = right.split('/');
  return Number(leftPort) - Number(rightPort) || leftProtocol.localeCompare(rightProtocol);
}

export const portCommand: Command = {
  name: 'port',
  usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
  summary: 'List port mappings or a specific mapping for the container',
  flags: [],
  args: { min: 1, max: 2 },
  aliases: [`${PROGRAM} container port`, `${PROGRAM} port`],
  async run(context, _flags, [container, requested]) {
    const client = await context.client();
    const inspected = await client.json<{ Name: string; NetworkSettings?: { Ports?: PortMap | null } }>('GET', `/containers/${encodeURIComponent(container)}/json`);
    const ports = inspected.NetworkSettings?.Ports ?? {};

    if (requested !== undefined) {
      const [port, protocol = 'tcp'] = requested.split('/');
      if (!/^\d{1,5}$/.test(port)) throw new CliError(`Error: invalid port (${port}): expected a port number`);
      const key = `${port}/${protocol.toLowerCase()}`;
      const bindings = ports[key] ?? [];
      if (bindings.length === 0) throw new CliError(`Error: No public port '${requested}' published for ${container}`);
      context.streams.stdout.write(bindings.map((binding) => `${hostAddress(binding)}\n`).join(''));
      return 0;
    }

    const lines: string[] = [];
    for (const key of Object.keys(ports).sort(comparePortKeys)) {
      for (const binding of ports[key] ?? []) lines.push(`${key} -> ${hostAddress(binding)}\n`);
    }
    context.streams.stdout.write(lines.join(''));
    return 0;
  },
};
