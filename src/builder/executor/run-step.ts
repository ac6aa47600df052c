// RUN: the command through the SHELL in effect (or the exec form as written),
// heredocs, --mount and --network. ARG values go into the process's
// environment only. The step's history text follows the classic builder:
// "|2 A=1 B=2 /bin/sh -c make" when ARGs are in effect.
import { StringDecoder } from 'node:string_decoder';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError } from '../../common/errors';
import type { CommandInstruction, Heredoc } from '../dockerfile';
import { expandWord, flagValue } from '../dockerfile';
import { chompHeredocContent } from '../dockerfile/heredoc';
import type { StepMount } from '../host';
import { PROXY_ARGS } from './arguments';
import { BuildError } from './build-error';
import { commandArguments, currentShell } from './config-instructions';
import { resolveRunMounts } from './run-mounts';
import { commitStep, stageEnvironment, streamText, type StageContext } from './stage-context';

const SINGLE_HEREDOC = /^[0-9]*<<-?\S+$/;

interface PreparedCommand {
  argv: string[];
  // Script files of heredocs with a #! line, bound read-only into the container.
  mounts: StepMount[];
}

// `RUN <<EOF` alone makes the heredoc the script. Any other heredoc goes to the shell with its body after the command line.
async function prepareCommand(context: StageContext, instruction: CommandInstruction): Promise<PreparedCommand> {
  const command = instruction.command;
  if (command.form === 'exec' || instruction.heredocs.length === 0) {
    return { argv: commandArguments(command, context.config), mounts: [] };
  }

  const shell = currentShell(context.config);
  if (instruction.heredocs.length === 1 && SINGLE_HEREDOC.test(command.text.trim())) {
    const heredoc = instruction.heredocs[0];
    const script = heredoc.chomp ? chompHeredocContent(heredoc.content) : heredoc.content;
    if (!script.startsWith('#!')) return { argv: [...shell, script], mounts: [] };

    const directory = await fsp.mkdtemp(path.join(context.session.temporaryDirectory, 'heredoc-'));
    const file = path.join(directory, 'script');
    await fsp.writeFile(file, script, { mode: 0o755 });
    const target = `/dev/pipes/${heredoc.name}`;
    return { argv: [target], mounts: [{ source: file, target, readOnly: true }] };
  }

  const bodies = instruction.heredocs.map((heredoc: Heredoc) => `${heredoc.content}${heredoc.name}\n`).join('');
  return { argv: [...shell, `${command.text}\n${bodies}`], mounts: [] };
}

export async function runInstruction(context: StageContext, instruction: CommandInstruction): Promise<void> {
  const session = context.session;
  const environment = stageEnvironment(context);

  if (flagValue(instruction.flags, 'security') === 'insecure') {
    throw new InvalidArgumentError('RUN --security=insecure is not supported by Berth\'s builder: remove the flag so the step runs sandboxed');
  }
  const network = (flagValue(instruction.flags, 'network') ?? session.request.networkMode) as 'default' | 'none' | 'host';

  // ARGs that ENV does not override, in declaration order, as the classic builder lists them in history.
  const envKeys = new Set((context.config.Env ?? []).map((entry) => entry.split('=', 1)[0]));
  const argEnv: string[] = [];
  for (const [name, value] of context.args.values) {
    if (!envKeys.has(name)) argEnv.push(`${name}=${value}`);
  }
  const historyArgs = argEnv.filter((entry) => !PROXY_ARGS.has(entry.split('=', 1)[0]));
  const proxyEnv: string[] = [];
  for (const [name, value] of session.args.proxyValues()) {
    if (!context.args.values.has(name) && !envKeys.has(name)) proxyEnv.push(`${name}=${value}`);
  }

  const prepared = await prepareCommand(context, instruction);
  const display = prepared.argv.join(' ');
  const createdBy = historyArgs.length > 0 ? `|${historyArgs.length} ${historyArgs.join(' ')} ${display}` : display;

  const specifications = instruction.flags
    .filter((flag) => flag.name === 'mount' && flag.value !== null)
    .map((flag) => expandWord(flag.value as string, environment, session.escape));
  const resolved = await resolveRunMounts(specifications, {
    contextDirectory: session.contextDirectory,
    stateDirectory: session.host.stateDirectory,
    temporaryDirectory: session.temporaryDirectory,
    mountFrom: (reference) => session.mountFrom(reference, context.stage.index),
  });

  try {
    const inputs = { argv: prepared.argv, args: historyArgs, mounts: resolved.keyInputs, network };
    await commitStep(context, createdBy, inputs, async () => {
      // A build canceled between steps starts no container.
      if (session.signal.aborted) throw new Error('build canceled');
      let stepContainer: string | null = null;
      const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
      const result = await session.host.runStep(
        {
          parent: context.image,
          runtimeConfig: context.config,
          command: prepared.argv,
          extraEnv: [...argEnv, ...proxyEnv],
          mounts: [...prepared.mounts, ...resolved.mounts],
          network,
          createdBy,
          buildId: session.buildId,
          onContainerCreated: (containerId) => {
            stepContainer = containerId.slice(0, 12);
            streamText(context, ` ---> Running in ${stepContainer}\n`);
          },
        },
        (stream, chunk) => {
          const text = decoders[stream].write(chunk);
          if (text !== '') streamText(context, text);
        },
        session.signal,
      );

      if (result.exitCode !== 0 || result.image === null) {
        throw new BuildError(`The command '${display}' returned a non-zero code: ${result.exitCode}`, result.exitCode === 0 ? 1 : result.exitCode);
      }
      // The host removes the step container in every case, and the classic builder reports that on success.
      if (stepContainer !== null) streamText(context, ` ---> Removed intermediate container ${stepContainer}\n`);
      return result.image;
    });
  } finally {
    resolved.release();
  }
}
