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
import { BuildArguments, StageArguments } from './executor/arguments';
import { BuildError } from './executor/build-error';
import { CacheIndex } from './executor/cache-index';
import { nopHistory } from './executor/config-instructions';
import { automaticPlatformArgs } from './executor/platform';
import { ProgressSequencer, shortImageId } from './executor/progress';
import { BuildSession } from './executor/session';
import { commitStep, type StageContext } from './executor/stage-context';
import { planStages } from './executor/stage-plan';

export { BuildError } from './executor/build-error';
export { pruneBuildCache, type PruneResult } from './executor/prune';

// "name" and "name:tag" get ":latest" when they name no tag or digest, as Docker prints and stores them.
function withDefaultTag(reference: string): string {
  const lastPart = reference.slice(reference.lastIndexOf('/') + 1);
  if (reference.includes('@') || lastPart.includes(':')) return reference;
  return `${reference}:latest`;
}

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
  const temporaryDirectory = await fsp.mkdtemp(path.join(host.temporaryDirectory, `build-${buildId}-`));
  let session: BuildSession | null = null;

  try {
    const contextDirectory = path.join(temporaryDirectory, 'context');
    await fsp.mkdir(contextDirectory);
    const { dockerfileText, dockerfileName } = await prepareContext(request.context, contextDirectory, request.dockerfile, log);
    const dockerfile = parseDockerfile(dockerfileText, { fileName: dockerfileName });
    for (const warning of dockerfile.warnings) progress({ stream: `[WARNING]: ${warning}\n` });

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

    let imageId = final.id;
    if (Object.keys(request.labels).length > 0) {
      const context: StageContext = {
        session,
        stage: plan.target,
        image: final.id,
        config: { ...(final.config.config ?? {}), Labels: { ...(final.config.config?.Labels ?? {}), ...request.labels } },
        cmdSet: true,
        args: new StageArguments(args),
      };
      const createdBy = nopHistory(context.config, `LABEL ${Object.entries(request.labels).map(([key, value]) => `${key}=${value}`).join(' ')}`);
      await commitStep(context, createdBy, null, () => host.configStep({ parent: context.image, runtimeConfig: context.config, createdBy }));
      imageId = context.image;
      session.progress.flushAll();
    }

    const unconsumed = args.unconsumed();
    if (unconsumed.length > 0) progress({ stream: `[Warning] One or more build-args [${unconsumed.join(' ')}] were not consumed\n` });

    progress({ aux: { ID: imageId } });
    if (!request.quiet) progress({ stream: `Successfully built ${shortImageId(imageId)}\n` });

    const tags: string[] = [];
    for (const tag of request.tags) {
      const reference = withDefaultTag(tag);
      await host.tagImage(imageId, reference);
      tags.push(reference);
      if (!request.quiet) progress({ stream: `Successfully tagged ${reference}\n` });
    }

    log.info({ image: imageId, tags }, 'build finished');
    return { imageId, tags };
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
