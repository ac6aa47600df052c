// Public interface of the Dockerfile parser.
export { parseDockerfile, type ParseOptions } from './parser';
export { expandInstruction, type ExpandOptions } from './expand';
export { expandWord, expandWords, expandHeredocContent, type Environment } from './substitution';
export { parseMountSpec, flagValue } from './flags';
export { DockerfileSyntaxError, InstructionProblem } from './problem';
export type * from './types';
