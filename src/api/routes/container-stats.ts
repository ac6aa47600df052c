// GET /containers/{id}/stats: resource usage in Docker's stats JSON, one
// object per line, once a second while streaming. Each object carries the
// previous sample as precpu_stats, so clients compute CPU percentages from
// the difference.
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../../common/errors';
import type { ContainerStats } from '../../engine/engine';
import type { ApiRequest, ApiServices, Reply } from '../context';
import { queryBoolOrDefault } from '../query';
import type { Router } from '../router';

const INTERVAL_MS = 1000;
const ZERO_TIME = '0001-01-01T00:00:00Z';

// Turns an engine sample and its predecessor into Docker's JSON object.
export function statsJson(sample: ContainerStats, previous: ContainerStats | null): Record<string, unknown> {
  const { running: _running, ...fields } = sample;
  const precpu = previous?.running ? previous.cpu_stats : { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };
  return { ...fields, preread: previous?.running ? previous.read : ZERO_TIME, precpu_stats: precpu };
}

async function containerStats(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const id = request.params.id;
  const stream = queryBoolOrDefault(request.query, 'stream', true);
  const oneShot = queryBoolOrDefault(request.query, 'one-shot', false);
  const first = await services.engine.containerStats(id);

  if (!stream) {
    // Without one-shot, dockerd waits for a second sample so that precpu_stats is filled.
    if (!first.running || oneShot) {
      reply.json(200, statsJson(first, null));
      return;
    }
    await sleep(INTERVAL_MS, undefined, { signal: request.signal }).catch(() => undefined);
    reply.json(200, statsJson(await services.engine.containerStats(id), first));
    return;
  }

  const body = reply.startStream(200, 'application/json');
  let previous: ContainerStats | null = null;
  let sample: ContainerStats = first;
  try {
    while (!request.signal.aborted && !body.destroyed) {
      // A stopped container sends nothing until it runs again, as with dockerd.
      if (sample.running) {
        body.write(`${JSON.stringify(statsJson(sample, previous))}\n`);
        previous = sample;
      }
      await sleep(INTERVAL_MS, undefined, { signal: request.signal });
      sample = await services.engine.containerStats(id);
    }
  } catch (error) {
    if (!request.signal.aborted) services.logger.warn({ container: id, error: errorMessage(error) }, 'container stats stream ended early');
  }
  body.end();
}

export function registerContainerStatsRoutes(router: Router): void {
  router.add('GET', '/containers/{id}/stats', containerStats);
}
