// The state of one stage while its steps run, and the cached commit every
// step that makes an image goes through.
import type { ImageRuntimeConfig } from '../../image/types';
import type { Stage } from '../dockerfile';
import type { BuildImage } from '../host';
import { environmentMap, type StageArguments } from './arguments';
import { stepCacheKey } from './cache-index';
import { shortImageId } from './progress';
import type { BuildSession } from './session';

export interface StageContext {
  session: BuildSession;
  stage: Stage;
  // The image the next step starts from.
  image: string;
  // The runtime config the next committed step records. ARGs never enter it.
  config: ImageRuntimeConfig;
  // Whether this stage set CMD, because ENTRYPOINT clears only an inherited CMD.
  cmdSet: boolean;
  args: StageArguments;
}

// Variables for substitution: the ARGs in effect, overridden by ENV of the same name as Docker documents.
export function stageEnvironment(context: StageContext): Map<string, string> {
  const environment = new Map(context.args.values);
  for (const [key, value] of environmentMap(context.config.Env)) environment.set(key, value);
  return environment;
}

export function streamText(context: StageContext, text: string): void {
  context.session.progress.stream(context.stage.index, text);
}

// Runs produce unless the cache index has an image for this step. Either way the stage moves on to that image.
export async function commitStep(context: StageContext, instruction: string, inputs: unknown, produce: () => Promise<BuildImage>): Promise<void> {
  const session = context.session;
  // The config is part of the key because the new image records it.
  const key = stepCacheKey({ parent: context.image, instruction, inputs: { inputs, config: context.config } });

  if (!session.request.noCache) {
    const cached = await session.cache.lookup(key, (imageId) => session.host.hasImage(imageId));
    if (cached !== null) {
      session.logger.debug({ stage: context.stage.index, key, image: cached }, 'build step cache hit');
      streamText(context, ` ---> Using cache\n ---> ${shortImageId(cached)}\n`);
      context.image = cached;
      return;
    }
  }

  session.logger.debug({ stage: context.stage.index, key, noCache: session.request.noCache }, 'build step cache miss');
  const image = await produce();
  await session.cache.record(key, image.id, instruction);
  streamText(context, ` ---> ${shortImageId(image.id)}\n`);
  context.image = image.id;
}
