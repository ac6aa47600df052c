// `docker top`: the host's ps output, limited to the container's processes,
// as Docker produces it (titles from ps's header, one row per process, the
// last column holding the rest of the line).
import { InvalidArgumentError } from '../../common/errors';
import { run, SubprocessError } from '../../common/subprocess';
import type { ProcessTable } from '../../engine/engine';

export function parsePsOutput(output: string, pids: ReadonlySet<number>): ProcessTable {
  const lines = output.split('\n').filter((line) => line.trim() !== '');
  if (lines.length === 0) return { titles: [], processes: [] };
  const titles = lines[0].trim().split(/\s+/);
  const pidColumn = titles.indexOf('PID');
  if (pidColumn < 0) throw new InvalidArgumentError('Couldn\'t find PID field in ps output');

  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < titles.length) continue;
    const pid = Number(fields[pidColumn]);
    if (!pids.has(pid)) continue;
    const row = fields.slice(0, titles.length - 1);
    row.push(fields.slice(titles.length - 1).join(' '));
    processes.push(row);
  }
  return { titles, processes };
}

export async function topProcesses(pids: number[], psArgs: string): Promise<ProcessTable> {
  const args = (psArgs.trim() || '-ef').split(/\s+/);
  let output: string;
  try {
    output = (await run('ps', args, { timeoutMs: 30_000 })).stdout;
  } catch (error) {
    const detail = error instanceof SubprocessError ? error.stderr.trim() || error.message : (error as Error).message;
    throw new InvalidArgumentError(`Error running ps: ${detail}`, { cause: error });
  }
  return parsePsOutput(output, new Set(pids));
}
