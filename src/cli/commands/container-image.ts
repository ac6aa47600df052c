// Commands that turn containers into files or images, and image pruning:
// export, diff, commit and image prune.
import { ApiError } from '../client/api-client';
import { CliError, PROGRAM, type Command } from '../command';
import { humanSize } from '../format/units';
import { familiarName, InvalidReferenceError, parseReference } from '../reference';
import { checkOutputPath, checkStdoutTarget, writeArchive } from './archive-output';
import { checkFilter, encodeFilters } from './filters';
import { confirm } from './volumes';

// Adds the route to the daemon's "page not found", which otherwise reads like a missing container or image.
async function withRouteHint<T>(route: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    if (error instanceof ApiError && error.status === 404 && /^page not found$/i.test(error.daemonMessage)) {
      throw new CliError(`${error.message}: this berthd does not serve ${route}; upgrade berthd`);
    }
    throw error;
  }
}

export const exportCommand: Command = {
  name: 'export',
  usage: '[OPTIONS] CONTAINER',
  summary: "Export a container's filesystem as a tar archive",
  flags: [{ name: 'output', short: 'o', kind: 'string', description: 'Write to a file, instead of STDOUT' }],
  args: { min: 1, max: 1 },
  aliases: [`${PROGRAM} container export`, `${PROGRAM} export`],
  async run(context, flags, [container]) {
    const output = flags.string('output');
    checkStdoutTarget(output, context.streams);
    checkOutputPath(output, 'export container');
    const client = await context.client();
    const archive = await withRouteHint('GET /containers/{id}/export', () => client.stream('GET', `/containers/${encodeURIComponent(container)}/export`));
    await writeArchive(archive, output, context.streams);
    return 0;
  },
};

// Change kinds of GET /containers/{id}/changes: 0 modified, 1 added, 2 deleted.
const CHANGE_LETTERS = ['C', 'A', 'D'];

export const diffCommand: Command = {
  name: 'diff',
  usage: 'CONTAINER',
  summary: "Inspect changes to files or directories on a container's filesystem",
  flags: [],
  args: { min: 1, max: 1 },
  aliases: [`${PROGRAM} container diff`, `${PROGRAM} diff`],
  async run(context, _flags, [container]) {
    const client = await context.client();
    const changes = await withRouteHint('GET /containers/{id}/changes', () =>
      client.json<Array<{ Path: string; Kind: number }> | null>('GET', `/containers/${encodeURIComponent(container)}/changes`),
    );
    const lines = (changes ?? []).map((change) => `${CHANGE_LETTERS[change.Kind] ?? '?'} ${change.Path}\n`);
    context.streams.stdout.write(lines.join(''));
    return 0;
  },
};

export const commitCommand: Command = {
  name: 'commit',
  usage: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
  summary: "Create a new image from a container's changes",
  flags: [
    { name: 'author', short: 'a', kind: 'string', description: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
    { name: 'change', short: 'c', kind: 'list', description: 'Apply a Dockerfile instruction to the created image, such as "CMD /bin/sh" or "ENV A=1"' },
    { name: 'message', short: 'm', kind: 'string', description: 'Commit message' },
    { name: 'pause', short: 'p', kind: 'bool', description: 'Pause the container during commit', defaultValue: true },
  ],
  args: { min: 1, max: 2 },
  aliases: [`${PROGRAM} container commit`, `${PROGRAM} commit`],
  async run(context, flags, [container, target]) {
    let repo: string | undefined;
    let tag: string | undefined;
    if (target !== undefined) {
      let reference;
      try {
        reference = parseReference(target);
      } catch (error) {
        if (error instanceof InvalidReferenceError) throw new CliError(error.message);
        throw error;
      }
      if (reference.digest !== null) throw new CliError('refusing to create a tag with a digest reference');
      repo = familiarName(reference);
      tag = reference.tag ?? undefined;
    }

    const client = await context.client();
    const changes = flags.list('change');
    const commit = () => client.json<{ Id: string }>('POST', '/commit', {
      query: {
        container,
        repo,
        tag,
        comment: flags.string('message') || undefined,
        author: flags.string('author') || undefined,
        changes: changes.length > 0 ? changes : undefined,
        pause: flags.bool('pause'),
      },
    });
    const reply = await withRouteHint('POST /commit', commit);
    context.streams.stdout.write(`${reply.Id}\n`);
    return 0;
  },
};

interface ImagePruneReport {
  ImagesDeleted: Array<{ Untagged?: string; Deleted?: string }> | null;
  SpaceReclaimed: number;
}

export const imagePruneCommand: Command = {
  name: 'prune',
  usage: '[OPTIONS]',
  summary: 'Remove unused images',
  flags: [
    { name: 'all', short: 'a', kind: 'bool', description: 'Remove all unused images, not just dangling ones' },
    { name: 'filter', kind: 'list', description: 'Provide filter values (e.g. "until=<timestamp>", "label=KEY[=VALUE]")', check: checkFilter },
    { name: 'force', short: 'f', kind: 'bool', description: 'Do not prompt for confirmation' },
  ],
  args: { max: 0 },
  async run(context, flags) {
    const all = flags.bool('all');
    if (!flags.bool('force')) {
      const warning = all ? 'WARNING! This will remove all images without at least one container associated to them.' : 'WARNING! This will remove all dangling images.';
      context.streams.stdout.write(`${warning}\n`);
      if (!(await confirm(context.streams.stdin, context.streams.stdout, 'Are you sure you want to continue?'))) return 0;
    }

    const filters = [...flags.list('filter'), `dangling=${!all}`];
    const client = await context.client();
    const report = await withRouteHint('POST /images/prune', () => client.json<ImagePruneReport>('POST', '/images/prune', { query: { filters: encodeFilters(filters) } }));
    const deleted = report?.ImagesDeleted ?? [];
    if (deleted.length > 0) {
      const lines = deleted.map((entry) => (entry.Untagged ? `untagged: ${entry.Untagged}` : `deleted: ${entry.Deleted ?? ''}`));
      context.streams.stdout.write(`Deleted Images:\n${lines.join('\n')}\n\n`);
    }
    context.streams.stdout.write(`Total reclaimed space: ${humanSize(report?.SpaceReclaimed ?? 0)}\n`);
    return 0;
  },
};
