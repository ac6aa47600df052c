// Parses one logical line into an instruction of the Dockerfile reference,
// checking the number and shape of its arguments. Throws InstructionProblem,
// to which the parser adds the file name and line.
import {
  checkDuration,
  parseArgDeclarations,
  parseCommandLine,
  parseJsonOrWordList,
  parseJsonStringArray,
  parseKeyValuePairs,
} from './arguments';
import { parseInstructionFlags } from './flags';
import { parseHeredocMarker } from './heredoc';
import { InstructionProblem } from './problem';
import type { CopySource, Heredoc, Instruction, InstructionFlag, InstructionKeyword } from './types';
import { extractFlags, splitOnWhitespace } from './words';

const KEYWORDS = new Set<string>([
  'FROM', 'RUN', 'CMD', 'ENTRYPOINT', 'SHELL', 'ENV', 'LABEL', 'ARG', 'EXPOSE', 'VOLUME',
  'USER', 'WORKDIR', 'STOPSIGNAL', 'MAINTAINER', 'COPY', 'ADD', 'HEALTHCHECK', 'ONBUILD',
]);

const STAGE_NAME = /^[a-z][a-z0-9_.-]*$/;

export interface LinePosition {
  line: number;
  endLine: number;
  heredocs: Heredoc[];
}

type InstructionFields = { line: number; endLine: number; original: string; flags: InstructionFlag[]; heredocs: Heredoc[] };

export function parseInstruction(text: string, position: LinePosition, escape: string): Instruction {
  const original = text.trim();
  const space = original.search(/\s/);
  const word = space < 0 ? original : original.slice(0, space);
  const keyword = word.toUpperCase();
  if (!KEYWORDS.has(keyword)) throw new InstructionProblem(`unknown instruction: ${keyword}`);

  const { flags: flagWords, rest } = extractFlags(space < 0 ? '' : original.slice(space));
  const flags = parseInstructionFlags(keyword, flagWords);
  const base: InstructionFields = { line: position.line, endLine: position.endLine, original, flags, heredocs: position.heredocs };
  return parseArguments(keyword as InstructionKeyword, rest.trim(), base, escape);
}

function requireArguments(keyword: string, rest: string): void {
  if (rest === '') throw new InstructionProblem(`${keyword} requires at least one argument`);
}

function requireExactlyOne(keyword: string, rest: string): void {
  if (rest === '') throw new InstructionProblem(`${keyword} requires exactly one argument`);
}

function parseArguments(keyword: InstructionKeyword, rest: string, base: InstructionFields, escape: string): Instruction {
  switch (keyword) {
    case 'FROM':
      return parseFrom(rest, base);

    case 'RUN':
    case 'CMD':
    case 'ENTRYPOINT':
      return { ...base, keyword, command: parseCommandLine(rest) };

    case 'SHELL': {
      const shell = parseJsonStringArray(rest);
      if (shell === null) throw new InstructionProblem('SHELL requires the arguments to be in JSON form, such as ["/bin/sh", "-c"]');
      if (shell.length === 0) throw new InstructionProblem('SHELL requires at least one argument');
      return { ...base, keyword, shell };
    }

    case 'ENV':
    case 'LABEL':
      return { ...base, keyword, pairs: parseKeyValuePairs(keyword, rest, escape) };

    case 'ARG':
      return { ...base, keyword, args: parseArgDeclarations(rest, escape) };

    case 'EXPOSE':
      requireArguments(keyword, rest);
      return { ...base, keyword, values: splitOnWhitespace(rest) };

    case 'VOLUME': {
      requireArguments(keyword, rest);
      const values = parseJsonOrWordList(rest).values.map((value) => value.trim());
      if (values.length === 0) throw new InstructionProblem('VOLUME requires at least one argument');
      if (values.includes('')) throw new InstructionProblem('VOLUME specified can not be an empty string');
      return { ...base, keyword, values };
    }

    case 'USER':
    case 'WORKDIR':
    case 'STOPSIGNAL':
    case 'MAINTAINER':
      requireExactlyOne(keyword, rest);
      return { ...base, keyword, value: rest };

    case 'COPY':
    case 'ADD':
      return parseCopy(keyword, rest, base);

    case 'HEALTHCHECK':
      return parseHealthcheck(rest, base);

    case 'ONBUILD':
      return parseOnbuild(rest, base, escape);
  }
}

function parseFrom(rest: string, base: InstructionFields): Instruction {
  const args = splitOnWhitespace(rest);
  if (args.length === 3 && args[1].toLowerCase() === 'as') {
    const stageName = args[2].toLowerCase();
    if (!STAGE_NAME.test(stageName)) {
      throw new InstructionProblem(`invalid name for build stage: ${JSON.stringify(args[2])}, name can't start with a number or contain symbols`);
    }
    return { ...base, keyword: 'FROM', image: args[0], stageName };
  }

  if (args.length !== 1) throw new InstructionProblem('FROM requires either one or three arguments');
  return { ...base, keyword: 'FROM', image: args[0] };
}

function parseCopy(keyword: 'COPY' | 'ADD', rest: string, base: InstructionFields): Instruction {
  const { values, jsonForm } = parseJsonOrWordList(rest);
  if (values.length < 2) {
    throw new InstructionProblem(`${keyword} requires at least two arguments, but only ${values.length === 0 ? 'none' : 'one'} was provided. Destination could not be determined`);
  }

  const destination = values[values.length - 1];
  if (!jsonForm && parseHeredocMarker(destination)) throw new InstructionProblem(`${keyword} cannot accept a heredoc as a destination`);

  // Heredoc markers are matched to bodies in order, as the lexer read them.
  let nextHeredoc = 0;
  const sources: CopySource[] = values.slice(0, -1).map((value) => {
    const marker = jsonForm ? null : parseHeredocMarker(value);
    if (!marker) return { path: value };
    const heredoc = base.heredocs[nextHeredoc];
    nextHeredoc++;
    if (!heredoc) throw new InstructionProblem(`${keyword} source ${value} has no heredoc body`);
    return { path: heredoc.name, heredoc };
  });

  return { ...base, keyword, sources, destination, jsonForm };
}

function parseHealthcheck(rest: string, base: InstructionFields): Instruction {
  const space = rest.search(/\s/);
  const type = (space < 0 ? rest : rest.slice(0, space)).toUpperCase();
  const commandText = space < 0 ? '' : rest.slice(space).trim();

  if (type === 'NONE') {
    if (commandText !== '') throw new InstructionProblem('HEALTHCHECK NONE takes no arguments');
    if (base.flags.length > 0) throw new InstructionProblem('options cannot be specified with HEALTHCHECK NONE');
    return { ...base, keyword: 'HEALTHCHECK', command: null };
  }

  if (type !== 'CMD') throw new InstructionProblem(`unknown type ${JSON.stringify(type)} in HEALTHCHECK (try CMD)`);
  if (commandText === '') throw new InstructionProblem('missing command after HEALTHCHECK CMD');

  for (const flag of base.flags) {
    if (flag.name === 'retries') {
      if (!/^[0-9]+$/.test(flag.value ?? '')) throw new InstructionProblem(`invalid --retries ${JSON.stringify(flag.value)}: use a whole number`);
      if (Number(flag.value) < 1) throw new InstructionProblem(`--retries must be at least 1 (not ${flag.value})`);
    } else {
      checkDuration(flag.name, flag.value ?? '');
    }
  }
  return { ...base, keyword: 'HEALTHCHECK', command: parseCommandLine(commandText) };
}

function parseOnbuild(rest: string, base: InstructionFields, escape: string): Instruction {
  requireArguments('ONBUILD', rest);
  const triggerKeyword = rest.split(/\s/, 1)[0].toUpperCase();
  if (triggerKeyword === 'ONBUILD') throw new InstructionProblem('chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
  if (triggerKeyword === 'FROM' || triggerKeyword === 'MAINTAINER') {
    throw new InstructionProblem(`${triggerKeyword} isn't allowed as an ONBUILD trigger`);
  }

  const trigger = parseInstruction(rest, base, escape);
  return { ...base, keyword: 'ONBUILD', trigger };
}
