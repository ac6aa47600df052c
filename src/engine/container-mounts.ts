// Resolves a container's mounts at create time: named and anonymous volumes
// are created, image VOLUME paths that no mount covers get anonymous volumes,
// and bind sources are checked. At first start, a new empty volume is filled
// with the image's content at its target, as Docker does.
import fs from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError } from '../common/errors';
import type { Logger } from '../common/logger';
import { run } from '../common/subprocess';
import type { ContainerRecord, ContainerSpec, ResolvedMount } from '../container/types';
import type { ImageRecord } from '../image/types';
import type { VolumeStore } from '../volume/store';
import { resolveInRoot } from '../common/scoped-path';

export async function resolveMounts(spec: ContainerSpec, image: ImageRecord, volumes: VolumeStore): Promise<ResolvedMount[]> {
  const resolved: ResolvedMount[] = [];
  const targets = new Set<string>();

  for (const mount of spec.mounts) {
    const destination = path.posix.normalize(mount.target);
    if (targets.has(destination)) throw new InvalidArgumentError(`Duplicate mount point: ${destination}`);
    targets.add(destination);

    if (mount.type === 'bind') {
      await ensureBindSource(mount.source, mount.createSourceIfMissing ?? true);
      resolved.push({
        type: 'bind',
        name: '',
        source: mount.source,
        destination,
        driver: '',
        mode: mount.readOnly ? 'ro' : '',
        rw: !mount.readOnly,
        propagation: mount.bindPropagation || 'rprivate',
      });
    } else if (mount.type === 'volume') {
      const volume = await volumes.create({
        name: mount.source,
        driver: mount.volumeDriver ?? 'local',
        labels: mount.volumeLabels ?? {},
        driverOptions: {},
        anonymous: mount.source === '',
      });
      resolved.push({
        type: 'volume',
        name: volume.name,
        source: volume.mountpoint,
        destination,
        driver: volume.driver,
        mode: mount.volumeNoCopy ? 'nocopy' : mount.readOnly ? 'ro' : 'z',
        rw: !mount.readOnly,
        propagation: '',
      });
    } else {
      resolved.push({ type: 'tmpfs', name: '', source: '', destination, driver: '', mode: mount.tmpfsOptions ?? '', rw: !mount.readOnly, propagation: '' });
    }
  }

  for (const imageVolume of Object.keys(image.config.config?.Volumes ?? {})) {
    const destination = path.posix.normalize(imageVolume);
    if (targets.has(destination)) continue;
    targets.add(destination);
    const volume = await volumes.create({ name: '', driver: 'local', labels: {}, driverOptions: {}, anonymous: true });
    resolved.push({ type: 'volume', name: volume.name, source: volume.mountpoint, destination, driver: 'local', mode: '', rw: true, propagation: '' });
  }
  return resolved;
}

async function ensureBindSource(source: string, create: boolean): Promise<void> {
  try {
    await fs.stat(source);
  } catch {
    if (!create) {
      throw new InvalidArgumentError(`invalid mount config for type "bind": bind source path does not exist: ${source}`);
    }
    // Docker's -v creates a missing host directory.
    await fs.mkdir(source, { recursive: true, mode: 0o755 });
  }
}

// Copies the image's files at each volume's target into the volume when the
// volume is still empty, once, before the container's first start.
export async function copyImageContentIntoVolumes(record: ContainerRecord, rootfs: string, logger: Logger): Promise<void> {
  const noCopy = new Set(record.spec.mounts.filter((mount) => mount.type === 'volume' && mount.volumeNoCopy).map((mount) => path.posix.normalize(mount.target)));
  for (const mount of record.mounts) {
    if (mount.type !== 'volume' || noCopy.has(mount.destination)) continue;

    const source = await resolveInRoot(rootfs, mount.destination);
    const sourceStat = await fs.lstat(source).catch(() => null);
    if (!sourceStat?.isDirectory()) continue;
    const existing = await fs.readdir(mount.source).catch(() => []);
    if (existing.length > 0) continue;

    // cp -a keeps ownership, modes, links and extended attributes.
    await run('cp', ['-a', '--', `${source}/.`, `${mount.source}/`]);
    const sourceMode = sourceStat.mode & 0o7777;
    await fs.chmod(mount.source, sourceMode);
    await fs.chown(mount.source, sourceStat.uid, sourceStat.gid);
    logger.debug({ container: record.id, volume: mount.name, target: mount.destination }, 'copied image content into new volume');
  }
}
