import { InvalidArgumentError } from '../../common/errors';

// A syntax problem found inside one instruction. The parser adds the file name
// and line number when it turns this into a DockerfileSyntaxError.
export class InstructionProblem extends Error {}

// Syntax error in a Dockerfile, with a message that starts with "FILE:LINE: ".
export class DockerfileSyntaxError extends InvalidArgumentError {
  readonly fileName: string;
  readonly line: number;

  constructor(fileName: string, line: number, problem: string) {
    super(`${fileName}:${line}: ${problem}`);
    this.fileName = fileName;
    this.line = line;
  }
}
