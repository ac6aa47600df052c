// The Dockerfile syntax tree. Argument strings are kept as written (quotes,
// escapes and `$VAR` references included) because BuildKit substitutes
// variables only when a stage runs, with the ARG and ENV values in scope at that
// point. substitution.ts and expand.ts do that step.

export type EscapeCharacter = '\\' | '`';

export interface ParserDirective {
  name: string;
  value: string;
  line: number;
}

export interface Directives {
  escape: EscapeCharacter;

  // Recorded only: the builder never pulls a frontend image.
  syntax?: string;

  // Recorded only: build checks are not implemented.
  check?: string;

  list: ParserDirective[];
}

export interface Heredoc {
  // Delimiter word with its quotes removed, such as EOF for <<"EOF".
  name: string;

  // Body lines, each ending in "\n", without the terminator line.
  content: string;

  // False when any part of the delimiter was quoted, which disables `$VAR` substitution in the body.
  expand: boolean;

  // True for <<-, which strips leading tabs from the body and the terminator.
  chomp: boolean;

  // File descriptor given before <<, as in 3<<EOF, or 0 when absent.
  fileDescriptor: number;
}

// A `--name=value` option written before an instruction's arguments. Its value is null for a bare `--link`.
export interface InstructionFlag {
  name: string;
  value: string | null;
}

export type CommandLine = { form: 'exec'; args: string[] } | { form: 'shell'; text: string };

export interface KeyValue {
  key: string;
  value: string;
}

export interface ArgDeclaration {
  name: string;
  defaultValue?: string;
}

interface InstructionBase {
  // First physical line of the instruction, counting from 1.
  line: number;

  // Last physical line, including continuation lines and heredoc bodies.
  endLine: number;

  // The logical line as written, continuation characters removed.
  original: string;
  flags: InstructionFlag[];
  heredocs: Heredoc[];
}

export interface FromInstruction extends InstructionBase {
  keyword: 'FROM';
  image: string;

  // Lower-cased as BuildKit does, so `AS Builder` and `--from=builder` match.
  stageName?: string;
}

export interface CommandInstruction extends InstructionBase {
  keyword: 'RUN' | 'CMD' | 'ENTRYPOINT';
  command: CommandLine;
}

export interface ShellInstruction extends InstructionBase {
  keyword: 'SHELL';
  shell: string[];
}

export interface KeyValueInstruction extends InstructionBase {
  keyword: 'ENV' | 'LABEL';
  pairs: KeyValue[];
}

export interface ArgInstruction extends InstructionBase {
  keyword: 'ARG';
  args: ArgDeclaration[];
}

export interface ListInstruction extends InstructionBase {
  keyword: 'EXPOSE' | 'VOLUME';
  values: string[];
}

export interface SingleValueInstruction extends InstructionBase {
  keyword: 'USER' | 'WORKDIR' | 'STOPSIGNAL' | 'MAINTAINER';
  value: string;
}

// One source of COPY or ADD: a path in the build context, or for a `<<name`
// source the heredoc whose body becomes a file called `name`.
export interface CopySource {
  path: string;
  heredoc?: Heredoc;
}

export interface CopyInstruction extends InstructionBase {
  keyword: 'COPY' | 'ADD';

  sources: CopySource[];
  destination: string;
  jsonForm: boolean;
}

export interface HealthcheckInstruction extends InstructionBase {
  keyword: 'HEALTHCHECK';

  // Null for HEALTHCHECK NONE, which disables a check inherited from the base image.
  command: CommandLine | null;
}

export interface OnbuildInstruction extends InstructionBase {
  keyword: 'ONBUILD';
  trigger: Instruction;
}

export type Instruction =
  | FromInstruction
  | CommandInstruction
  | ShellInstruction
  | KeyValueInstruction
  | ArgInstruction
  | ListInstruction
  | SingleValueInstruction
  | CopyInstruction
  | HealthcheckInstruction
  | OnbuildInstruction;

export type InstructionKeyword = Instruction['keyword'];

export interface Stage {
  index: number;
  from: FromInstruction;
  name?: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  directives: Directives;

  // ARG instructions before the first FROM, usable only in FROM lines.
  globalArgs: ArgInstruction[];
  stages: Stage[];

  // Problems BuildKit reports without failing, such as empty continuation lines.
  warnings: string[];
}
