// berth update: change resource limits and the restart policy of containers.
import { CliError, PROGRAM, type Command } from '../command';
import type { FlagValues } from '../flags';
import { parseRamBytes } from '../format/units';
import { forEachTarget } from './container-lifecycle';
import { parseMemorySwap, parseNanoCpus, parseRestartPolicy } from './option-parsers';

function check(parse: (value: string) => unknown): (value: string) => void {
  return (value) => {
    parse(value);
  };
}

// Builds the update request body. Fields left out keep their values on the daemon.
export function updateBody(flags: FlagValues): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (flags.isSet('memory')) body.Memory = parseRamBytes(flags.string('memory'));
  if (flags.isSet('memory-swap')) body.MemorySwap = parseMemorySwap(flags.string('memory-swap'));
  if (flags.isSet('cpus')) body.NanoCpus = parseNanoCpus(flags.string('cpus'));
  if (flags.isSet('cpu-shares')) body.CpuShares = flags.int('cpu-shares');
  if (flags.isSet('cpu-quota')) body.CpuQuota = flags.int('cpu-quota');
  if (flags.isSet('cpu-period')) body.CpuPeriod = flags.int('cpu-period');
  if (flags.isSet('pids-limit')) body.PidsLimit = flags.int('pids-limit');
  if (flags.isSet('restart')) body.RestartPolicy = parseRestartPolicy(flags.string('restart'));

  // Sent as the docker CLI sends them, but berthd does not apply them and returns a warning for each.
  if (flags.isSet('blkio-weight')) body.BlkioWeight = flags.int('blkio-weight');
  if (flags.isSet('cpuset-cpus')) body.CpusetCpus = flags.string('cpuset-cpus');
  if (flags.isSet('cpuset-mems')) body.CpusetMems = flags.string('cpuset-mems');
  if (flags.isSet('cpu-rt-period')) body.CpuRealtimePeriod = flags.int('cpu-rt-period');
  if (flags.isSet('cpu-rt-runtime')) body.CpuRealtimeRuntime = flags.int('cpu-rt-runtime');
  if (flags.isSet('memory-reservation')) body.MemoryReservation = parseRamBytes(flags.string('memory-reservation'));
  return body;
}

export const updateCommand: Command = {
  name: 'update',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  summary: 'Update configuration of one or more containers',
  flags: [
    { name: 'blkio-weight', kind: 'int', valueName: 'uint16', description: 'Block IO (relative weight), between 10 and 1000, or 0 to disable (not applied by Berth)' },
    { name: 'cpu-period', kind: 'int', valueName: 'int', description: 'Limit CPU CFS (Completely Fair Scheduler) period, in microseconds' },
    { name: 'cpu-quota', kind: 'int', valueName: 'int', description: 'Limit CPU CFS (Completely Fair Scheduler) quota, in microseconds per period' },
    { name: 'cpu-rt-period', kind: 'int', valueName: 'int', description: 'Limit the CPU real-time period in microseconds (not applied by Berth)' },
    { name: 'cpu-rt-runtime', kind: 'int', valueName: 'int', description: 'Limit the CPU real-time runtime in microseconds (not applied by Berth)' },
    { name: 'cpu-shares', short: 'c', kind: 'int', valueName: 'int', description: 'CPU shares (relative weight)' },
    { name: 'cpus', kind: 'string', valueName: 'decimal', description: 'Number of CPUs', check: check(parseNanoCpus) },
    { name: 'cpuset-cpus', kind: 'string', valueName: 'string', description: 'CPUs in which to allow execution (0-3, 0,1) (not applied by Berth)' },
    { name: 'cpuset-mems', kind: 'string', valueName: 'string', description: 'MEMs in which to allow execution (0-3, 0,1) (not applied by Berth)' },
    { name: 'memory', short: 'm', kind: 'string', valueName: 'bytes', description: 'Memory limit', check: check(parseRamBytes) },
    { name: 'memory-reservation', kind: 'string', valueName: 'bytes', description: 'Memory soft limit (not applied by Berth)', check: check(parseRamBytes) },
    { name: 'memory-swap', kind: 'string', valueName: 'bytes', description: "Swap limit equal to memory plus swap: -1 to enable unlimited swap", check: check(parseMemorySwap) },
    { name: 'pids-limit', kind: 'int', valueName: 'int', description: 'Tune container pids limit (set -1 for unlimited)' },
    { name: 'restart', kind: 'string', description: 'Restart policy to apply when a container exits', check: check(parseRestartPolicy) },
  ],
  args: { min: 1 },
  aliases: [`${PROGRAM} container update`, `${PROGRAM} update`],
  async run(context, flags, args) {
    const body = updateBody(flags);
    if (Object.keys(body).length === 0) throw new CliError('you must provide one or more flags when using this command');
    const warnings: string[] = [];
    try {
      return await forEachTarget(context, args, async (client, target) => {
        const reply = await client.json<{ Warnings?: string[] | null }>('POST', `/containers/${encodeURIComponent(target)}/update`, { body });
        warnings.push(...(reply?.Warnings ?? []));
        return target;
      });
    } finally {
      // The docker CLI prints the warnings of all containers after their names, on stdout.
      if (warnings.length > 0) context.streams.stdout.write(`${warnings.join('\n')}\n`);
    }
  },
};
