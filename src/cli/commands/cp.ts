// berth cp: copy files between a container and the host, or stream a tar
// through "-", with the path rules and messages of docker cp.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ApiError, type ApiClient } from '../client/api-client';
import { CliError, PROGRAM, type Command, type CommandContext } from '../command';
import { humanSize } from '../format/units';
import { renameTarEntries } from './cp-rename';
import { assertsDirectory, byteCounter, extractToHost, hostPathTar, lastElement, rebaseEntries } from './cp-archive';

// Go's os.FileMode bits that docker cp checks in the stat header.
const GO_MODE_DIR = 2 ** 31;
const GO_MODE_SYMLINK = 2 ** 27;

export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

// Splits "container:path". A path that is absolute or starts with "." is always local, as in docker.
export function splitCopyArgument(argument: string): { container: string; path: string } {
  if (argument.startsWith('/')) return { container: '', path: argument };
  const colon = argument.indexOf(':');
  if (colon === -1 || argument.startsWith('.')) return { container: '', path: argument };
  return { container: argument.slice(0, colon), path: argument.slice(colon + 1) };
}

// Returns docker's closing line for a copy of `bytes` bytes of tar stream.
export function copiedMessage(bytes: number, destination: string): string {
  return `Successfully copied ${humanSize(bytes)} to ${destination}\n`;
}

function isDirectoryMode(mode: number): boolean {
  return Math.floor(mode / GO_MODE_DIR) % 2 === 1;
}

function isSymlinkMode(mode: number): boolean {
  return Math.floor(mode / GO_MODE_SYMLINK) % 2 === 1;
}

async function statInContainer(client: ApiClient, container: string, containerPath: string): Promise<PathStat> {
  const response = await client.stream('HEAD', `/containers/${encodeURIComponent(container)}/archive`, { query: { path: containerPath } });
  response.resume();
  const header = response.headers['x-docker-container-path-stat'];
  if (typeof header !== 'string') throw new CliError(`stat ${container}:${containerPath}: the daemon sent no X-Docker-Container-Path-Stat header`);
  return JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as PathStat;
}

async function copyFromContainer(context: CommandContext, client: ApiClient, container: string, source: string, destination: string, options: { followLink: boolean; showProgress: boolean }): Promise<void> {
  let sourcePath = source;
  let rebaseName = '';
  if (options.followLink) {
    const stat = await statInContainer(client, container, source);
    if (isSymlinkMode(stat.mode)) {
      // The link target replaces the path, and its entries take the link's name.
      rebaseName = lastElement(source);
      sourcePath = stat.linkTarget;
    }
  }

  const response = await client.stream('GET', `/containers/${encodeURIComponent(container)}/archive`, { query: { path: sourcePath } });
  if (destination === '-') {
    await pipeline(response, context.streams.stdout);
    return;
  }

  const header = response.headers['x-docker-container-path-stat'];
  const stat = typeof header === 'string' ? (JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as PathStat) : null;
  const sourceIsDirectory = stat !== null && isDirectoryMode(stat.mode);
  let sourceBase = lastElement(sourcePath);
  const rebaseFirst = rebaseName !== '' ? rebaseEntries(sourceBase, rebaseName) : (name: string) => name;
  if (rebaseName !== '') sourceBase = rebaseName;

  const existing = await fsp.stat(destination).catch(() => null);
  let directory: string;
  let rename: (name: string) => string;
  if (existing?.isDirectory()) {
    directory = destination;
    rename = rebaseFirst;
  } else if (existing) {
    if (sourceIsDirectory) throw new CliError(`cannot copy directory ${container}:${source} to file ${destination}`);
    directory = path.dirname(destination);
    const second = rebaseEntries(sourceBase, lastElement(destination));
    rename = (name) => second(rebaseFirst(name));
  } else {
    if (assertsDirectory(destination)) throw new CliError(`destination directory ${destination} does not exist`);
    directory = path.dirname(destination);
    if (!fs.existsSync(directory)) throw new CliError(`destination directory ${directory} does not exist`);
    const second = rebaseEntries(sourceBase, lastElement(destination));
    rename = (name) => second(rebaseFirst(name));
  }

  const counter = byteCounter();
  response.pipe(counter);
  await extractToHost(counter, directory, rename);
  if (options.showProgress) context.streams.stderr.write(copiedMessage(counter.bytes, destination));
}

async function copyToContainer(context: CommandContext, client: ApiClient, container: string, source: string, destination: string, options: { followLink: boolean; archiveMode: boolean; showProgress: boolean }): Promise<void> {
  const route = `/containers/${encodeURIComponent(container)}/archive`;
  const query = { path: destination, copyUIDGID: options.archiveMode || undefined, noOverwriteDirNonDir: true };
  if (source === '-') {
    await client.call('PUT', route, { query, rawBody: context.streams.stdin, headers: { 'Content-Type': 'application/x-tar' } });
    return;
  }

  // The destination decides where the tar is extracted and whether entries are renamed.
  let destinationPath = destination;
  let destinationStat: PathStat | null = null;
  try {
    destinationStat = await statInContainer(client, container, destination);
    if (isSymlinkMode(destinationStat.mode)) {
      destinationPath = destinationStat.linkTarget.startsWith('/') ? destinationStat.linkTarget : path.posix.join(path.posix.dirname(destination), destinationStat.linkTarget);
      destinationStat = await statInContainer(client, container, destinationPath);
    }
  } catch (error) {
    // A missing destination is fine when its parent exists. The extraction reports any other problem.
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
    destinationStat = null;
  }

  const sourceStat = await (options.followLink ? fsp.stat(source) : fsp.lstat(source)).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new CliError(`lstat ${path.resolve(source)}: no such file or directory`);
    throw error;
  });
  const resolvedSource = options.followLink ? await fsp.realpath(source) : source;
  const sourceBase = lastElement(source);
  // "dir/." archives the directory's content: the entries are named "." and "./child".
  const archiveBase = sourceBase;
  let archive = hostPathTar(resolvedSource, archiveBase, options.archiveMode);

  let extractDirectory: string;
  if (destinationStat && isDirectoryMode(destinationStat.mode)) {
    extractDirectory = destinationPath;
  } else if (destinationStat) {
    if (sourceStat.isDirectory()) throw new CliError(`cannot copy directory ${source} to file ${container}:${destination}`);
    extractDirectory = path.posix.dirname(destinationPath);
    archive = renameArchive(archive, archiveBase, lastElement(destinationPath));
  } else {
    if (assertsDirectory(destination)) throw new CliError(`destination directory ${container}:${destination} does not exist`);
    extractDirectory = path.posix.dirname(destinationPath);
    archive = renameArchive(archive, archiveBase, lastElement(destinationPath));
  }

  const counter = byteCounter();
  archive.pipe(counter);
  await client.call('PUT', route, { query: { ...query, path: extractDirectory }, rawBody: counter, headers: { 'Content-Type': 'application/x-tar' } });
  if (options.showProgress) context.streams.stderr.write(copiedMessage(counter.bytes, `${container}:${destination}`));
}

function renameArchive(archive: NodeJS.ReadableStream, oldBase: string, newBase: string) {
  return renameTarEntries(archive, rebaseEntries(oldBase, newBase));
}

export const cpCommand: Command = {
  name: 'cp',
  usage: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
  summary: 'Copy files/folders between a container and the local filesystem',
  flags: [
    { name: 'archive', short: 'a', kind: 'bool', description: 'Archive mode (copy all uid/gid information)' },
    { name: 'follow-link', short: 'L', kind: 'bool', description: 'Always follow symbol link in SRC_PATH' },
    { name: 'quiet', short: 'q', kind: 'bool', description: 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached' },
  ],
  args: { min: 2, max: 2 },
  aliases: [`${PROGRAM} container cp`, `${PROGRAM} cp`],
  async run(context, flags, args) {
    const source = splitCopyArgument(args[0]);
    const destination = splitCopyArgument(args[1]);
    if (source.container !== '' && destination.container !== '') throw new CliError('copying between containers is not supported');
    if (source.container === '' && destination.container === '') throw new CliError('must specify at least one container source');
    // docker prints the closing line only to a terminal.
    const showProgress = !flags.bool('quiet') && context.streams.stdout.isTTY === true;

    const client = await context.client();
    if (source.container !== '') {
      if (source.path === '') throw new CliError('filepath cannot be empty');
      await copyFromContainer(context, client, source.container, source.path, destination.path, { followLink: flags.bool('follow-link'), showProgress });
    } else {
      if (destination.path === '') throw new CliError('filepath cannot be empty');
      await copyToContainer(context, client, destination.container, source.path, destination.path, { followLink: flags.bool('follow-link'), archiveMode: flags.bool('archive'), showProgress });
    }
    return 0;
  },
};
