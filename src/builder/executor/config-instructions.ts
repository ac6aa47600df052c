// Instructions that change only the image config (CMD, ENTRYPOINT, ENV,
// LABEL, EXPOSE, USER, VOLUME, STOPSIGNAL, HEALTHCHECK, ONBUILD, SHELL,
// MAINTAINER). Each returns the history text of the step, and the stage
// commits it with host.configStep.
import { InvalidArgumentError } from '../../common/errors';
import type { ImageRuntimeConfig } from '../../image/types';
import type { CommandLine, Instruction } from '../dockerfile';
import { healthcheckConfig } from './healthcheck';

export const DEFAULT_SHELL = ['/bin/sh', '-c'];

export interface ConfigState {
  config: ImageRuntimeConfig;
  // Whether this stage set CMD itself, because ENTRYPOINT clears only a CMD inherited from the base image.
  cmdSet: boolean;
}

export function currentShell(config: ImageRuntimeConfig): string[] {
  return config.Shell && config.Shell.length > 0 ? config.Shell : DEFAULT_SHELL;
}

// The argv of a CMD, ENTRYPOINT or RUN: the shell form goes through the SHELL in effect.
export function commandArguments(command: CommandLine, config: ImageRuntimeConfig): string[] {
  if (command.form === 'exec') return [...command.args];
  return [...currentShell(config), command.text];
}

export function nopHistory(config: ImageRuntimeConfig, text: string): string {
  return `${currentShell(config).join(' ')} #(nop)  ${text}`;
}

function setEnvironment(config: ImageRuntimeConfig, key: string, value: string): void {
  const env = (config.Env ?? []).filter((entry) => entry !== key && !entry.startsWith(`${key}=`));
  env.push(`${key}=${value}`);
  config.Env = env;
}

// Expands EXPOSE values such as "80", "53/udp" or "8000-8002/tcp" into ExposedPorts keys.
function exposedPorts(value: string): string[] {
  const match = /^([0-9]+)(?:-([0-9]+))?(?:\/(tcp|udp|sctp))?$/i.exec(value);
  if (!match) throw new InvalidArgumentError(`invalid port ${JSON.stringify(value)} in EXPOSE: use PORT[/PROTOCOL] or START-END[/PROTOCOL]`);

  const first = Number(match[1]);
  const last = match[2] === undefined ? first : Number(match[2]);
  const protocol = (match[3] ?? 'tcp').toLowerCase();
  if (first < 1 || last > 65535 || last < first) throw new InvalidArgumentError(`invalid port range ${JSON.stringify(value)} in EXPOSE: ports must be from 1 to 65535 and the range must not end before it starts`);

  const ports: string[] = [];
  for (let port = first; port <= last; port++) ports.push(`${port}/${protocol}`);
  return ports;
}

function quoteJson(values: readonly string[]): string {
  return `[${values.map((value) => JSON.stringify(value)).join(' ')}]`;
}

// Applies one config-only instruction, already expanded, to state.config and returns the history text.
export function applyConfigInstruction(state: ConfigState, instruction: Instruction): string {
  const config = state.config;

  switch (instruction.keyword) {
    case 'CMD':
      config.Cmd = commandArguments(instruction.command, config);
      state.cmdSet = true;
      return nopHistory(config, `CMD ${quoteJson(config.Cmd)}`);

    case 'ENTRYPOINT':
      config.Entrypoint = commandArguments(instruction.command, config);
      if (!state.cmdSet) config.Cmd = null;
      return nopHistory(config, `ENTRYPOINT ${quoteJson(config.Entrypoint)}`);

    case 'ENV':
      for (const pair of instruction.pairs) setEnvironment(config, pair.key, pair.value);
      return nopHistory(config, `ENV ${instruction.pairs.map((pair) => `${pair.key}=${pair.value}`).join(' ')}`);

    case 'LABEL':
      config.Labels = { ...(config.Labels ?? {}) };
      for (const pair of instruction.pairs) config.Labels[pair.key] = pair.value;
      return nopHistory(config, `LABEL ${instruction.pairs.map((pair) => `${pair.key}=${pair.value}`).join(' ')}`);

    case 'EXPOSE': {
      config.ExposedPorts = { ...(config.ExposedPorts ?? {}) };
      const ports = instruction.values.flatMap(exposedPorts);
      for (const port of ports) config.ExposedPorts[port] = {};
      return nopHistory(config, `EXPOSE ${ports.join(' ')}`);
    }

    case 'USER':
      config.User = instruction.value;
      return nopHistory(config, `USER ${instruction.value}`);

    case 'VOLUME':
      config.Volumes = { ...(config.Volumes ?? {}) };
      for (const volume of instruction.values) config.Volumes[volume] = {};
      return nopHistory(config, `VOLUME ${quoteJson(instruction.values)}`);

    case 'STOPSIGNAL':
      config.StopSignal = instruction.value;
      return nopHistory(config, `STOPSIGNAL ${instruction.value}`);

    case 'HEALTHCHECK':
      config.Healthcheck = healthcheckConfig(instruction);
      return nopHistory(config, `HEALTHCHECK ${JSON.stringify(config.Healthcheck)}`);

    case 'ONBUILD':
      config.OnBuild = [...(config.OnBuild ?? []), instruction.trigger.original];
      return nopHistory(config, `ONBUILD ${instruction.trigger.original}`);

    case 'SHELL':
      config.Shell = [...instruction.shell];
      return nopHistory(config, `SHELL ${quoteJson(instruction.shell)}`);

    case 'MAINTAINER':
      // NOTE: the image config's author field is not set, because ConfigStepRequest carries only the runtime config.
      return nopHistory(config, `MAINTAINER ${instruction.value}`);

    default:
      throw new Error(`${instruction.keyword} is not a config-only instruction`);
  }
}
