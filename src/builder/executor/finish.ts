// The end of a successful build: the request's --label values as one more
// cached config step, the unused build-arg warning, the image ID message and
// the tags, printed as the classic builder does.
import type { BuildImage } from '../host';
import type { BuildProgress, BuildResult } from '../types';
import { StageArguments } from './arguments';
import { nopHistory } from './config-instructions';
import { shortImageId } from './progress';
import type { BuildSession } from './session';
import { commitStep, type StageContext } from './stage-context';

// "name" and "name:tag" get ":latest" when they name no tag or digest, as Docker prints and stores them.
export function withDefaultTag(reference: string): string {
  const lastPart = reference.slice(reference.lastIndexOf('/') + 1);
  if (reference.includes('@') || lastPart.includes(':')) return reference;
  return `${reference}:latest`;
}

async function applyRequestLabels(session: BuildSession, final: BuildImage): Promise<string> {
  const labels = session.request.labels;
  if (Object.keys(labels).length === 0) return final.id;

  const runtimeConfig = final.config.config ?? {};
  const context: StageContext = {
    session,
    stage: session.plan.target,
    image: final.id,
    config: { ...runtimeConfig, Labels: { ...(runtimeConfig.Labels ?? {}), ...labels } },
    cmdSet: true,
    args: new StageArguments(session.args),
  };
  const createdBy = nopHistory(context.config, `LABEL ${Object.entries(labels).map(([key, value]) => `${key}=${value}`).join(' ')}`);
  await commitStep(context, createdBy, null, () => session.host.configStep({ parent: context.image, runtimeConfig: context.config, createdBy }));

  // The target stage has finished, so the sequencer buffers this step's lines until they are flushed.
  session.progress.flushAll();
  return context.image;
}

export async function finishBuild(session: BuildSession, final: BuildImage, progress: BuildProgress): Promise<BuildResult> {
  const quiet = session.request.quiet;
  const imageId = await applyRequestLabels(session, final);

  const unconsumed = session.args.unconsumed();
  if (unconsumed.length > 0 && !quiet) progress({ stream: `[Warning] One or more build-args [${unconsumed.join(' ')}] were not consumed\n` });

  progress({ aux: { ID: imageId } });
  if (!quiet) progress({ stream: `Successfully built ${shortImageId(imageId)}\n` });

  const tags: string[] = [];
  for (const tag of session.request.tags) {
    const reference = withDefaultTag(tag);
    await session.host.tagImage(imageId, reference);
    tags.push(reference);
    if (!quiet) progress({ stream: `Successfully tagged ${reference}\n` });
  }
  return { imageId, tags };
}
