// The shape of a berth command and the errors commands raise. main.ts parses
// flags with a command's FlagSpecs, checks the argument count, and prints
// errors the way the docker CLI does.
import type { Readable, Writable } from 'node:stream';
import type { ApiClient } from './client/api-client';
import { renderFlagHelp, type FlagSpec, type FlagValues } from './flags';

export const PROGRAM = 'berth';

// An error whose message is printed as is, with the exit code to use.
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

// Ends the command with an exit code and nothing printed (a container's exit status).
export class ExitStatus extends Error {
  constructor(readonly exitCode: number) {
    super(`exit status ${exitCode}`);
  }
}

export interface Streams {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown; fd?: number };
  stdout: Writable & { isTTY?: boolean; columns?: number; rows?: number };
  stderr: Writable;
}

export interface CommandContext {
  // The command as invoked, such as "berth container ls", for messages.
  commandPath: string;
  streams: Streams;
  environment: NodeJS.ProcessEnv;
  // Connects on first use (negotiating the API version, starting berthd if needed).
  client(): Promise<ApiClient>;
}

export interface ArgumentRule {
  min?: number;
  max?: number;
}

export interface Command {
  name: string;
  // Text after the command path in the usage line: "[OPTIONS] IMAGE [COMMAND] [ARG...]".
  usage: string;
  summary: string;
  flags: FlagSpec[];
  args: ArgumentRule;
  // False for run, create and exec: flags stop at the first positional argument.
  interspersed?: boolean;
  // Other spellings shown in help, such as "berth container ls, berth ps".
  aliases?: string[];
  run(context: CommandContext, flags: FlagValues, args: string[]): Promise<number>;
}

// A command in the command tree: its summary for help, and its module loaded on demand.
export interface CommandEntry {
  summary: string;
  load(): Command;
}

// A command group such as "container" or "volume".
export interface CommandGroup {
  name: string;
  summary: string;
  commands: Map<string, CommandEntry>;
  // Subcommand names listed in help, each once (aliases such as "list" are left out).
  listed: string[];
}

function plural(count: number): string {
  return count === 1 ? 'argument' : 'arguments';
}

// Checks the argument count. Returns docker's message (exit code 1) when it does not fit.
export function checkArguments(command: Command, commandPath: string, count: number): CliError | null {
  const { min, max } = command.args;
  let problem: string | null = null;
  let verb = 'Run';
  if (max === 0 && count > 0) {
    problem = 'accepts no arguments';
  } else if (min !== undefined && max !== undefined && min === max && count !== min) {
    problem = `requires ${min} ${plural(min)}`;
  } else if (min !== undefined && max !== undefined && (count < min || count > max)) {
    problem = `requires at least ${min} and at most ${max} ${plural(max)}`;
    verb = 'See';
  } else if (min !== undefined && count < min) {
    problem = `requires at least ${min} ${plural(min)}`;
    verb = 'See';
  } else if (max !== undefined && count > max) {
    problem = `requires at most ${max} ${plural(max)}`;
  }
  if (problem === null) return null;
  const message = `${PROGRAM}: '${commandPath}' ${problem}\n\nUsage:  ${commandPath} ${command.usage}\n\n${verb} '${commandPath} --help' for more information`;
  return new CliError(message, 1);
}

// The message for a flag error: pflag's text, the usage line and a pointer to --help, with exit code 125.
export function flagErrorMessage(commandPath: string, usage: string, message: string): string {
  return `${message}\n\nUsage:  ${commandPath} ${usage}\n\nRun '${commandPath} --help' for more information`;
}

export function renderCommandHelp(command: Command, commandPath: string): string {
  const sections = [`Usage:  ${commandPath} ${command.usage}`, command.summary];
  if (command.aliases && command.aliases.length > 0) sections.push(`Aliases:\n  ${command.aliases.join(', ')}`);
  if (command.flags.some((flag) => !flag.hidden)) sections.push(`Options:\n${renderFlagHelp(command.flags)}`);
  return `\n${sections.join('\n\n')}\n`;
}

export function renderGroupHelp(group: CommandGroup, groupPath: string): string {
  // Names are padded to at least 11 characters, as cobra lays out docker's command lists.
  const width = Math.max(11, ...group.listed.map((name) => name.length));
  const lines = group.listed.map((name) => `  ${name.padEnd(width)} ${group.commands.get(name)?.summary ?? ''}`);
  return `Usage:  ${groupPath} COMMAND\n\n${group.summary}\n\nCommands:\n${lines.join('\n')}\n\nRun '${groupPath} COMMAND --help' for more information on a command.\n`;
}
