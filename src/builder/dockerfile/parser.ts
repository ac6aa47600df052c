// Entry point of the Dockerfile parser: turns the text of a Dockerfile into
// parser directives, global ARGs and build stages. Reads nothing but the
// string it is given, and throws DockerfileSyntaxError ("Dockerfile:7: ...").
import { parseInstruction } from './instructions';
import { lexDockerfile } from './lexer';
import { DockerfileSyntaxError, InstructionProblem } from './problem';
import type { ArgInstruction, Dockerfile, Stage } from './types';

export interface ParseOptions {
  // Name used in error messages. Docker uses the path given with -f, "Dockerfile" by default.
  fileName?: string;
}

export function parseDockerfile(source: string, options: ParseOptions = {}): Dockerfile {
  const fileName = options.fileName ?? 'Dockerfile';
  const { directives, lines, warnings } = lexDockerfile(source, fileName);
  const globalArgs: ArgInstruction[] = [];
  const stages: Stage[] = [];

  for (const logical of lines) {
    let instruction;
    try {
      instruction = parseInstruction(logical.text, logical, directives.escape);
    } catch (error) {
      if (error instanceof InstructionProblem) throw new DockerfileSyntaxError(fileName, logical.line, error.message);
      throw error;
    }

    if (instruction.keyword === 'FROM') {
      stages.push({ index: stages.length, from: instruction, name: instruction.stageName, instructions: [] });
      continue;
    }

    const stage = stages[stages.length - 1];
    if (stage) {
      stage.instructions.push(instruction);
      continue;
    }

    if (instruction.keyword !== 'ARG') {
      throw new DockerfileSyntaxError(fileName, logical.line, `no build stage in current context: ${instruction.keyword} must come after a FROM, and only ARG may come before the first FROM`);
    }
    globalArgs.push(instruction);
  }

  if (lines.length === 0) throw new DockerfileSyntaxError(fileName, 1, 'file with no instructions');
  if (stages.length === 0) {
    throw new DockerfileSyntaxError(fileName, lines.length > 0 ? lines[lines.length - 1].line : 1, 'the Dockerfile has no FROM instruction, so it defines no build stage');
  }
  checkStageNames(stages, fileName);

  return { directives, globalArgs, stages, warnings };
}

function checkStageNames(stages: readonly Stage[], fileName: string): void {
  const seen = new Map<string, number>();
  for (const stage of stages) {
    if (stage.name === undefined) continue;
    const previous = seen.get(stage.name);
    if (previous !== undefined) {
      throw new DockerfileSyntaxError(fileName, stage.from.line, `duplicate build stage name ${JSON.stringify(stage.name)}: also used on line ${previous}`);
    }
    seen.set(stage.name, stage.from.line);
  }
}
