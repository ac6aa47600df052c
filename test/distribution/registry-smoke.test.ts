// Checks the test registries themselves with skopeo, before any Berth code relies on them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUSYBOX_ARCHIVE, skopeoInspect, skopeoPush, useRegistry } from './registry';

for (const variant of ['plain', 'tls-basic', 'token'] as const) {
  test(`${variant} registry accepts skopeo push`, async () => {
    const registry = await useRegistry(variant);
    try {
      await skopeoPush(registry, `docker-archive:${BUSYBOX_ARCHIVE}`, registry.repository('library/busybox:latest'));
      const inspected = await skopeoInspect(registry, registry.repository('library/busybox:latest'));
      const manifest = JSON.parse(inspected.raw) as { layers: unknown[] };
      assert.equal(manifest.layers.length, 1);
      if (variant === 'token') assert.ok(registry.tokenRequests.length > 0, 'skopeo did not ask the token server');
    } finally {
      await registry.stop();
    }
  });
}
