// Applies Dockerfile instructions to an image config, for `docker import
// --change`: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR and
// STOPSIGNAL, with the JSON ("exec") and shell forms where Dockerfiles allow both.
//
// NOTE: Docker also expands $VARIABLES from earlier ENV instructions in
// these values; this parser takes values literally.
import path from 'node:path';
import { constants as osConstants } from 'node:os';
import { InvalidArgumentError, NotImplementedError } from '../common/errors';
import type { ImageRuntimeConfig } from './types';

const SHELL = ['/bin/sh', '-c'];

// Returns a new runtime config with every change applied in order.
export function applyChanges(base: ImageRuntimeConfig, changes: readonly string[]): ImageRuntimeConfig {
  const config: ImageRuntimeConfig = structuredClone(base);
  for (const change of changes) applyChange(config, change);
  return config;
}

function applyChange(config: ImageRuntimeConfig, change: string): void {
  const trimmed = change.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return;
  const match = /^(\S+)\s*([\s\S]*)$/.exec(trimmed)!;
  const instruction = match[1].toUpperCase();
  const rest = match[2].trim();

  switch (instruction) {
    case 'CMD':
      config.Cmd = commandForm(rest, instruction);
      return;
    case 'ENTRYPOINT':
      config.Entrypoint = commandForm(rest, instruction);
      return;
    case 'ENV':
      for (const [key, value] of nameValuePairs(rest, instruction)) setEnv(config, key, value);
      return;
    case 'LABEL':
      config.Labels = { ...config.Labels };
      for (const [key, value] of nameValuePairs(rest, instruction)) config.Labels[key] = value;
      return;
    case 'EXPOSE':
      config.ExposedPorts = { ...config.ExposedPorts };
      for (const port of splitWords(rest, instruction).flatMap(expandPort)) config.ExposedPorts[port] = {};
      return;
    case 'USER':
      config.User = singleArgument(rest, instruction);
      return;
    case 'VOLUME':
      config.Volumes = { ...config.Volumes };
      for (const volume of listForm(rest, instruction)) config.Volumes[volume] = {};
      return;
    case 'WORKDIR': {
      const directory = singleArgument(rest, instruction);
      // A relative WORKDIR continues from the previous one, as in a Dockerfile.
      config.WorkingDir = path.posix.resolve(config.WorkingDir || '/', directory);
      return;
    }
    case 'STOPSIGNAL':
      config.StopSignal = checkSignal(singleArgument(rest, instruction));
      return;
    case 'HEALTHCHECK':
    case 'ONBUILD':
      throw new NotImplementedError(`${instruction} is not supported in --change yet`);
    default:
      throw new InvalidArgumentError(`${match[1]} is not a valid change command`);
  }
}

// The JSON form when the argument is a JSON array of strings, otherwise the shell form.
function commandForm(rest: string, instruction: string): string[] {
  const json = parseJsonArray(rest);
  if (json !== null) return json;
  if (rest === '') throw new InvalidArgumentError(`${instruction} requires at least one argument`);
  return [...SHELL, rest];
}

function listForm(rest: string, instruction: string): string[] {
  const values = parseJsonArray(rest) ?? splitWords(rest, instruction);
  if (values.length === 0 || values.some((value) => value.trim() === '')) {
    throw new InvalidArgumentError(`${instruction} specified can not be an empty string`);
  }
  return values;
}

function parseJsonArray(text: string): string[] | null {
  if (!text.startsWith('[')) return null;
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
  } catch {
    // Not JSON: the caller falls back to the shell form, as Docker does.
  }
  return null;
}

function singleArgument(rest: string, instruction: string): string {
  const words = splitWords(rest, instruction);
  if (words.length !== 1) throw new InvalidArgumentError(`${instruction} requires exactly one argument`);
  return words[0];
}

// Parses "a=1 b='two words'" or the legacy "name value with spaces".
function nameValuePairs(rest: string, instruction: string): Array<[string, string]> {
  const words = splitWords(rest, instruction, { keepQuotes: true });
  if (words.length === 0) throw new InvalidArgumentError(`${instruction} requires at least one argument`);

  if (!words[0].includes('=')) {
    const legacy = /^(\S+)\s+([\s\S]+)$/.exec(rest);
    if (!legacy) throw new InvalidArgumentError(`${instruction} must have two arguments`);
    return [[unquote(legacy[1], instruction), legacy[2].trim()]];
  }
  return words.map((word) => {
    const equals = word.indexOf('=');
    if (equals <= 0) {
      throw new InvalidArgumentError(`Syntax error - can't find = in "${word}". Must be of the form: name=value`);
    }
    return [unquote(word.slice(0, equals), instruction), unquote(word.slice(equals + 1), instruction)];
  });
}

// Splits on unquoted whitespace. Quotes group words and are removed unless
// keepQuotes is set (name=value pairs remove them per side).
function splitWords(text: string, instruction: string, options: { keepQuotes?: boolean } = {}): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: string | null = null;
  for (let index = 0; index < text.length; index++) {
    const character = text[index];
    if (quote === null && /\s/.test(character)) {
      if (inWord) words.push(options.keepQuotes ? current : unquote(current, instruction));
      current = '';
      inWord = false;
      continue;
    }
    inWord = true;
    current += character;
    if (character === '\\' && quote !== "'" && index + 1 < text.length) {
      current += text[++index];
    } else if (quote === null && (character === '"' || character === "'")) {
      quote = character;
    } else if (character === quote) {
      quote = null;
    }
  }
  if (quote !== null) throw new InvalidArgumentError(`${instruction}: unexpected end of statement while looking for matching ${quote}`);
  if (inWord) words.push(options.keepQuotes ? current : unquote(current, instruction));
  return words;
}

// Removes shell quoting: "..." allows backslash escapes, '...' is literal, and a bare backslash escapes the next character.
function unquote(word: string, instruction: string): string {
  let result = '';
  let quote: string | null = null;
  for (let index = 0; index < word.length; index++) {
    const character = word[index];
    if (quote === "'") {
      if (character === "'") quote = null;
      else result += character;
    } else if (character === '\\' && index + 1 < word.length) {
      result += word[++index];
    } else if (quote === '"') {
      if (character === '"') quote = null;
      else result += character;
    } else if (character === '"' || character === "'") {
      quote = character;
    } else {
      result += character;
    }
  }
  if (quote !== null) throw new InvalidArgumentError(`${instruction}: unexpected end of statement while looking for matching ${quote}`);
  return result;
}

function setEnv(config: ImageRuntimeConfig, key: string, value: string): void {
  const env = (config.Env ?? []).filter((entry) => entry.split('=', 1)[0] !== key);
  env.push(`${key}=${value}`);
  config.Env = env;
}

// Turns "80", "53/udp" or "8000-8002/tcp" into "80/tcp" keys.
function expandPort(spec: string): string[] {
  const match = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
  if (!match) throw new InvalidArgumentError(`invalid containerPort: ${spec}`);
  const first = Number(match[1]);
  const last = match[2] === undefined ? first : Number(match[2]);
  const protocol = (match[3] ?? 'tcp').toLowerCase();
  if (first < 1 || last > 65535 || last < first) throw new InvalidArgumentError(`invalid range format for --expose: ${spec}`);
  const ports: string[] = [];
  for (let port = first; port <= last; port++) ports.push(`${port}/${protocol}`);
  return ports;
}

// Accepts a signal name with or without "SIG", or a number, as Docker's signal parser does.
function checkSignal(signal: string): string {
  if (/^\d+$/.test(signal)) {
    if (Number(signal) < 1 || Number(signal) > 64) throw new InvalidArgumentError(`Invalid signal: ${signal}`);
    return signal;
  }
  const name = signal.toUpperCase().startsWith('SIG') ? signal.toUpperCase() : `SIG${signal.toUpperCase()}`;
  if (!(name in osConstants.signals) && !/^SIGRTM(IN|AX)([+-]\d+)?$/.test(name)) throw new InvalidArgumentError(`Invalid signal: ${signal}`);
  return signal;
}
