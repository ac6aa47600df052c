// Helpers for the builder's end-to-end tests: writing a context directory,
// sending it to POST /build as a tar, and reading the JSON message stream.
import { spawn } from 'node:child_process';
import fsp from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { berth } from '../helpers/cli';
import type { TestDaemon } from '../helpers/daemon';

export type ContextEntry = string | { content: string | Buffer; mode?: number } | { symlink: string } | { directory: true };

// Writes files into a new temporary directory, which the caller removes.
export async function writeContext(entries: Record<string, ContextEntry>): Promise<string> {
  const directory = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-build-context-'));
  await updateContext(directory, entries);
  return directory;
}

// Context directories of one test file, removed together in its after hook.
export class ContextDirectories {
  private readonly directories: string[] = [];

  // Writes a Dockerfile and other entries into a new context directory.
  async create(dockerfile: string, files: Record<string, ContextEntry> = {}): Promise<string> {
    const directory = await writeContext({ Dockerfile: dockerfile, ...files });
    this.directories.push(directory);
    return directory;
  }

  track(directory: string): string {
    this.directories.push(directory);
    return directory;
  }

  async removeAll(): Promise<void> {
    for (const directory of this.directories.splice(0)) await fsp.rm(directory, { recursive: true, force: true });
  }
}

export async function updateContext(directory: string, entries: Record<string, ContextEntry>): Promise<void> {
  for (const [name, entry] of Object.entries(entries)) {
    const target = path.join(directory, name);
    await fsp.mkdir(path.dirname(target), { recursive: true });
    await fsp.rm(target, { force: true, recursive: true });

    if (typeof entry === 'string') await fsp.writeFile(target, entry);
    else if ('symlink' in entry) await fsp.symlink(entry.symlink, target);
    else if ('directory' in entry) await fsp.mkdir(target, { recursive: true });
    else await fsp.writeFile(target, entry.content, { mode: entry.mode ?? 0o644 });
  }
}

function tarDirectory(directory: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', ['-C', directory, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`tar ${directory} exited with ${code}: ${stderr}`))));
  });
}

export interface BuildOutcome {
  status: number;
  messages: Array<Record<string, unknown>>;
  // The "stream" texts joined, as the docker CLI prints them.
  output: string;
  error: string | null;
  errorCode: number | null;
  imageId: string | null;
}

export interface BuildOptions {
  tags?: string[];
  target?: string;
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  noCache?: boolean;
  dockerfile?: string;
  quiet?: boolean;
}

// Sends the context to POST /build as the docker CLI's classic builder does.
export async function postBuild(daemon: TestDaemon, contextDirectory: string, options: BuildOptions = {}): Promise<BuildOutcome> {
  const query = new URLSearchParams();
  for (const tag of options.tags ?? []) query.append('t', tag);
  if (options.target) query.set('target', options.target);
  if (options.buildArgs) query.set('buildargs', JSON.stringify(options.buildArgs));
  if (options.labels) query.set('labels', JSON.stringify(options.labels));
  if (options.noCache) query.set('nocache', '1');
  if (options.dockerfile) query.set('dockerfile', options.dockerfile);
  if (options.quiet) query.set('q', '1');

  const body = await tarDirectory(contextDirectory);
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const request = http.request(
      { socketPath: daemon.socketPath, method: 'POST', path: `/v1.41/build?${query.toString()}`, headers: { 'Content-Type': 'application/x-tar', 'Content-Length': body.length } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });

  const messages: Array<Record<string, unknown>> = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    try {
      messages.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      messages.push({ raw: line });
    }
  }

  let error: string | null = null;
  let errorCode: number | null = null;
  let imageId: string | null = null;
  for (const message of messages) {
    if (typeof message.error === 'string') error = message.error;
    const detail = message.errorDetail as { code?: number } | undefined;
    if (detail && typeof detail.code === 'number') errorCode = detail.code;
    const aux = message.aux as { ID?: string } | undefined;
    if (aux?.ID) imageId = aux.ID;
  }
  // An error found before the stream starts comes as an ordinary API error: {"message": ...} with an HTTP error status.
  if (status !== 200 && error === null) {
    const first = messages[0];
    error = first && typeof first.message === 'string' ? first.message : text;
  }

  const output = messages.map((message) => (typeof message.stream === 'string' ? message.stream : '')).join('');
  return { status, messages, output, error, errorCode, imageId };
}

// Builds and fails the test with the whole output when the build fails.
export async function buildOk(daemon: TestDaemon, contextDirectory: string, options: BuildOptions = {}): Promise<BuildOutcome> {
  const outcome = await postBuild(daemon, contextDirectory, options);
  if (outcome.error !== null || outcome.imageId === null) {
    throw new Error(`build of ${contextDirectory} failed: HTTP ${outcome.status}, ${outcome.error}\n${outcome.output}`);
  }
  return outcome;
}

// Runs a command in a new container of image and returns its standard output.
export async function runInImage(daemon: TestDaemon, image: string, command: string[]): Promise<string> {
  const result = await berth(daemon, ['run', '--rm', image, ...command]);
  if (result.exitCode !== 0) throw new Error(`berth run ${image} ${command.join(' ')} exited with ${result.exitCode}: ${result.stderr}`);
  return result.stdout;
}

// Returns a cache mount's directory under the daemon's root, found by its id's directory name.
export async function findCacheMount(daemon: TestDaemon, hashedId: string): Promise<string | null> {
  const pending = [daemon.root];
  while (pending.length > 0) {
    const directory = pending.pop() as string;
    const entries = await fsp.readdir(directory, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const full = path.join(directory, entry.name);
      if (entry.name === hashedId && path.basename(directory) === 'cache-mounts') return full;
      if (!['overlay', 'layers', 'containers', 'diff', 'merged'].includes(entry.name)) pending.push(full);
    }
  }
  return null;
}
