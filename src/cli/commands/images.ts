// Image commands: rmi (image rm), tag, load and import.
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { ApiError } from '../client/api-client';
import { CliError, PROGRAM, type Command } from '../command';
import { normalizedName, parseReference, withDefaultTag, InvalidReferenceError } from '../reference';
import { forEachTarget } from './container-lifecycle';
import { displayJsonMessages } from './json-messages';

export const removeImageCommand: Command = {
  name: 'rmi',
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  summary: 'Remove one or more images',
  flags: [
    { name: 'force', short: 'f', kind: 'bool', description: 'Remove the image even if containers use it or it has several tags; a missing image is reported but does not fail the command' },
    { name: 'no-prune', kind: 'bool', description: 'Do not delete untagged parents' },
  ],
  args: { min: 1 },
  aliases: [`${PROGRAM} image rm`, `${PROGRAM} image remove`, `${PROGRAM} rmi`],
  run: (context, flags, images) =>
    forEachTarget(context, images, async (client, image) => {
      let deleted: Array<{ Untagged?: string; Deleted?: string }>;
      try {
        deleted = await client.json('DELETE', `/images/${encodeURIComponent(image)}`, {
          query: { force: flags.bool('force') || undefined, noprune: flags.bool('no-prune') || undefined },
        });
      } catch (error) {
        // With -f a missing image is reported but is not a failure, as in docker 28.
        if (flags.bool('force') && error instanceof ApiError && error.status === 404) return { notice: error.message };
        throw error;
      }
      const lines = (deleted ?? []).map((entry) => (entry.Deleted ? `Deleted: ${entry.Deleted}` : `Untagged: ${entry.Untagged ?? ''}`));
      return lines.length > 0 ? lines.join('\n') : null;
    }),
};

export const tagCommand: Command = {
  name: 'tag',
  usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  summary: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  flags: [],
  args: { min: 2, max: 2 },
  aliases: [`${PROGRAM} image tag`, `${PROGRAM} tag`],
  async run(context, _flags, [source, target]) {
    let reference;
    try {
      reference = parseReference(target);
    } catch (error) {
      if (error instanceof InvalidReferenceError) throw new CliError(`Error parsing reference: "${target}" is not a valid repository/tag: ${error.message}`);
      throw error;
    }
    if (reference.digest !== null) throw new CliError('refusing to create a tag with a digest reference');
    const tagged = withDefaultTag(reference);
    const client = await context.client();
    await client.call('POST', `/images/${encodeURIComponent(source)}/tag`, { query: { repo: normalizedName(tagged), tag: tagged.tag ?? 'latest' } });
    return 0;
  },
};

function openInput(file: string): Readable {
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch (error) {
    throw new CliError(`open ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (error as Error).message}`);
  }
  return fs.createReadStream(file);
}

export const loadCommand: Command = {
  name: 'load',
  usage: '[OPTIONS]',
  summary: 'Load an image from a tar archive or STDIN',
  flags: [
    { name: 'input', short: 'i', kind: 'string', description: 'Read from a tar archive file instead of STDIN' },
    { name: 'quiet', short: 'q', kind: 'bool', description: 'Suppress the load output' },
  ],
  args: { max: 0 },
  aliases: [`${PROGRAM} image load`, `${PROGRAM} load`],
  async run(context, flags) {
    const input = flags.string('input');
    if (input === '' && context.streams.stdin.isTTY) throw new CliError('requested load from stdin, but stdin is empty');
    const archive = input === '' ? context.streams.stdin : openInput(input);
    const client = await context.client();
    const response = await client.stream('POST', '/images/load', {
      query: { quiet: flags.bool('quiet') },
      rawBody: archive,
      headers: { 'Content-Type': 'application/x-tar' },
    });
    // The daemon replies with a JSON message stream. A plain-text reply is printed as is.
    if (/json/.test(String(response.headers['content-type'] ?? ''))) {
      await displayJsonMessages(response, context.streams.stdout);
    } else {
      for await (const chunk of response) context.streams.stdout.write(chunk as Buffer);
    }
    return 0;
  },
};

export const importCommand: Command = {
  name: 'import',
  usage: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
  summary: 'Import the contents from a tarball to create a filesystem image',
  flags: [
    { name: 'change', short: 'c', kind: 'list', description: 'Apply a Dockerfile instruction to the image, such as "CMD /bin/sh" or "ENV A=1"' },
    { name: 'message', short: 'm', kind: 'string', description: 'Commit message for the imported image' },
    { name: 'platform', kind: 'string', description: 'Platform of the image, such as linux/amd64' },
  ],
  args: { min: 1, max: 2 },
  aliases: [`${PROGRAM} image import`, `${PROGRAM} import`],
  async run(context, flags, [source, repository]) {
    let query: Record<string, string | string[] | undefined> = { message: flags.string('message') || undefined, platform: flags.string('platform') || undefined };
    if (repository !== undefined) {
      let reference;
      try {
        reference = parseReference(repository);
      } catch (error) {
        throw new CliError(`invalid reference format: ${(error as Error).message}`);
      }
      query = { ...query, repo: normalizedName(reference), tag: reference.tag ?? undefined };
    }

    let rawBody: Readable | undefined;
    if (source === '-') {
      rawBody = context.streams.stdin;
      query.fromSrc = '-';
    } else if (/^https?:\/\//.test(source)) {
      query.fromSrc = source;
    } else {
      rawBody = openInput(source);
      query.fromSrc = '-';
    }

    const changes = flags.list('change');
    if (changes.length > 0) query.changes = changes;
    const client = await context.client();
    const response = await client.stream('POST', '/images/create', { query, rawBody, headers: { 'Content-Type': 'application/x-tar' } });
    await displayJsonMessages(response, context.streams.stdout);
    return 0;
  },
};
