// ARG scoping as Docker documents it. Global ARGs (before the first FROM)
// and the automatic platform ARGs are visible to FROM lines only. Inside a
// stage an ARG is visible from its declaration on. Its value comes from the
// build args, else from its own default, else from the global ARG of that
// name. ARG values reach the environment of later RUNs but never the image
// config. The predefined proxy ARGs work without a declaration and stay out of
// history and cache keys.
import { expandWord, type ArgInstruction, type Environment } from '../dockerfile';
import { expandInstruction } from '../dockerfile';

export const PROXY_ARGS = new Set([
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy',
  'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy',
]);

// The build args of one build, the global scope, and which build args a declaration consumed.
export class BuildArguments {
  readonly global = new Map<string, string>();
  private readonly consumed = new Set<string>();

  constructor(
    private readonly buildArgs: Record<string, string | null>,
    private readonly automatic: ReadonlyMap<string, string>,
    globalArgs: readonly ArgInstruction[],
    escape: string,
    fileName: string,
  ) {
    for (const [name, value] of automatic) this.global.set(name, value);

    for (const instruction of globalArgs) {
      // Each declaration's default can use the global ARGs declared before it.
      const expanded = expandInstruction(instruction, this.global, { escape, fileName });
      if (expanded.keyword !== 'ARG') continue;
      for (const declaration of expanded.args) {
        const value = this.buildArg(declaration.name) ?? declaration.defaultValue;
        if (value !== undefined) this.global.set(declaration.name, value);
      }
    }
  }

  // Returns a build arg's value. A null value in the request (declared without a value on the command line) counts as unset.
  buildArg(name: string): string | undefined {
    this.consumed.add(name);
    const value = this.buildArgs[name];
    return value === null || value === undefined ? undefined : value;
  }

  // The value an in-stage `ARG name` without a default takes: the global ARG's, which includes the automatic platform ARGs.
  globalValue(name: string): string | undefined {
    return this.global.get(name);
  }

  // Proxy build args, which every RUN gets in its environment without a declaration.
  proxyValues(): Map<string, string> {
    const values = new Map<string, string>();
    for (const [name, value] of Object.entries(this.buildArgs)) {
      if (PROXY_ARGS.has(name) && value !== null) values.set(name, value);
    }
    return values;
  }

  // Build args that no ARG of a built stage or of the global scope declared, sorted, for Docker's warning.
  unconsumed(): string[] {
    return Object.keys(this.buildArgs)
      .filter((name) => !this.consumed.has(name) && !PROXY_ARGS.has(name))
      .sort();
  }
}

// The ARGs in effect in one stage, in declaration order.
export class StageArguments {
  readonly values = new Map<string, string>();

  constructor(private readonly build: BuildArguments) {}

  declare(instruction: ArgInstruction, environment: Environment, escape: string, fileName: string): void {
    const expanded = expandInstruction(instruction, environment, { escape, fileName });
    if (expanded.keyword !== 'ARG') return;

    for (const declaration of expanded.args) {
      const value = this.build.buildArg(declaration.name) ?? declaration.defaultValue ?? this.build.globalValue(declaration.name);
      if (value === undefined) this.values.delete(declaration.name);
      else this.values.set(declaration.name, value);
    }
  }
}

// Parses "KEY=VALUE" entries of an image config's Env into a map.
export function environmentMap(env: readonly string[] | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of env ?? []) {
    const equals = entry.indexOf('=');
    if (equals < 0) map.set(entry, '');
    else map.set(entry.slice(0, equals), entry.slice(equals + 1));
  }
  return map;
}

// Expands a flag value such as a --mount specification with the stage's environment.
export function expandFlagValue(value: string, environment: Environment, escape: string): string {
  return expandWord(value, environment, escape);
}
