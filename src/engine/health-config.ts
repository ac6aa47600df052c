// The health check a container runs: the create request's Healthcheck merged
// over the image's HEALTHCHECK, field by field, with dockerd's defaults.
import type { ContainerRecord } from '../container/types';
import type { ImageRuntimeConfig } from '../image/types';

export interface HealthCheckConfig {
  // The command to exec in the container, already expanded from CMD or CMD-SHELL.
  command: string[];
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  startIntervalMs: number;
  retries: number;
}

// dockerd's defaults for durations given as 0 (unset).
const DEFAULT_INTERVAL_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_START_INTERVAL_MS = 5_000;
const DEFAULT_RETRIES = 3;

interface RawHealthcheck {
  Test?: unknown;
  Interval?: unknown;
  Timeout?: unknown;
  StartPeriod?: unknown;
  StartInterval?: unknown;
  Retries?: unknown;
}

function asHealthcheck(value: unknown): RawHealthcheck | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as RawHealthcheck) : null;
}

function testOf(healthcheck: RawHealthcheck | null): string[] {
  const test = healthcheck?.Test;
  return Array.isArray(test) && test.every((part) => typeof part === 'string') ? (test as string[]) : [];
}

// Durations in the API are nanoseconds; 0 or a missing value means "inherit, then default".
function nanoseconds(request: RawHealthcheck | null, image: RawHealthcheck | null, field: keyof RawHealthcheck): number {
  for (const source of [request, image]) {
    const value = source?.[field];
    if (typeof value === 'number' && value > 0) return value;
  }
  return 0;
}

// The request's health check in the API's field names, like the image's. Records written before
// spec.healthcheck existed keep the request's form under spec.extra.Config.
function requestHealthcheck(record: ContainerRecord): RawHealthcheck | null {
  const spec = record.spec.healthcheck;
  if (spec) {
    return { Test: spec.test, Interval: spec.interval, Timeout: spec.timeout, StartPeriod: spec.startPeriod, StartInterval: spec.startInterval, Retries: spec.retries };
  }
  const configExtra = asHealthcheck(record.spec.extra.Config) as Record<string, unknown> | null;
  return asHealthcheck(configExtra?.Healthcheck);
}

// Returns the container's health check, or null when it has none or disabled it with Test ["NONE"].
export function resolveHealthCheck(record: ContainerRecord, imageConfig: ImageRuntimeConfig | null): HealthCheckConfig | null {
  const request = requestHealthcheck(record);
  const image = asHealthcheck(imageConfig?.Healthcheck);

  // An empty Test in the request inherits the image's test, as in dockerd.
  const requestTest = testOf(request);
  const test = requestTest.length > 0 ? requestTest : testOf(image);
  const command = commandOf(test);
  if (command === null) return null;

  const millis = (field: keyof RawHealthcheck, fallback: number) => {
    const value = nanoseconds(request, image, field);
    return value > 0 ? Math.max(1, Math.round(value / 1e6)) : fallback;
  };
  const retries = nanoseconds(request, image, 'Retries');
  return {
    command,
    intervalMs: millis('Interval', DEFAULT_INTERVAL_MS),
    timeoutMs: millis('Timeout', DEFAULT_TIMEOUT_MS),
    startPeriodMs: millis('StartPeriod', 0),
    startIntervalMs: millis('StartInterval', DEFAULT_START_INTERVAL_MS),
    retries: retries > 0 ? retries : DEFAULT_RETRIES,
  };
}

// Expands a Test: ["CMD", args...] runs args directly and ["CMD-SHELL", line] runs line with /bin/sh -c.
// Returns null for ["NONE"] (disabled) and for an empty or unknown form.
function commandOf(test: string[]): string[] | null {
  const [kind, ...rest] = test;
  if (kind === 'CMD' && rest.length > 0) return rest;
  if (kind === 'CMD-SHELL' && rest.length > 0) return ['/bin/sh', '-c', rest.join(' ')];
  return null;
}

// Formats a duration as Go's time.Duration prints it for whole units ("200ms", "1.5s", "30s").
export function formatGoDuration(milliseconds: number): string {
  if (milliseconds < 1000) return `${milliseconds}ms`;
  if (milliseconds < 60_000) return `${milliseconds / 1000}s`;
  const minutes = Math.floor(milliseconds / 60_000);
  const seconds = (milliseconds % 60_000) / 1000;
  return `${minutes}m${seconds}s`;
}
