// Image endpoints: list, inspect, tag, remove, load, and pull or import through POST /images/create.
import { InvalidArgumentError, NotFoundError, NotImplementedError, errorMessage } from '../../common/errors';
import { normalizeReference } from '../../image/reference';
import type { ImageRecord } from '../../image/types';
import type { ApiRequest, ApiServices, Reply } from '../context';
import { FilterArgs } from '../filters/filter-args';
import { selectImages } from '../filters/image-volume-filters';
import { queryBool, queryBoolOrDefault } from '../query';
import { readJsonBody } from '../body';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Router } from '../router';
import { versionBelow } from '../version';
import { familiarReference, imageInspectShape, imageSummaryShape } from '../shapes/image';
import { errorMessage as errorLine, statusMessage, streamMessage } from '../streams/json-messages';

// Finds an image of a listing by ID, unique ID prefix or reference, for the before/since filters.
export function findListedImage(images: ImageRecord[], reference: string): ImageRecord {
  const hex = reference.replace(/^sha256:/, '');
  if (/^[0-9a-f]{1,64}$/.test(hex)) {
    const matches = images.filter((image) => image.id.replace(/^sha256:/, '').startsWith(hex));
    if (matches.length === 1) return matches[0];
  }
  let normalized: string | null = null;
  try {
    normalized = normalizeReference(reference);
  } catch {
    normalized = null;
  }
  const found = normalized === null ? undefined : images.find((image) => image.repoTags.includes(normalized!) || image.repoDigests.includes(normalized!));
  if (!found) throw new NotFoundError(`No such image: ${reference}`);
  return found;
}

async function listImages(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  let filters = FilterArgs.parse(request.query.get('filters'));
  // Clients of API 1.24 send a glob of repository names as "filter".
  const legacyFilter = versionBelow(request.apiVersion, '1.25') ? request.query.get('filter') : null;
  if (legacyFilter && !filters.has('reference')) filters = filters.withValue('reference', legacyFilter);

  const images = await services.engine.listImages();
  // Without all=1, dockerd leaves out intermediate images: untagged images that another image was made from.
  const parents = new Set(images.map((image) => image.parent).filter((parent): parent is string => parent !== undefined));
  const isIntermediate = (image: ImageRecord) => parents.has(image.id) && image.repoTags.length === 0 && image.repoDigests.length === 0;
  const listed = queryBool(request.query, 'all') ? images : images.filter((image) => !isIntermediate(image));
  const selected = selectImages(listed, filters, (reference) => findListedImage(images, reference), Date.now());
  // NOTE: the per-image container count is reported from API 1.51 on, which Berth does not serve yet.
  reply.json(200, selected.map((image) => imageSummaryShape(image, request.apiVersion, 0)));
}

// Formats what the engine reports per loaded image the way `docker load` prints it.
export function loadedImageLine(loaded: string): string {
  if (loaded.startsWith('Loaded image')) return loaded.endsWith('\n') ? loaded : `${loaded}\n`;
  if (/^sha256:[0-9a-f]{64}$/.test(loaded)) return `Loaded image ID: ${loaded}\n`;
  return `Loaded image: ${familiarReference(loaded)}\n`;
}

// Streams one {"stream": "Loaded image: ..."} line per image. Errors go in-band, as dockerd sends them.
async function loadImages(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  // dockerd's default is quiet. Without it dockerd adds progress bars, which Berth does not draw.
  queryBoolOrDefault(request.query, 'quiet', true);
  const body = reply.startStream(200, 'application/json');
  try {
    await services.engine.loadImages(request.body, (loaded) => body.write(streamMessage(loadedImageLine(loaded))));
  } catch (error) {
    services.logger.info({ error: errorMessage(error) }, 'image load failed');
    body.write(errorLine(errorMessage(error)));
  }
  body.end();
}

// Combines fromImage and tag the way dockerd does: the tag may also be a digest.
export function pullReference(image: string, tag: string): string {
  const name = image.replace(/:$/, '');
  if (tag === '') return name;
  return tag.startsWith('sha256:') ? `${name}@${tag}` : `${name}:${tag}`;
}

// Runs a pull or push and streams its progress objects as JSON lines. The 200
// status goes out with the first message, so an error before any output gets
// its own HTTP status and later errors go in-band, as with dockerd's output writer.
async function streamProgress(reply: Reply, services: ApiServices, what: { action: string; image: string }, run: (emit: (message: object) => void) => Promise<void>): Promise<void> {
  const output: { body: ReturnType<Reply['startStream']> | null } = { body: null };
  const emit = (message: object) => {
    output.body ??= reply.startStream(200, 'application/json');
    output.body.write(`${JSON.stringify(message)}\r\n`);
  };
  try {
    await run(emit);
  } catch (error) {
    services.logger.info({ image: what.image, error: errorMessage(error) }, `image ${what.action} failed`);
    if (output.body === null) throw error;
    output.body.write(errorLine(errorMessage(error)));
  }
  output.body ??= reply.startStream(200, 'application/json');
  output.body.end();
}

async function pullImage(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const reference = pullReference(request.query.get('fromImage') ?? '', request.query.get('tag') ?? '');
  const registryAuth = typeof request.headers['x-registry-auth'] === 'string' ? request.headers['x-registry-auth'] : null;
  const platform = request.query.get('platform') || null;
  await streamProgress(reply, services, { action: 'pull', image: reference }, (emit) => services.engine.pullImage(reference, { registryAuth, platform }, emit));
}

// POST /images/{name}/push?tag=
async function pushImage(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const name = request.params.name;
  const tag = request.query.get('tag') || null;
  const registryAuth = typeof request.headers['x-registry-auth'] === 'string' ? request.headers['x-registry-auth'] : null;
  await streamProgress(reply, services, { action: 'push', image: name }, (emit) => services.engine.pushImage(name, { tag, registryAuth }, emit));
}

// Streams a prepared archive. A failure after the 200 can only end the response early, as with dockerd.
async function sendArchive(reply: Reply, archive: Readable): Promise<void> {
  const body = reply.startStream(200, 'application/x-tar');
  try {
    await pipeline(archive, body);
  } catch {
    body.destroy();
  }
}

// POST /auth: checks the credentials with the registry. The client stores them.
async function checkLogin(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const body = await readJsonBody(request);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidArgumentError('invalid login request: expected a JSON object');
  const fields = body as Record<string, unknown>;
  const text = (name: string) => (typeof fields[name] === 'string' ? (fields[name] as string) : '');
  await services.engine.checkRegistryLogin({
    username: text('username'),
    password: text('password'),
    serverAddress: text('serveraddress'),
    identityToken: text('identitytoken'),
  });
  reply.json(200, { Status: 'Login Succeeded', IdentityToken: '' });
}

async function createImage(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const { query } = request;
  if (query.get('fromImage')) {
    return pullImage(request, reply, services);
  }
  const source = query.get('fromSrc') ?? '';
  if (source !== '-') {
    throw new NotImplementedError(`importing from ${JSON.stringify(source)} is not supported: send the archive as the request body with fromSrc=-`);
  }
  const repository = query.get('repo') ?? '';
  const tag = query.get('tag') ?? '';
  let reference: string | null = null;
  if (repository !== '') reference = tag === '' ? repository : `${repository}:${tag}`;
  const message = query.get('message') || `Imported from ${source}`;

  const id = await services.engine.importImage(request.body, { reference, changes: query.getAll('changes'), message });
  reply.text(200, statusMessage(id), 'application/json');
}

async function tagImage(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const repository = request.query.get('repo') ?? '';
  const tag = request.query.get('tag') ?? '';
  if (repository === '') throw new InvalidArgumentError('invalid tag request: the "repo" parameter must not be empty');
  await services.engine.tagImage(request.params.name, tag === '' ? repository : `${repository}:${tag}`);
  reply.empty(201);
}

async function removeImage(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const name = request.params.name;
  if (name.trim() === '') throw new InvalidArgumentError('image name cannot be blank');
  const result = await services.engine.removeImage(name, {
    force: queryBool(request.query, 'force'),
    noPrune: queryBool(request.query, 'noprune'),
  });
  reply.json(200, [
    ...result.untagged.map((reference) => ({ Untagged: familiarReference(reference) })),
    ...result.deleted.map((id) => ({ Deleted: id })),
  ]);
}

export function registerImageRoutes(router: Router): void {
  // The container filesystem routes are registered here because commit and prune create and remove images.
  router.add('GET', '/images/json', listImages);
  router.add('POST', '/images/load', loadImages);
  router.add('POST', '/images/create', createImage);
  router.add('GET', '/images/{name*}/json', async (request, reply, services) => {
    reply.json(200, imageInspectShape(await services.engine.getImage(request.params.name), request.apiVersion));
  });
  router.add('POST', '/images/{name*}/tag', tagImage);
  router.add('POST', '/images/{name*}/push', pushImage);
  router.add('POST', '/auth', checkLogin);
  router.add('GET', '/images/get', async (request, reply, services) => {
    await sendArchive(reply, await services.engine.saveImages(request.query.getAll('names')));
  });
  router.add('GET', '/images/{name*}/get', async (request, reply, services) => {
    await sendArchive(reply, await services.engine.saveImages([request.params.name]));
  });
  router.add('GET', '/images/{name*}/history', async (request, reply, services) => {
    const history = await services.engine.imageHistory(request.params.name);
    reply.json(
      200,
      history.map((item) => ({ Id: item.id, Created: item.created, CreatedBy: item.createdBy, Tags: item.tags.map(familiarReference), Size: item.size, Comment: item.comment })),
    );
  });
  router.add('DELETE', '/images/{name*}', removeImage);
}
