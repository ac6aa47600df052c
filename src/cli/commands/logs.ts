// berth logs: prints a container's log, byte for byte, to stdout and stderr
// (a last line without a newline stays without one), following with -f
// until the container stops.
import { PROGRAM, type Command } from '../command';
import { copyRaw, demultiplex } from '../client/stdcopy';
import { timestampFlag } from './time-flags';

export const logsCommand: Command = {
  name: 'logs',
  usage: '[OPTIONS] CONTAINER',
  summary: 'Fetch the logs of a container',
  flags: [
    { name: 'details', kind: 'bool', description: 'Show extra details given to the log driver' },
    { name: 'follow', short: 'f', kind: 'bool', description: 'Keep printing new output until the container stops' },
    { name: 'since', kind: 'string', description: 'Show logs since a time: RFC 3339 date (2013-01-02T13:23:37Z), Unix time, or a duration before now (42m)' },
    { name: 'tail', short: 'n', kind: 'string', defaultValue: 'all', valueName: 'lines', description: 'Number of lines to show from the end of the log' },
    { name: 'timestamps', short: 't', kind: 'bool', description: 'Prefix each line with its RFC 3339 timestamp' },
    { name: 'until', kind: 'string', description: 'Show logs before a time, in the same forms as --since' },
  ],
  args: { min: 1, max: 1 },
  aliases: [`${PROGRAM} container logs`, `${PROGRAM} logs`],
  async run(context, flags, [target]) {
    const since = timestampFlag(flags, 'since');
    const until = timestampFlag(flags, 'until');

    const client = await context.client();
    const container = await client.json<{ Id: string; Config: { Tty: boolean } }>('GET', `/containers/${encodeURIComponent(target)}/json`);
    const response = await client.stream('GET', `/containers/${container.Id}/logs`, {
      query: {
        stdout: true,
        stderr: true,
        since,
        until,
        timestamps: flags.bool('timestamps') || undefined,
        follow: flags.bool('follow') || undefined,
        tail: flags.string('tail'),
        details: flags.bool('details') || undefined,
      },
    });
    if (container.Config.Tty) await copyRaw(response, context.streams.stdout);
    else await demultiplex(response, context.streams.stdout, context.streams.stderr);
    return 0;
  },
};
