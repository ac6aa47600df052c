// One line of `berth stats`: the figures docker's CLI derives from a stats
// JSON object (CPU and memory percentages, memory without the page cache,
// network and block I/O totals), as template fields.
import { formatGoFloat } from '../format/go-format';
import { escapeJsonHtml, type JsonMarshaler } from '../format/template-functions';
import { binarySize, humanSizeWithPrecision } from '../format/units';

export interface ApiStats {
  id?: string;
  name?: string;
  read?: string;
  pids_stats?: { current?: number };
  blkio_stats?: { io_service_bytes_recursive?: { op: string; value: number }[] | null };
  cpu_stats?: ApiCpuStats;
  precpu_stats?: ApiCpuStats;
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
}

interface ApiCpuStats {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] };
  system_cpu_usage?: number;
  online_cpus?: number;
}

export const STATS_HEADERS: Record<string, string> = {
  Container: 'CONTAINER',
  ID: 'CONTAINER ID',
  Name: 'NAME',
  CPUPerc: 'CPU %',
  MemUsage: 'MEM USAGE / LIMIT',
  MemPerc: 'MEM %',
  NetIO: 'NET I/O',
  BlockIO: 'BLOCK I/O',
  PIDs: 'PIDS',
};

export const DEFAULT_STATS_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';

// Returns CPU use as a percentage of one CPU: the container's CPU time over the host's, times the CPU count.
export function cpuPercent(stats: ApiStats): number {
  const current = stats.cpu_stats ?? {};
  const previous = stats.precpu_stats ?? {};
  const cpuDelta = (current.cpu_usage?.total_usage ?? 0) - (previous.cpu_usage?.total_usage ?? 0);
  const systemDelta = (current.system_cpu_usage ?? 0) - (previous.system_cpu_usage ?? 0);
  const onlineCpus = current.online_cpus || current.cpu_usage?.percpu_usage?.length || 0;
  if (systemDelta <= 0 || cpuDelta <= 0) return 0;
  return (cpuDelta / systemDelta) * onlineCpus * 100;
}

// Returns memory use without reclaimable page cache: inactive file pages (total_inactive_file on cgroup v1, inactive_file on v2).
export function memoryUsage(stats: ApiStats): number {
  const usage = stats.memory_stats?.usage ?? 0;
  const figures = stats.memory_stats?.stats ?? {};
  const inactive = figures.total_inactive_file ?? figures.inactive_file;
  if (inactive !== undefined && inactive < usage) return usage - inactive;
  return usage;
}

function percent(value: number): string {
  return `${formatGoFloat(value, 'f', 2)}%`;
}

export class StatsRow implements JsonMarshaler {
  readonly templateTypeName = 'formatter.statsContext';

  constructor(
    // The container as the user named it, or its ID when listing all.
    private readonly target: string,
    private readonly stats: ApiStats,
    private readonly truncate: boolean,
  ) {}

  Container(): string {
    return this.target;
  }

  ID(): string {
    const id = this.stats.id ?? '';
    return this.truncate ? id.slice(0, 12) : id;
  }

  Name(): string {
    return (this.stats.name ?? '').replace(/^\//, '');
  }

  CPUPerc(): string {
    return percent(cpuPercent(this.stats));
  }

  MemUsage(): string {
    return `${binarySize(memoryUsage(this.stats))} / ${binarySize(this.stats.memory_stats?.limit ?? 0)}`;
  }

  MemPerc(): string {
    const limit = this.stats.memory_stats?.limit ?? 0;
    return percent(limit > 0 ? (memoryUsage(this.stats) / limit) * 100 : 0);
  }

  NetIO(): string {
    let received = 0;
    let sent = 0;
    for (const device of Object.values(this.stats.networks ?? {})) {
      received += device.rx_bytes;
      sent += device.tx_bytes;
    }
    return `${humanSizeWithPrecision(received, 3)} / ${humanSizeWithPrecision(sent, 3)}`;
  }

  BlockIO(): string {
    let read = 0;
    let written = 0;
    for (const entry of this.stats.blkio_stats?.io_service_bytes_recursive ?? []) {
      const op = entry.op.toLowerCase();
      if (op === 'read') read += entry.value;
      else if (op === 'write') written += entry.value;
    }
    return `${humanSizeWithPrecision(read, 3)} / ${humanSizeWithPrecision(written, 3)}`;
  }

  PIDs(): string {
    return String(this.stats.pids_stats?.current ?? 0);
  }

  toTemplateJson(): string {
    const record: Record<string, string> = {};
    for (const field of Object.keys(STATS_HEADERS).sort()) record[field] = (this as unknown as Record<string, () => string>)[field].call(this);
    return escapeJsonHtml(JSON.stringify(record));
  }
}
