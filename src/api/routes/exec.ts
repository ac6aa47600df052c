// Exec endpoints: create, start (a hijacked connection unless detached),
// resize and inspect.
import path from 'node:path';
import { InvalidArgumentError, errorMessage } from '../../common/errors';
import type { ExecSpec } from '../../engine/engine';
import { readJsonBody } from '../body';
import type { ApiRequest, ApiServices, Reply } from '../context';
import { FieldReader } from '../decode/fields';
import { decodeConsoleSize } from '../decode/host-config';
import { queryUint32 } from '../query';
import type { Router } from '../router';
import { execInspectShape } from '../shapes/volume-exec';
import { encodeFrame, STREAM_STDOUT } from '../streams/mux';
import { pumpSession } from '../streams/session-pump';
import { parseDetachKeys } from '../streams/detach-keys';
import { versionBelow } from '../version';
import { detachKeysFor, streamContentType } from './container-streams';

function logUnknownFields(services: ApiServices, requestName: string, fields: string[]): void {
  if (fields.length > 0) services.logger.debug({ fields }, `${requestName}: ignoring unknown fields`);
}

// Decodes an ExecConfig body with dockerd's checks ("No exec command specified").
export function decodeExecCreate(body: unknown, apiVersion: string, unknownFields: string[]): ExecSpec {
  const reader = FieldReader.of(body, '', unknownFields) ?? new FieldReader({}, '', unknownFields);
  const cmd = reader.stringOrStringArray('Cmd') ?? [];
  if (cmd.length === 0) throw new InvalidArgumentError('No exec command specified');

  const detachKeys = reader.string('DetachKeys') || null;
  if (detachKeys !== null) {
    try {
      parseDetachKeys(detachKeys);
    } catch {
      throw new InvalidArgumentError(`Invalid escape keys (${detachKeys}) provided`);
    }
  }
  const env = reader.stringArray('Env') ?? [];
  for (const entry of env) {
    if (entry === '' || entry.startsWith('=')) throw new InvalidArgumentError(`invalid environment variable: ${entry}`);
  }
  const workingDir = reader.string('WorkingDir') ?? '';
  if (workingDir !== '' && !path.posix.isAbsolute(workingDir)) {
    throw new InvalidArgumentError(`the working directory '${workingDir}' is invalid, it needs to be an absolute path`);
  }
  const consoleSizeValue = reader.raw('ConsoleSize');
  const spec: ExecSpec = {
    cmd,
    env,
    workingDir,
    user: reader.string('User') ?? '',
    privileged: reader.boolean('Privileged') ?? false,
    tty: reader.boolean('Tty') ?? false,
    attachStdin: reader.boolean('AttachStdin') ?? false,
    attachStdout: reader.boolean('AttachStdout') ?? false,
    attachStderr: reader.boolean('AttachStderr') ?? false,
    detachKeys,
    // dockerd ignores ConsoleSize before API 1.42.
    consoleSize: versionBelow(apiVersion, '1.42') ? null : decodeConsoleSize(consoleSizeValue, reader),
  };
  // Clients of old API versions still send Detach and Container.
  reader.remaining(['Detach', 'Container']);
  return spec;
}

async function createExec(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const unknownFields: string[] = [];
  const spec = decodeExecCreate(await readJsonBody(request), request.apiVersion, unknownFields);
  logUnknownFields(services, 'exec create request', unknownFields);
  const id = await services.engine.createExec(request.params.id, spec);
  reply.json(201, { Id: id });
}

async function startExec(request: ApiRequest, reply: Reply, services: ApiServices): Promise<void> {
  const unknownFields: string[] = [];
  const reader = FieldReader.of(await readJsonBody(request), '', unknownFields) ?? new FieldReader({}, '', unknownFields);
  const detach = reader.boolean('Detach') ?? false;
  reader.boolean('Tty');
  const consoleSizeValue = reader.raw('ConsoleSize');
  reader.remaining([]);
  logUnknownFields(services, 'exec start request', unknownFields);

  const exec = await services.engine.inspectExec(request.params.id);
  const tty = exec.spec.tty;
  // dockerd applies a console size only with a TTY and from API 1.42 on.
  const consoleSize = tty && !versionBelow(request.apiVersion, '1.42') ? decodeConsoleSize(consoleSizeValue, reader) : null;

  if (detach) {
    await services.engine.startExec(exec.id, { detach, consoleSize });
    reply.empty(200);
    return;
  }

  // As dockerd does, an attached exec upgrades the connection before the process starts, and a
  // failure to start is written to the stream: the client then reads the exit code (126 or 127)
  // from the exec's inspect.
  const connection = reply.hijack(streamContentType(!tty, request.apiVersion));
  let session;
  try {
    session = await services.engine.startExec(exec.id, { detach, consoleSize });
  } catch (error) {
    services.logger.info({ exec: exec.id, container: exec.containerId, err: error }, 'exec failed to start');
    const message = Buffer.from(`${errorMessage(error)}\r\n`);
    connection.output.write(tty ? message : encodeFrame(STREAM_STDOUT, message));
    connection.finish();
    return;
  }
  if (session === null) {
    connection.finish();
    return;
  }
  const detachKeys = detachKeysFor(exec.spec.detachKeys, (raw) => `Invalid escape keys (${raw}) provided`);
  const result = await pumpSession({
    session,
    connection,
    multiplexed: !tty,
    forwardStdin: exec.spec.attachStdin && session.hasStdin,
    // dockerd closes an exec's stdin at the end of client input, except with a TTY, where it ends the session.
    closeStdinOnInputEnd: !tty,
    detachKeys: tty ? detachKeys : null,
    logger: services.logger.child({ exec: exec.id, container: exec.containerId }),
  });
  services.logger.debug({ exec: exec.id, result }, 'exec session ended');
}

export function registerExecRoutes(router: Router): void {
  router.add('POST', '/containers/{id}/exec', createExec);
  router.add('POST', '/exec/{id}/start', startExec);
  router.add('POST', '/exec/{id}/resize', async (request, reply, services) => {
    const height = queryUint32(request.query, 'h', 'resize height');
    const width = queryUint32(request.query, 'w', 'resize width');
    await services.engine.resizeExec(request.params.id, height, width);
    reply.empty(200);
  });
  router.add('GET', '/exec/{id}/json', async (request, reply, services) => {
    reply.json(200, execInspectShape(await services.engine.inspectExec(request.params.id)));
  });
}
