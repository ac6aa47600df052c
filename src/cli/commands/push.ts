// berth push: uploads an image to its registry with the credentials stored for it.
import { CliError, PROGRAM, type Command } from '../command';
import { familiarName, normalizedName } from '../reference';
import { registryAuthFor } from './auth-config';
import { displayProgressStream } from './progress-display';
import { parseImageArgument, progressOutput } from './pull';

export const pushCommand: Command = {
  name: 'push',
  usage: '[OPTIONS] NAME[:TAG]',
  summary: 'Upload an image to a registry',
  flags: [
    { name: 'all-tags', short: 'a', kind: 'bool', description: 'Push all tags of the repository' },
    { name: 'disable-content-trust', kind: 'bool', description: 'Skip image signing (berth does not sign images)', defaultValue: true },
    { name: 'platform', kind: 'string', description: 'Push only this platform of a multi-platform image (not supported by berth)' },
    { name: 'quiet', short: 'q', kind: 'bool', description: 'Suppress verbose output' },
  ],
  args: { min: 1, max: 1 },
  aliases: [`${PROGRAM} image push`, `${PROGRAM} push`],
  async run(context, flags, [name]) {
    const reference = parseImageArgument(name);
    if (reference.digest !== null) throw new CliError('cannot push a digest reference');
    const allTags = flags.bool('all-tags');
    if (allTags && reference.tag !== null) throw new CliError("tag can't be used with --all-tags/-a");
    if (flags.string('platform') !== '') throw new CliError('push --platform is not supported by berth: berth stores one platform per image');

    const quiet = flags.bool('quiet');
    let tag: string | null = reference.tag;
    if (tag === null && !allTags) {
      tag = 'latest';
      if (!quiet) context.streams.stdout.write(`Using default tag: ${tag}\n`);
    }

    const client = await context.client();
    const response = await client.stream('POST', `/images/${encodeURIComponent(familiarName(reference))}/push`, {
      query: { tag: tag ?? undefined },
      headers: { 'X-Registry-Auth': registryAuthFor(context.environment, reference) },
    });
    await displayProgressStream(response, quiet ? null : progressOutput(context.streams.stdout));
    if (quiet) context.streams.stdout.write(`${normalizedName(reference)}${tag !== null ? `:${tag}` : ''}\n`);
    return 0;
  },
};
