// The builder's entry point: runs one build of a Dockerfile against a
// BuildHost and streams the classic builder's JSON messages. Steps and stages
// are in ./executor, and the context and COPY rules in ./context and ./copy.
import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../common/logger';
import { prepareContext } from './context';
import { parseDockerfile } from './dockerfile';
import type { BuildHost } from './host';
import type { BuildProgress, BuildRequest, BuildResult } from './types';
import { BuildArguments } from './executor/arguments';
import { BuildError } from './executor/build-error';
import { CacheIndex } from './executor/cache-index';
import { finishBuild } from './executor/finish';
import { automaticPlatformArgs } from './executor/platform';
import { ProgressSequencer } from './executor/progress';
import { BuildSession } from './executor/session';
import { planStages } from './executor/stage-plan';

export { BuildError } from './executor/build-error';
export { pruneBuildCache, type PruneResult } from './executor/prune';
export { buildCacheUsage, type BuildCacheRecord } from './executor/cache-usage';

function asBuildError(error: unknown): BuildError {
  if (error instanceof BuildError) return error;
  return new BuildError(error instanceof Error ? error.message : String(error), 1);
}

export async function runBuild(host: BuildHost, request: BuildRequest, progress: BuildProgress, logger: Logger): Promise<BuildResult> {
  const buildId = randomBytes(8).toString('hex');
  const log = logger.child({ build: buildId });
  log.info({ tags: request.tags, target: request.target, dockerfile: request.dockerfile, noCache: request.noCache }, 'build started');

  const controller = new AbortController();
  const abort = (): void => {
    log.info('build canceled: the client went away');
    controller.abort();
  };
  request.signal.addEventListener('abort', abort);
  if (request.signal.aborted) controller.abort();
  const temporaryDirectory = await fsp.mkdtemp(path.join(host.temporaryDirectory, `build-${buildId}-`));
  let session: BuildSession | null = null;

  try {
    const contextDirectory = path.join(temporaryDirectory, 'context');
    await fsp.mkdir(contextDirectory);
    const { dockerfileText, dockerfileName } = await prepareContext(request.context, contextDirectory, request.dockerfile, log);
    const dockerfile = parseDockerfile(dockerfileText, { fileName: dockerfileName });
    if (!request.quiet) {
      for (const warning of dockerfile.warnings) progress({ stream: `[WARNING]: ${warning}\n` });
    }

    const args = new BuildArguments(request.buildArgs, automaticPlatformArgs(request.platform), dockerfile.globalArgs, dockerfile.directives.escape, dockerfileName);
    const plan = planStages(dockerfile, request.target, args.global);
    const sequencer = new ProgressSequencer(plan.needed, progress, request.quiet);
    session = new BuildSession({
      host,
      request,
      logger: log,
      buildId,
      dockerfile,
      fileName: dockerfileName,
      contextDirectory,
      temporaryDirectory,
      progress: sequencer,
      args,
      cache: CacheIndex.forDirectory(host.stateDirectory),
      plan,
      signal: controller.signal,
    });

    // Every needed stage starts now, and a stage waits inside for the stages it uses.
    const current = session;
    const results = plan.needed.map((index) => current.stageResult(index));
    await Promise.all(results);
    const final = await current.stageResult(plan.target.index);

    const result = await finishBuild(current, final, progress);
    log.info({ image: result.imageId, tags: result.tags }, 'build finished');
    return result;
  } catch (error) {
    controller.abort();
    session?.progress.flushAll();
    log.error({ err: error }, 'build failed');
    throw asBuildError(error);
  } finally {
    request.signal.removeEventListener('abort', abort);
    if (session) {
      await session.settled();
      await session.releaseMounts();
    }
    await fsp.rm(temporaryDirectory, { recursive: true, force: true }).catch((error: unknown) => {
      log.warn({ err: error, directory: temporaryDirectory }, 'remove build temporary directory failed');
    });
  }
}
