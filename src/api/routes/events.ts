// GET /events: replays stored events from `since` and streams new ones until
// `until` passes or the client disconnects. Without since and until only new
// events are sent, as in dockerd.
import { InvalidArgumentError } from '../../common/errors';
import type { EngineEvent } from '../../engine/engine';
import type { ApiRequest, ApiServices, Reply } from '../context';
import { FilterArgs } from '../filters/filter-args';
import type { Router } from '../router';
import { encodeEvent, eventMatches, parseEventTimestamp, validateEventFilters } from './event-filter';

function nowNano(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

async function streamEvents(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const since = parseEventTimestamp(request.query, 'since');
  const until = parseEventTimestamp(request.query, 'until');
  if (since !== null && until !== null && since > until) {
    throw new InvalidArgumentError(`invalid value for "since": ${request.query.get('since')} is after "until" ${request.query.get('until')}`);
  }
  const filters = FilterArgs.parse(request.query.get('filters'));
  validateEventFilters(filters);

  const inRange = (event: EngineEvent) => (since === null || event.timeNano >= since) && (until === null || event.timeNano <= until);
  const pending: EngineEvent[] = [];
  let write: ((event: EngineEvent) => void) | null = null;
  const { history, unsubscribe } = services.engine.subscribeEvents((event) => {
    if (write) write(event);
    else pending.push(event);
  });

  try {
    const body = reply.startStream(200, 'application/json');
    write = (event) => {
      if (inRange(event) && eventMatches(filters, event)) body.write(encodeEvent(event));
    };
    if (since !== null || until !== null) {
      for (const event of history) write(event);
    }
    for (const event of pending.splice(0)) write(event);

    const remainingMs = until === null ? null : Number((until - nowNano()) / 1_000_000n);
    if (remainingMs === null || remainingMs > 0) {
      await new Promise<void>((resolve) => {
        const finish = () => {
          if (timer) clearTimeout(timer);
          request.signal.removeEventListener('abort', finish);
          resolve();
        };
        const timer = remainingMs === null ? null : setTimeout(finish, remainingMs);
        if (request.signal.aborted) finish();
        else request.signal.addEventListener('abort', finish, { once: true });
      });
    }
    body.end();
  } finally {
    unsubscribe();
  }
}

export function registerEventRoutes(router: Router): void {
  router.add('GET', '/events', streamEvents);
}
