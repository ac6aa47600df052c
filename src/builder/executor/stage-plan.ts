// The plan of a build: the stages it needs and the numbering of its steps. The
// target (the last stage unless --target names one) needs the stages its FROM,
// COPY --from and RUN --mount from= name, and those stages need theirs in turn. Other stages are skipped.
// Steps are numbered over the needed stages in Dockerfile order, FROM lines
// included, as the classic builder prints "Step 3/9".
import type { Environment, Dockerfile, Stage } from '../dockerfile';
import { expandWord, flagValue, parseMountSpec } from '../dockerfile';
import { BuildError } from './build-error';

export interface StagePlan {
  target: Stage;
  // Indexes of the needed stages, ascending.
  needed: number[];
  // Number of the FROM step of each needed stage.
  firstStep: Map<number, number>;
  totalSteps: number;
}

// Finds a stage named by `FROM name`, `--from=name` or `--from=N` among the stages before `before`, or returns null for an image reference.
export function findStage(dockerfile: Dockerfile, reference: string, before: number): Stage | null {
  const lower = reference.toLowerCase();
  if (/^[0-9]+$/.test(reference)) {
    const index = Number(reference);
    return index < before ? (dockerfile.stages[index] ?? null) : null;
  }
  return dockerfile.stages.find((stage) => stage.index < before && stage.name === lower) ?? null;
}

// Returns the stages a stage refers to, expanded with the global ARGs. A
// reference that only a stage ARG can expand is found when the step runs.
function referencedStages(dockerfile: Dockerfile, stage: Stage, environment: Environment): Stage[] {
  const escape = dockerfile.directives.escape;
  const references: string[] = [stage.from.image];

  for (const instruction of stage.instructions) {
    const from = flagValue(instruction.flags, 'from');
    if (from !== undefined) references.push(from);
    if (instruction.keyword !== 'RUN') continue;
    for (const flag of instruction.flags) {
      if (flag.name !== 'mount' || flag.value === null) continue;
      const mountFrom = parseMountSpec(flag.value).get('from');
      if (mountFrom !== undefined) references.push(mountFrom);
    }
  }

  const stages: Stage[] = [];
  for (const reference of references) {
    let expanded: string;
    try {
      expanded = expandWord(reference, environment, escape);
    } catch {
      // Only a stage ARG can expand this reference, so the step finds its stage when it runs.
      continue;
    }
    const found = findStage(dockerfile, expanded, stage.index);
    if (found) stages.push(found);
  }
  return stages;
}

export function planStages(dockerfile: Dockerfile, target: string | null, globalEnvironment: Environment): StagePlan {
  let targetStage = dockerfile.stages[dockerfile.stages.length - 1];
  if (target !== null && target !== '') {
    const found = dockerfile.stages.find((stage) => stage.name === target.toLowerCase());
    if (!found) throw new BuildError(`failed to reach build target ${target} in Dockerfile`, 1);
    targetStage = found;
  }

  const needed = new Set<number>();
  const visit = (stage: Stage): void => {
    if (needed.has(stage.index)) return;
    needed.add(stage.index);
    for (const dependency of referencedStages(dockerfile, stage, globalEnvironment)) visit(dependency);
  };
  visit(targetStage);

  const ordered = [...needed].sort((a, b) => a - b);
  const firstStep = new Map<number, number>();
  let step = 1;
  for (const index of ordered) {
    firstStep.set(index, step);
    step += 1 + dockerfile.stages[index].instructions.length;
  }

  return { target: targetStage, needed: ordered, firstStep, totalSteps: step - 1 };
}
