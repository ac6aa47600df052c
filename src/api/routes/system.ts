// GET/HEAD /_ping, GET /version, GET /info, GET /system/df.
import fs from 'node:fs/promises';
import type { EngineInfo } from '../../engine/engine';
import type { ApiRequest, Reply } from '../context';
import type { Router } from '../router';
import { systemDiskUsage } from './system-df';
import { systemInfoShape, systemVersionShape, type HostFeatures } from '../shapes/system';

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

async function readTrimmed(file: string): Promise<string | null> {
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch {
    return null;
  }
}

// Reads which cgroup controllers the host has. Cgroup v1 mounts one hierarchy per controller.
export async function probeHostFeatures(cgroupVersion: EngineInfo['cgroupVersion'], cgroupRoot = '/sys/fs/cgroup'): Promise<HostFeatures> {
  let features: Omit<HostFeatures, 'ipv4Forwarding' | 'openFileDescriptors'>;
  if (cgroupVersion === '2') {
    const controllers = ((await readTrimmed(`${cgroupRoot}/cgroup.controllers`)) ?? '').split(' ');
    const has = (name: string) => controllers.includes(name);
    features = {
      memoryLimit: has('memory'),
      swapLimit: has('memory'),
      cpuCfsPeriod: has('cpu'),
      cpuCfsQuota: has('cpu'),
      cpuShares: has('cpu'),
      cpuSet: has('cpuset'),
      pidsLimit: has('pids'),
      oomKillDisable: false,
    };
  } else {
    features = {
      memoryLimit: await exists(`${cgroupRoot}/memory/memory.limit_in_bytes`),
      swapLimit: await exists(`${cgroupRoot}/memory/memory.memsw.limit_in_bytes`),
      cpuCfsPeriod: await exists(`${cgroupRoot}/cpu/cpu.cfs_period_us`),
      cpuCfsQuota: await exists(`${cgroupRoot}/cpu/cpu.cfs_quota_us`),
      cpuShares: await exists(`${cgroupRoot}/cpu/cpu.shares`),
      cpuSet: await exists(`${cgroupRoot}/cpuset/cpuset.cpus`),
      pidsLimit: await exists(`${cgroupRoot}/pids`),
      oomKillDisable: await exists(`${cgroupRoot}/memory/memory.oom_control`),
    };
  }
  const forwarding = await readTrimmed('/proc/sys/net/ipv4/ip_forward');
  const descriptors = await fs.readdir('/proc/self/fd').catch(() => []);
  return { ...features, ipv4Forwarding: forwarding === '1', openFileDescriptors: descriptors.length };
}

// Headers /_ping adds to the common ones. The Docker CLI reads Builder-Version and Swarm.
const PING_HEADERS: Record<string, string> = {
  'Builder-Version': '1',
  Swarm: 'inactive',
  'Cache-Control': 'no-cache, no-store, must-revalidate',
  Pragma: 'no-cache',
};

export function registerSystemRoutes(router: Router): void {
  const ping = async (request: ApiRequest, reply: Reply) => {
    for (const [name, value] of Object.entries(PING_HEADERS)) reply.setHeader(name, value);
    // HEAD gets the same headers with an empty body.
    reply.text(200, request.method === 'HEAD' ? '' : 'OK', 'text/plain; charset=utf-8');
  };
  router.add('GET', '/_ping', ping);
  router.add('HEAD', '/_ping', ping);

  router.add('GET', '/system/df', systemDiskUsage);

  router.add('GET', '/version', async (_request, reply, services) => {
    reply.json(200, systemVersionShape(services.version));
  });

  router.add('GET', '/info', async (request, reply, services) => {
    const info = await services.engine.info();
    const features = await probeHostFeatures(info.cgroupVersion);
    const shape = systemInfoShape({
      info,
      features,
      config: services.config,
      serverVersion: services.version,
      apiVersion: request.apiVersion,
      now: new Date(),
    });
    reply.json(200, shape);
  });
}
