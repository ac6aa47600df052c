// POST /build and POST /build/prune. The request body is the context tar
// and the response a JSON message stream. The 200 status goes out with the
// first message, so an error before any output gets its own status code and
// a later one is sent in-band as {"errorDetail": {"code", "message"}, "error"}.
import { errorMessage } from '../../common/errors';
import { queryBool } from '../query';
import type { ApiRequest, ApiServices, Reply } from '../context';
import { decodeBuildRequest } from '../decode/build-request';
import type { Router } from '../router';

// Returns the failing RUN's exit code that the builder's BuildError carries, or 1 for other errors.
function errorCode(error: unknown): number {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : 1;
}

async function build(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const buildRequest = decodeBuildRequest(request.query, request.headers, request.body, request.signal);
  // A holder object, because the stream is started inside emit and TypeScript does not track assignments in closures.
  const output: { body: ReturnType<Reply['startStream']> | null } = { body: null };
  const emit = (message: object) => {
    if (request.signal.aborted) return;
    output.body ??= reply.startStream(200, 'application/json');
    output.body.write(`${JSON.stringify(message)}\r\n`);
  };

  try {
    await services.engine.build(buildRequest, emit);
  } catch (error) {
    const message = errorMessage(error);
    services.logger.info({ dockerfile: buildRequest.dockerfile, tags: buildRequest.tags, error: message }, 'build failed');
    if (output.body === null && !request.signal.aborted) throw error;
    emit({ errorDetail: { code: errorCode(error), message }, error: message });
  } finally {
    // The context stream is the request body, and a build that stopped early leaves the rest unread.
    request.body.resume();
  }
  if (request.signal.aborted) {
    // The client went away, so the end of the stream has no receiver.
    output.body?.destroy();
    return;
  }
  output.body ??= reply.startStream(200, 'application/json');
  output.body.end();
}

async function pruneBuildCache(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const result = await services.engine.pruneBuildCache({ all: queryBool(request.query, 'all') });
  reply.json(200, { CachesDeleted: result.cachesDeleted, SpaceReclaimed: result.spaceReclaimed });
}

export function registerBuildRoutes(router: Router): void {
  router.add('POST', '/build', build);
  router.add('POST', '/build/prune', pruneBuildCache);
}
