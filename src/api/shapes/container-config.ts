// Config of container inspect: the create request merged with the image's
// config the way dockerd merges them at create time, so it shows what runs.
import type { ContainerRecord, HealthcheckSpec } from '../../container/types';
import type { ImageRuntimeConfig } from '../../image/types';

// Applies dockerd's rule: an image's Cmd is used only when the request sets neither Cmd nor a
// non-empty Entrypoint, and the image's Entrypoint only when the request leaves it null.
export function mergeCommand(
  request: { cmd: string[] | null; entrypoint: string[] | null },
  image: ImageRuntimeConfig | null,
): { cmd: string[] | null; entrypoint: string[] | null } {
  let cmd = request.cmd;
  let entrypoint = request.entrypoint;
  if (entrypoint === null || entrypoint.length === 0) {
    if (cmd === null || cmd.length === 0) cmd = image?.Cmd ?? cmd;
    if (entrypoint === null) entrypoint = image?.Entrypoint ?? null;
  }
  return { cmd, entrypoint };
}

function shortId(id: string): string {
  return id.slice(0, 12);
}

export function containerConfigShape(record: ContainerRecord, image: ImageRuntimeConfig | null): Record<string, unknown> {
  const spec = record.spec;
  const extra = (spec.extra.Config ?? {}) as Record<string, unknown>;
  const { cmd, entrypoint } = mergeCommand(spec, image);

  const exposedPorts: Record<string, object> = { ...(image?.ExposedPorts ?? {}) };
  for (const port of spec.exposedPorts) exposedPorts[port.includes('/') ? port : `${port}/tcp`] = {};
  const volumes: Record<string, object> = { ...(image?.Volumes ?? {}), ...((extra.Volumes as Record<string, object> | undefined) ?? {}) };
  const stopSignal = spec.stopSignal ?? image?.StopSignal ?? '';

  const shape: Record<string, unknown> = {
    Hostname: spec.hostname || shortId(record.id),
    Domainname: spec.domainname,
    User: record.effectiveUser,
    AttachStdin: spec.attachStdin,
    AttachStdout: spec.attachStdout,
    AttachStderr: spec.attachStderr,
  };
  if (Object.keys(exposedPorts).length > 0) shape.ExposedPorts = exposedPorts;
  Object.assign(shape, {
    Tty: spec.tty,
    OpenStdin: spec.openStdin,
    StdinOnce: spec.stdinOnce,
    Env: record.effectiveEnv,
    Cmd: cmd,
  });
  if (spec.healthcheck) shape.Healthcheck = healthcheckShape(spec.healthcheck);
  else if (extra.Healthcheck !== undefined) shape.Healthcheck = extra.Healthcheck;
  if (extra.ArgsEscaped !== undefined) shape.ArgsEscaped = extra.ArgsEscaped;
  Object.assign(shape, {
    Image: spec.image,
    Volumes: Object.keys(volumes).length > 0 ? volumes : null,
    WorkingDir: record.effectiveWorkingDir,
    Entrypoint: entrypoint,
  });
  if (extra.NetworkDisabled !== undefined) shape.NetworkDisabled = extra.NetworkDisabled;
  if (typeof extra.MacAddress === 'string' && extra.MacAddress !== '') shape.MacAddress = extra.MacAddress;
  shape.OnBuild = extra.OnBuild ?? null;
  shape.Labels = { ...(image?.Labels ?? {}), ...spec.labels };
  if (stopSignal !== '') shape.StopSignal = stopSignal;
  if (spec.stopTimeout !== null) shape.StopTimeout = spec.stopTimeout;
  if (extra.Shell !== undefined) shape.Shell = extra.Shell;
  return shape;
}

// Docker's HealthConfig JSON, which leaves out zero durations and retries.
function healthcheckShape(healthcheck: HealthcheckSpec): Record<string, unknown> {
  const shape: Record<string, unknown> = { Test: healthcheck.test };
  if (healthcheck.interval) shape.Interval = healthcheck.interval;
  if (healthcheck.timeout) shape.Timeout = healthcheck.timeout;
  if (healthcheck.startPeriod) shape.StartPeriod = healthcheck.startPeriod;
  if (healthcheck.startInterval) shape.StartInterval = healthcheck.startInterval;
  if (healthcheck.retries) shape.Retries = healthcheck.retries;
  return shape;
}
