// Merging the create request's Healthcheck over the image's HEALTHCHECK, with dockerd's defaults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerRecord, HealthcheckSpec } from '../../src/container/types';
import { resolveHealthCheck } from '../../src/engine/health-config';

const IMAGE_CHECK = { Test: ['CMD', 'probe', '--image'], Interval: 2_000_000_000, Retries: 7 };

function recordWith(healthcheck: HealthcheckSpec | undefined): ContainerRecord {
  return { spec: { healthcheck, extra: {} } } as unknown as ContainerRecord;
}

function requestCheck(fields: Partial<HealthcheckSpec>): HealthcheckSpec {
  return { test: [], interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0, ...fields };
}

test('image check applies without request', () => {
  const resolved = resolveHealthCheck(recordWith(undefined), { Healthcheck: IMAGE_CHECK });
  assert.deepEqual(resolved, { command: ['probe', '--image'], intervalMs: 2000, timeoutMs: 30_000, startPeriodMs: 0, startIntervalMs: 5000, retries: 7 });
});

test('request fields override image fields', () => {
  const resolved = resolveHealthCheck(recordWith(requestCheck({ test: ['CMD-SHELL', 'test -f /ok'], timeout: 500_000_000 })), { Healthcheck: IMAGE_CHECK });
  assert.deepEqual(resolved?.command, ['/bin/sh', '-c', 'test -f /ok']);
  assert.equal(resolved?.timeoutMs, 500);
  assert.equal(resolved?.intervalMs, 2000, 'a zero interval inherits the image value');
  assert.equal(resolved?.retries, 7, 'zero retries inherit the image value');
});

test('empty request test inherits image test', () => {
  const resolved = resolveHealthCheck(recordWith(requestCheck({ interval: 1_000_000 })), { Healthcheck: IMAGE_CHECK });
  assert.deepEqual(resolved?.command, ['probe', '--image']);
  assert.equal(resolved?.intervalMs, 1);
});

test('NONE disables image check', () => {
  assert.equal(resolveHealthCheck(recordWith(requestCheck({ test: ['NONE'] })), { Healthcheck: IMAGE_CHECK }), null);
  assert.equal(resolveHealthCheck(recordWith(undefined), { Healthcheck: { Test: ['NONE'] } }), null);
  assert.equal(resolveHealthCheck(recordWith(undefined), null), null, 'no check anywhere');
});

test('defaults without image check', () => {
  const resolved = resolveHealthCheck(recordWith(requestCheck({ test: ['CMD', 'true'] })), null);
  assert.deepEqual(resolved, { command: ['true'], intervalMs: 30_000, timeoutMs: 30_000, startPeriodMs: 0, startIntervalMs: 5000, retries: 3 });
});
