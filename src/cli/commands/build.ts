// berth build: packs the context (a directory, or a tar or Dockerfile on
// stdin), sends it to POST /build with docker's query parameters, and shows
// the progress. A failed build prints the daemon's message and exits with 1.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { CliError, PROGRAM, type Command, type CommandContext } from '../command';
import type { FlagValues } from '../flags';
import { humanSize } from '../format/units';
import { InvalidReferenceError, parseReference } from '../reference';
import { dockerfileInContext, generatedDockerfileName, packContext, packDockerfileOnly, type PackedContext } from './build-context';
import { configFile, readCredentials } from './auth-config';
import { displayBuildStream, liveDisplay, plainDisplay, type BuildDisplay } from './build-progress';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}

// Whether stdin contains a context archive (a tar, possibly compressed) rather than a Dockerfile.
function isArchive(head: Buffer): boolean {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return true;
  if (head.length >= 3 && head.subarray(0, 3).toString('latin1') === 'BZh') return true;
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return true;
  return head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar';
}

// Passes a stream through, calling onEnd with the number of bytes once it ends.
function countBytes(source: Readable, onEnd: (total: number) => void): Readable {
  let total = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      total += chunk.length;
      callback(null, chunk);
    },
    flush(callback) {
      onEnd(total);
      callback();
    },
  });
  source.on('error', (error) => counter.destroy(error));
  return source.pipe(counter);
}

// Parses --build-arg values: KEY=VALUE, or KEY taking its value from the environment (null when unset there).
export function parseBuildArgs(values: string[], environment: NodeJS.ProcessEnv): Record<string, string | null> {
  const buildArgs: Record<string, string | null> = {};
  for (const value of values) {
    const separator = value.indexOf('=');
    if (separator === 0) throw new CliError(`invalid argument "${value}" for "--build-arg" flag: the variable name is empty`);
    if (separator > 0) buildArgs[value.slice(0, separator)] = value.slice(separator + 1);
    else buildArgs[value] = environment[value] ?? null;
  }
  return buildArgs;
}

// Parses --label values: KEY=VALUE, or KEY for an empty value.
export function parseLabels(values: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const value of values) {
    const separator = value.indexOf('=');
    if (separator < 0) labels[value] = '';
    else labels[value.slice(0, separator)] = value.slice(separator + 1);
  }
  return labels;
}

function checkTags(tags: string[]): void {
  for (const tag of tags) {
    try {
      parseReference(tag);
    } catch (error) {
      if (error instanceof InvalidReferenceError) throw new CliError(`invalid argument "${tag}" for "-t, --tag" flag: ${error.message}`);
      throw error;
    }
  }
}

// Packs the context the arguments name, with the Dockerfile from -f (a path or "-" for stdin).
async function prepareContext(context: CommandContext, contextArgument: string, dockerfileFlag: string): Promise<PackedContext> {
  const stdin = context.streams.stdin;
  if (contextArgument === '-') {
    if (dockerfileFlag === '-') throw new CliError('invalid argument: can\'t use stdin for both build context and dockerfile');
    const input = await readAll(stdin);
    if (isArchive(input.subarray(0, 512))) {
      return { archive: Readable.from([input]), dockerfile: dockerfileFlag || 'Dockerfile' };
    }
    return packDockerfileOnly(input);
  }

  if (dockerfileFlag === '-') {
    const content = await readAll(stdin);
    return packContext(contextArgument, null, { name: generatedDockerfileName(), content });
  }

  const dockerfilePath = dockerfileFlag === '' ? path.join(contextArgument, 'Dockerfile') : dockerfileFlag;
  const inside = dockerfileInContext(contextArgument, dockerfilePath);
  const exists = await fsp.stat(dockerfilePath).then((stat) => stat.isFile(), () => false);
  if (!exists) {
    // docker also accepts a lower-case "dockerfile" when no -f is given.
    const lower = path.join(contextArgument, 'dockerfile');
    if (dockerfileFlag === '' && (await fsp.stat(lower).then((stat) => stat.isFile(), () => false))) return packContext(contextArgument, 'dockerfile', null);
    throw new CliError(`unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${path.resolve(dockerfilePath)}: no such file or directory`);
  }
  if (inside !== null) return packContext(contextArgument, inside, null);
  return packContext(contextArgument, null, { name: generatedDockerfileName(), content: await fsp.readFile(dockerfilePath) });
}

// Encodes the X-Registry-Config header: every stored login keyed by its
// server, so the daemon can pull private base images. It is base64url of
// JSON, as the docker CLI sends it.
export function registryConfigHeader(environment: NodeJS.ProcessEnv): string {
  let servers: string[] = [];
  try {
    const config = JSON.parse(fs.readFileSync(configFile(environment), 'utf8')) as { auths?: Record<string, unknown> };
    servers = Object.keys(config.auths ?? {});
  } catch {
    // Without a readable config there are no stored logins, and the build may still use public images.
  }

  const configs: Record<string, object> = {};
  for (const server of servers) {
    const credentials = readCredentials(environment, server);
    if (credentials === null) continue;
    configs[server] =
      credentials.identityToken !== ''
        ? { identitytoken: credentials.identityToken, serveraddress: server }
        : { username: credentials.username, password: credentials.password, serveraddress: server };
  }
  return Buffer.from(JSON.stringify(configs)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

function chooseDisplay(context: CommandContext, flags: FlagValues): BuildDisplay | null {
  if (flags.bool('quiet')) return null;
  const progress = flags.string('progress');
  if (!['auto', 'plain', 'tty'].includes(progress)) throw new CliError(`invalid argument "${progress}" for "--progress" flag: use auto, plain or tty`);
  const stdout = context.streams.stdout;
  const terminal = progress === 'tty' || (progress === 'auto' && stdout.isTTY === true);
  return terminal ? liveDisplay(stdout) : plainDisplay(stdout);
}

export const buildCommand: Command = {
  name: 'build',
  usage: '[OPTIONS] PATH | -',
  summary: 'Build an image from a Dockerfile',
  flags: [
    { name: 'build-arg', kind: 'list', description: 'Set a build-time variable (KEY=VALUE, or KEY to pass its value from the environment)' },
    { name: 'file', short: 'f', kind: 'string', description: 'Name of the Dockerfile (default: "PATH/Dockerfile"); "-" reads it from stdin' },
    { name: 'force-rm', kind: 'bool', description: 'Always remove intermediate containers (berth always does)' },
    { name: 'iidfile', kind: 'string', description: 'Write the image ID to the file' },
    { name: 'label', kind: 'list', description: 'Set metadata for an image' },
    { name: 'network', kind: 'string', description: 'Networking mode for the RUN instructions: default, none or host', defaultValue: 'default' },
    { name: 'no-cache', kind: 'bool', description: 'Do not use cache when building the image' },
    { name: 'platform', kind: 'string', description: 'Set the target platform for the build, such as linux/amd64' },
    { name: 'progress', kind: 'string', description: 'Set type of progress output: auto (a live view on a terminal, else plain), plain or tty (always the live view)', defaultValue: 'auto' },
    { name: 'pull', kind: 'bool', description: 'Always attempt to pull a newer version of the base images' },
    { name: 'quiet', short: 'q', kind: 'bool', description: 'Suppress the build output and print image ID on success' },
    { name: 'rm', kind: 'bool', description: 'Remove intermediate containers after a successful build (berth always does)', defaultValue: true },
    { name: 'tag', short: 't', kind: 'list', description: 'Name and optionally a tag in the "name:tag" format' },
    { name: 'target', kind: 'string', description: 'Set the target build stage to build' },
  ],
  args: { min: 1, max: 1 },
  aliases: [`${PROGRAM} image build`, `${PROGRAM} build`],
  async run(context, flags, [contextArgument]) {
    if (/^(https?|git):\/\//.test(contextArgument) || contextArgument.startsWith('git@')) {
      throw new CliError(`unable to prepare context: remote build contexts are not supported by berth: ${contextArgument}`);
    }
    const tags = flags.list('tag');
    checkTags(tags);
    const display = chooseDisplay(context, flags);
    const packed = await prepareContext(context, contextArgument, flags.string('file'));

    // The classic docker CLI reports the context size, right-aligned in 8 columns, once the upload ends, except with -q.
    const counted = countBytes(packed.archive, (total) => {
      if (display !== null) display.write(`Sending build context to Docker daemon ${humanSize(total).padStart(8)}\n`);
    });

    const client = await context.client();
    const response = await client.stream('POST', '/build', {
      query: {
        dockerfile: packed.dockerfile,
        t: tags,
        target: flags.string('target') || undefined,
        buildargs: JSON.stringify(parseBuildArgs(flags.list('build-arg'), context.environment)),
        labels: JSON.stringify(parseLabels(flags.list('label'))),
        nocache: flags.bool('no-cache') || undefined,
        pull: flags.bool('pull') || undefined,
        q: flags.bool('quiet') || undefined,
        platform: flags.string('platform') || undefined,
        networkmode: flags.string('network'),
        rm: flags.bool('rm'),
        forcerm: flags.bool('force-rm') || undefined,
        version: '1',
      },
      rawBody: counted,
      headers: { 'Content-Type': 'application/x-tar', 'X-Registry-Config': registryConfigHeader(context.environment) },
    });
    const imageId = await displayBuildStream(response, display);

    if (imageId === null) throw new CliError('build finished without reporting an image ID');
    if (flags.bool('quiet')) context.streams.stdout.write(`${imageId}\n`);
    const iidfile = flags.string('iidfile');
    if (iidfile !== '') fs.writeFileSync(iidfile, imageId);
    return 0;
  },
};
