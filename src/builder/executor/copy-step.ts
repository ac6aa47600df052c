// COPY, ADD and WORKDIR: steps that write files into a mounted container root
// through host.writeStep. Sources come from the build context, or with --from
// from an earlier stage or an image. The copy plan's digest (contents and
// metadata, never timestamps) goes into the step's cache key.
import path from 'node:path';
import { InvalidArgumentError } from '../../common/errors';
import { planCopy, ensureDirectory, type CopyOptions, type CopySourceSpec } from '../copy';
import { expandInstruction, flagValue, type CopyInstruction, type SingleValueInstruction } from '../dockerfile';
import { chompHeredocContent } from '../dockerfile/heredoc';
import { nopHistory } from './config-instructions';
import { commitStep, stageEnvironment, type StageContext } from './stage-context';

const URL_SOURCE = /^https?:\/\//i;

function sourceSpecs(instruction: CopyInstruction): CopySourceSpec[] {
  return instruction.sources.map((source): CopySourceSpec => {
    if (source.heredoc) {
      const content = source.heredoc.chomp ? chompHeredocContent(source.heredoc.content) : source.heredoc.content;
      return { kind: 'inline', name: source.path, content };
    }
    if (URL_SOURCE.test(source.path)) {
      if (instruction.keyword === 'COPY') throw new InvalidArgumentError(`COPY failed: source can't be a URL for COPY: ${source.path} (use ADD)`);
      return { kind: 'url', url: source.path };
    }
    return { kind: 'path', path: source.path };
  });
}

export async function copyInstruction(context: StageContext, written: CopyInstruction): Promise<void> {
  const session = context.session;
  const instruction = expandInstruction(written, stageEnvironment(context), { escape: session.escape, fileName: session.fileName }) as CopyInstruction;
  const flags = instruction.flags;

  const from = flagValue(flags, 'from');
  let sourceRoot = session.contextDirectory;
  let fromImage: string | null = null;
  if (from !== undefined) {
    const mounted = await session.mountFrom(from, context.stage.index);
    sourceRoot = mounted.root;
    fromImage = mounted.imageId;
  }

  const link = flagValue(flags, 'link');
  const options: CopyOptions = {
    instruction: instruction.keyword,
    chown: flagValue(flags, 'chown') ?? null,
    chmod: flagValue(flags, 'chmod') ?? null,
    link: link !== undefined && link !== 'false',
    checksum: flagValue(flags, 'checksum') ?? null,
    excludes: flags.filter((flag) => flag.name === 'exclude' && flag.value !== null).map((flag) => flag.value as string),
    workingDir: context.config.WorkingDir || '/',
  };

  const plan = await planCopy(sourceRoot, sourceSpecs(instruction), options, session.temporaryDirectory);
  try {
    const createdBy = nopHistory(context.config, `${instruction.keyword} ${plan.digest} in ${instruction.destination}`);
    const inputs = { digest: plan.digest, from: fromImage, destination: instruction.destination, options };

    await commitStep(context, createdBy, inputs, () =>
      session.host.writeStep(
        { parent: context.image, runtimeConfig: context.config, createdBy, buildId: session.buildId },
        (root) => plan.apply(root, instruction.destination),
      ),
    );
  } finally {
    await plan.cleanup();
  }
}

// Runs WORKDIR. A relative path is relative to the previous WORKDIR, and a missing directory is created, owned by the current USER.
export async function workdirInstruction(context: StageContext, written: SingleValueInstruction): Promise<void> {
  const session = context.session;
  const instruction = expandInstruction(written, stageEnvironment(context), { escape: session.escape, fileName: session.fileName }) as SingleValueInstruction;
  const directory = path.posix.resolve(context.config.WorkingDir || '/', instruction.value);

  context.config = { ...context.config, WorkingDir: directory };
  const user = context.config.User || '0';
  const createdBy = nopHistory(context.config, `WORKDIR ${directory}`);

  await commitStep(context, createdBy, { user }, () =>
    session.host.writeStep(
      { parent: context.image, runtimeConfig: context.config, createdBy, buildId: session.buildId },
      async (root) => {
        await ensureDirectory(root, directory, user);
      },
    ),
  );
}
