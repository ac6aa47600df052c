// Runs one build stage: resolves its FROM (an image, an earlier stage or
// scratch), runs the base image's ONBUILD triggers, then each instruction in
// order, and returns the stage's final image.
import type { ImageRuntimeConfig } from '../../image/types';
import { expandInstruction, flagValue, parseDockerfile, type Instruction, type Stage } from '../dockerfile';
import type { BuildImage } from '../host';
import { StageArguments } from './arguments';
import { stepError } from './build-error';
import { applyConfigInstruction, nopHistory } from './config-instructions';
import { copyInstruction, workdirInstruction } from './copy-step';
import { shortImageId } from './progress';
import { runInstruction } from './run-step';
import type { BuildSession } from './session';
import { commitStep, stageEnvironment, streamText, type StageContext } from './stage-context';
import { findStage } from './stage-plan';

async function resolveBase(session: BuildSession, stage: Stage): Promise<BuildImage> {
  const from = expandInstruction(stage.from, session.args.global, { escape: session.escape, fileName: session.fileName });
  if (from.keyword !== 'FROM') throw new Error(`expand FROM on line ${stage.from.line}: the result is a ${from.keyword} instruction`);

  const earlier = findStage(session.dockerfile, from.image, stage.index);
  if (earlier && !/^[0-9]+$/.test(from.image)) return session.stageResult(earlier.index);
  if (from.image === 'scratch') return session.host.scratchImage();

  return session.host.resolveImage(from.image, {
    pull: session.request.pull,
    platform: flagValue(from.flags, 'platform') ?? session.request.platform,
    registryConfig: session.request.registryConfig,
    onProgress: (message) => session.progress.message(stage.index, message as Record<string, unknown>),
  });
}

async function executeInstruction(context: StageContext, instruction: Instruction): Promise<void> {
  const session = context.session;

  switch (instruction.keyword) {
    case 'FROM':
      throw new Error(`unexpected FROM on line ${instruction.line} inside stage ${context.stage.index}, because the parser starts a new stage at each FROM`);

    case 'ARG':
      context.args.declare(instruction, stageEnvironment(context), session.escape, session.fileName);
      streamText(context, ` ---> ${shortImageId(context.image)}\n`);
      return;

    case 'RUN':
      await runInstruction(context, instruction);
      return;

    case 'COPY':
    case 'ADD':
      await copyInstruction(context, instruction);
      return;

    case 'WORKDIR':
      await workdirInstruction(context, instruction);
      return;

    default: {
      const expanded = expandInstruction(instruction, stageEnvironment(context), { escape: session.escape, fileName: session.fileName });
      // Applied to a copy, so a failed step leaves the stage's config as it was.
      const state = { config: structuredClone(context.config), cmdSet: context.cmdSet };
      const createdBy = applyConfigInstruction(state, expanded);
      context.config = state.config;
      context.cmdSet = state.cmdSet;
      await commitStep(context, createdBy, null, () =>
        session.host.configStep({ parent: context.image, runtimeConfig: context.config, createdBy }),
      );
    }
  }
}

// Runs the base image's ONBUILD triggers, which the new image does not inherit.
async function runTriggers(context: StageContext, triggers: readonly string[]): Promise<void> {
  const session = context.session;
  streamText(context, `# Executing ${triggers.length} build trigger${triggers.length === 1 ? '' : 's'}\n`);

  for (const trigger of triggers) {
    let instruction: Instruction;
    try {
      instruction = parseDockerfile(`FROM scratch\n${trigger}\n`, { fileName: session.fileName }).stages[0].instructions[0];
    } catch (error) {
      throw stepError(session.fileName, context.stage.from.line, new Error(`invalid ONBUILD trigger ${JSON.stringify(trigger)} in the base image: ${(error as Error).message}`));
    }
    await executeInstruction(context, { ...instruction, line: context.stage.from.line, endLine: context.stage.from.line });
  }
}

export async function runStage(session: BuildSession, stage: Stage): Promise<BuildImage> {
  const logger = session.logger.child({ stage: stage.index, stageName: stage.name });
  let step = session.plan.firstStep.get(stage.index) ?? 0;
  const total = session.plan.totalSteps;
  const header = (text: string): void => session.progress.stream(stage.index, `Step ${step}/${total} : ${text}\n`);

  logger.info({ from: stage.from.image }, 'build stage started');
  header(stage.from.original);

  let base: BuildImage;
  try {
    base = await resolveBase(session, stage);
  } catch (error) {
    throw stepError(session.fileName, stage.from.line, error);
  }
  session.progress.stream(stage.index, ` ---> ${shortImageId(base.id)}\n`);

  const config: ImageRuntimeConfig = structuredClone(base.config.config ?? {});
  const triggers = config.OnBuild ?? [];
  config.OnBuild = null;
  const context: StageContext = { session, stage, image: base.id, config, cmdSet: false, args: new StageArguments(session.args) };

  try {
    if (triggers.length > 0) await runTriggers(context, triggers);

    for (const instruction of stage.instructions) {
      step++;
      if (session.signal.aborted) throw new Error('build canceled');
      header(instruction.original);
      await executeInstruction(context, instruction);
    }

    // A stage whose base had triggers but no step of its own still drops the triggers from its image.
    if (triggers.length > 0 && context.image === base.id) {
      const createdBy = nopHistory(context.config, 'ONBUILD triggers run');
      await commitStep(context, createdBy, null, () => session.host.configStep({ parent: context.image, runtimeConfig: context.config, createdBy }));
    }
  } catch (error) {
    const line = stage.instructions[step - (session.plan.firstStep.get(stage.index) ?? 0) - 1]?.line ?? stage.from.line;
    logger.info({ err: error, step }, 'build stage failed');
    throw stepError(session.fileName, line, error);
  }

  session.progress.finish(stage.index);
  logger.info({ image: context.image }, 'build stage finished');
  return { id: context.image, config: { ...base.config, config: context.config } };
}
