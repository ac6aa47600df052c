// berth pull, and the pull that run and create start for a missing image.
import type { Writable } from 'node:stream';
import type { ApiClient } from '../client/api-client';
import { CliError, PROGRAM, type Command } from '../command';
import { InvalidReferenceError, normalizedName, parseReference, withDefaultTag, type ImageReference } from '../reference';
import { registryAuthFor } from './auth-config';
import { displayProgressStream, type ProgressOutput } from './progress-display';

// Parses an image argument as docker does, failing with "invalid reference format".
export function parseImageArgument(text: string): ImageReference {
  try {
    return parseReference(text);
  } catch (error) {
    if (error instanceof InvalidReferenceError) throw new CliError(error.message);
    throw error;
  }
}

// Wraps a stream as a progress output: a terminal gets redrawn progress bars.
export function progressOutput(stream: Writable & { isTTY?: boolean; columns?: number }): ProgressOutput {
  return { stream, isTerminal: stream.isTTY === true };
}

// Pulls an image with the credentials stored for its registry and displays the progress (output null displays nothing).
export async function pullWithProgress(client: ApiClient, environment: NodeJS.ProcessEnv, reference: ImageReference, platform: string, output: ProgressOutput | null): Promise<void> {
  const tagged = withDefaultTag(reference);
  const response = await client.stream('POST', '/images/create', {
    query: { fromImage: normalizedName(tagged), tag: tagged.digest ?? tagged.tag ?? 'latest', platform: platform || undefined },
    headers: { 'X-Registry-Auth': registryAuthFor(environment, tagged) },
  });
  await displayProgressStream(response, output);
}

// The full reference docker prints after a pull: "docker.io/library/busybox:latest".
function fullReference(reference: ImageReference): string {
  const suffix = reference.digest !== null ? `@${reference.digest}` : `:${reference.tag ?? 'latest'}`;
  return `${normalizedName(reference)}${suffix}`;
}

export const pullCommand: Command = {
  name: 'pull',
  usage: '[OPTIONS] NAME[:TAG|@DIGEST]',
  summary: 'Download an image from a registry',
  flags: [
    { name: 'all-tags', short: 'a', kind: 'bool', description: 'Download all tagged images in the repository (not supported by berth)' },
    { name: 'disable-content-trust', kind: 'bool', description: 'Skip image verification (berth does not verify signatures)', defaultValue: true },
    { name: 'platform', kind: 'string', description: 'Pull this platform when the image has several, such as linux/arm64' },
    { name: 'quiet', short: 'q', kind: 'bool', description: 'Suppress verbose output' },
  ],
  args: { min: 1, max: 1 },
  aliases: [`${PROGRAM} image pull`, `${PROGRAM} pull`],
  async run(context, flags, [name]) {
    if (flags.bool('all-tags')) throw new CliError('pull --all-tags is not supported by berth: pull each tag by name');
    const reference = parseImageArgument(name);

    const quiet = flags.bool('quiet');
    const tagged = withDefaultTag(reference);
    if (reference.tag === null && reference.digest === null && !quiet) context.streams.stdout.write(`Using default tag: ${tagged.tag}\n`);

    const platform = flags.string('platform') || context.environment.DOCKER_DEFAULT_PLATFORM || '';
    const client = await context.client();
    await pullWithProgress(client, context.environment, tagged, platform, quiet ? null : progressOutput(context.streams.stdout));
    context.streams.stdout.write(`${fullReference(tagged)}\n`);
    return 0;
  },
};
