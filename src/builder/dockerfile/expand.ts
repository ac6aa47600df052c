// Applies variable substitution to the instructions Docker substitutes in:
// ADD, ARG (default values), COPY, ENV, EXPOSE, FROM, LABEL, STOPSIGNAL, USER,
// VOLUME and WORKDIR, plus the flags --chown, --chmod, --from, --checksum and
// --platform. RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK, MAINTAINER and ONBUILD
// come back unchanged because the shell or a later build expands them.
import { DockerfileSyntaxError, InstructionProblem } from './problem';
import { expandHeredocContent, expandWord, type Environment } from './substitution';
import type { CopySource, Instruction, InstructionFlag } from './types';

const EXPANDED_FLAGS = new Set(['chown', 'chmod', 'from', 'checksum', 'platform']);

function expandFlags(flags: readonly InstructionFlag[], environment: Environment, escape: string): InstructionFlag[] {
  return flags.map((flag) => {
    if (flag.value === null || !EXPANDED_FLAGS.has(flag.name)) return flag;
    return { name: flag.name, value: expandWord(flag.value, environment, escape) };
  });
}

function expandSource(source: CopySource, environment: Environment, escape: string): CopySource {
  if (!source.heredoc) return { path: expandWord(source.path, environment, escape) };
  if (!source.heredoc.expand) return source;
  return { ...source, heredoc: { ...source.heredoc, content: expandHeredocContent(source.heredoc.content, environment, escape) } };
}

export interface ExpandOptions {
  // The Dockerfile's escape character, from Dockerfile.directives.escape.
  escape?: string;

  // File name for error messages, "Dockerfile" by default.
  fileName?: string;
}

// Returns a copy of the instruction with `$VAR` references replaced from the
// environment and quotes removed. Every value of one instruction uses the same
// environment, so `ENV A=1 B=$A` gives B the value A had before this line, as
// Docker documents. Throws for a malformed substitution or
// `${VAR:?message}` on an unset variable, as a DockerfileSyntaxError.
export function expandInstruction(instruction: Instruction, environment: Environment, options: ExpandOptions = {}): Instruction {
  const escape = options.escape ?? '\\';
  const word = (text: string): string => expandWord(text, environment, escape);

  try {
    switch (instruction.keyword) {
      case 'FROM':
        return { ...instruction, image: word(instruction.image), flags: expandFlags(instruction.flags, environment, escape) };

      case 'ENV':
      case 'LABEL':
        return { ...instruction, pairs: instruction.pairs.map((pair) => ({ key: word(pair.key), value: word(pair.value) })) };

      case 'ARG':
        return {
          ...instruction,
          args: instruction.args.map((arg) => (arg.defaultValue === undefined ? arg : { name: arg.name, defaultValue: word(arg.defaultValue) })),
        };

      case 'EXPOSE':
      case 'VOLUME':
        return { ...instruction, values: instruction.values.map(word) };

      case 'USER':
      case 'WORKDIR':
      case 'STOPSIGNAL':
        return { ...instruction, value: word(instruction.value) };

      case 'COPY':
      case 'ADD':
        return {
          ...instruction,
          flags: expandFlags(instruction.flags, environment, escape),
          sources: instruction.sources.map((source) => expandSource(source, environment, escape)),
          destination: word(instruction.destination),
        };

      default:
        return instruction;
    }
  } catch (error) {
    if (error instanceof InstructionProblem) {
      throw new DockerfileSyntaxError(options.fileName ?? 'Dockerfile', instruction.line, `${instruction.keyword}: ${error.message}`);
    }
    throw error;
  }
}
