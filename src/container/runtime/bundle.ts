// The on-disk layout of a container's runtime files and the writing of its
// OCI bundle (config.json plus the /etc files it bind mounts).
import fs from 'node:fs/promises';
import path from 'node:path';
import { storePaths, type DaemonConfig } from '../../common/config';
import { resolveInRoot } from '../../common/scoped-path';
import type { ContainerRecord } from '../types';
import { writeEtcFiles } from './etc-files';
import { buildOciSpec, containerHostname, serializeSpec } from './oci-spec';
import { resolveUser } from './user';

export interface RuntimePaths {
  // OCI bundle: config.json, conmon's attach socket, control FIFOs and PID files.
  bundleDir: string;
  // Mount point of the overlay root file system.
  rootfsDir: string;
  upperDir: string;
  workDir: string;
  // Default log file. conmon writes to the engine's record.logPath.
  logPath: string;
}

export function runtimePaths(config: DaemonConfig, containerId: string): RuntimePaths & { containerDir: string; emptyLowerDir: string; execRoot: string } {
  const stores = storePaths(config);
  const bundleDir = path.join(stores.containerRuns, containerId);
  const containerDir = path.join(stores.containers, containerId);
  return {
    bundleDir,
    rootfsDir: path.join(bundleDir, 'rootfs'),
    upperDir: path.join(containerDir, 'upper'),
    workDir: path.join(containerDir, 'work'),
    logPath: path.join(containerDir, `${containerId}.log`),
    containerDir,
    emptyLowerDir: path.join(containerDir, 'empty-lower'),
    execRoot: path.join(bundleDir, 'exec'),
  };
}

export interface BundleOptions {
  // A network namespace prepared by the engine (bridge networking). Without one the container gets a new, empty one.
  networkNamespacePath?: string | null;
  // The container's address, written to /etc/hosts next to its hostname.
  ipAddress?: string | null;
  // Complete /etc/hosts and /etc/resolv.conf contents from the network module; they replace the files built here.
  hostsContent?: string | null;
  resolvConfContent?: string | null;
}

// Creates the working directory inside the root file system, as Docker
// does, so that an image without it still starts.
async function ensureWorkingDirectory(rootfsDir: string, workingDir: string): Promise<void> {
  if (!workingDir || workingDir === '/') return;
  const target = await resolveInRoot(rootfsDir, workingDir);
  await fs.mkdir(target, { recursive: true, mode: 0o755 });
}

export async function writeBundle(config: DaemonConfig, record: ContainerRecord, cgroupVersion: '1' | '2', options: BundleOptions = {}): Promise<void> {
  const paths = runtimePaths(config, record.id);
  await fs.mkdir(paths.bundleDir, { recursive: true, mode: 0o700 });

  const hostname = containerHostname(record);
  const [user] = await Promise.all([
    resolveUser(paths.rootfsDir, record.effectiveUser, record.spec.groupAdd),
    ensureWorkingDirectory(paths.rootfsDir, record.effectiveWorkingDir),
    writeEtcFiles(record, {
      hostname,
      domainname: record.spec.domainname,
      ipAddress: options.ipAddress ?? null,
      hostNetwork: record.spec.networkMode === 'host',
      hostsContent: options.hostsContent ?? null,
      resolvConfContent: options.resolvConfContent ?? null,
    }),
  ]);

  const spec = buildOciSpec({
    record,
    config,
    rootfsDir: paths.rootfsDir,
    user,
    hostname,
    networkNamespacePath: options.networkNamespacePath ?? null,
    cgroupVersion,
  });
  // A plain write: the file is rewritten before every start, and an fsync would add start latency.
  await fs.writeFile(path.join(paths.bundleDir, 'config.json'), serializeSpec(spec), { mode: 0o600 });
}
