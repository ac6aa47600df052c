// HostConfig.Binds, HostConfig.Mounts, HostConfig.Tmpfs and Config.Volumes →
// the engine's MountSpec list, with dockerd's validation and messages
// ("invalid mount config for type "bind": ...", "invalid volume specification: '...'").
import path from 'node:path';
import { InvalidArgumentError, NotImplementedError } from '../../common/errors';
import type { MountSpec, MountType } from '../../container/types';
import { FieldReader } from './fields';

const PROPAGATION_MODES = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']);
const CONSISTENCY_MODES = new Set(['consistent', 'cached', 'delegated']);
const LABEL_MODES = new Set(['z', 'Z']);

// Mirrors dockerd's mode check: comma-separated options, at most one of each kind.
function isValidMode(mode: string): boolean {
  if (mode === '') return true;
  const counts = { rw: 0, label: 0, propagation: 0, copy: 0, consistency: 0 };
  for (const option of mode.split(',')) {
    if (option === 'rw' || option === 'ro') counts.rw++;
    else if (LABEL_MODES.has(option)) counts.label++;
    else if (PROPAGATION_MODES.has(option)) counts.propagation++;
    else if (option === 'nocopy') counts.copy++;
    else if (CONSISTENCY_MODES.has(option)) counts.consistency++;
    else return false;
  }
  return Object.values(counts).every((count) => count <= 1);
}

function mountConfigError(type: string, reason: string): InvalidArgumentError {
  return new InvalidArgumentError(`invalid mount config for type ${JSON.stringify(type)}: ${reason}`);
}

// Checks a container path: present, absolute and not "/". Returns the reason, or null when valid.
function targetProblem(target: string): string | null {
  if (target === '') return 'field Target must not be empty';
  if (path.posix.normalize(target) === '/') return "invalid specification: destination can't be '/'";
  if (!path.posix.isAbsolute(target)) return `invalid mount path: '${target}' mount path must be absolute`;
  return null;
}

// Parses one Binds entry, "src:dst[:mode]" or "dst". A source that is not an absolute path names a volume.
export function parseBind(raw: string): MountSpec {
  const invalidSpec = `invalid volume specification: '${raw}'`;
  const parts = raw.split(':');
  if (parts.length > 3 || parts[0] === '') throw new InvalidArgumentError(invalidSpec);

  let source = '';
  let target: string;
  let mode = '';
  if (parts.length === 1) {
    target = parts[0];
  } else if (parts.length === 2) {
    // "dst:mode" would be a volume without a name but with a mode, which Docker rejects.
    if (isValidMode(parts[1])) throw new InvalidArgumentError(invalidSpec);
    [source, target] = parts;
  } else {
    [source, target, mode] = parts;
  }
  if (!isValidMode(mode)) throw new InvalidArgumentError(`invalid mode: ${mode}`);

  const type: MountType = path.posix.isAbsolute(source) ? 'bind' : 'volume';
  const problem = targetProblem(target);
  if (problem) throw new InvalidArgumentError(`${invalidSpec}: invalid mount config for type "${type}": ${problem}`);

  const options = mode === '' ? [] : mode.split(',');
  const mount: MountSpec = {
    type,
    source: type === 'bind' ? path.posix.normalize(source) : source,
    target: path.posix.normalize(target),
    readOnly: options.includes('ro'),
  };
  if (type === 'bind') {
    mount.bindPropagation = options.find((option) => PROPAGATION_MODES.has(option)) ?? 'rprivate';
    // -v creates a missing host directory, unlike --mount.
    mount.createSourceIfMissing = true;
  } else if (options.includes('nocopy')) {
    mount.volumeNoCopy = true;
  }
  return mount;
}

const TMPFS_OPTIONS = new Set(['exec', 'noexec']);

function readTmpfsOptions(options: FieldReader): { size?: number; mode?: number; raw?: string } {
  const result: { size?: number; mode?: number; raw?: string } = {};
  const size = options.integer('SizeBytes');
  if (size !== undefined) {
    if (size < 0) throw mountConfigError('tmpfs', 'TmpfsOptions.SizeBytes must not be negative');
    result.size = size;
  }
  const mode = options.integer('Mode');
  if (mode !== undefined) result.mode = mode;

  const rawOptions = options.array('Options');
  if (rawOptions) {
    const parts: string[] = [];
    for (const option of rawOptions) {
      if (!Array.isArray(option) || option.length < 1 || option.length > 2 || option.some((item) => typeof item !== 'string')) {
        throw mountConfigError('tmpfs', 'invalid option array length');
      }
      if (!TMPFS_OPTIONS.has(option[0] as string)) throw mountConfigError('tmpfs', `invalid option: ${String(option[0])}`);
      parts.push(option.join('='));
    }
    if (parts.length > 0) result.raw = parts.join(',');
  }
  options.remaining([]);
  return result;
}

// Decodes one HostConfig.Mounts entry (--mount) with dockerd's checks, in dockerd's order.
export function decodeMount(reader: FieldReader): MountSpec {
  const type = reader.string('Type') ?? '';
  const source = reader.string('Source') ?? '';
  const target = reader.string('Target') ?? '';
  const readOnly = reader.boolean('ReadOnly') ?? false;
  reader.string('Consistency');
  const bindOptions = reader.object('BindOptions');
  const volumeOptions = reader.object('VolumeOptions');
  const tmpfsOptions = reader.object('TmpfsOptions');
  const imageOptions = reader.object('ImageOptions');
  reader.remaining(['ClusterOptions']);

  for (const [name, options, owner] of [
    ['BindOptions', bindOptions, 'bind'],
    ['VolumeOptions', volumeOptions, 'volume'],
    ['TmpfsOptions', tmpfsOptions, 'tmpfs'],
    ['ImageOptions', imageOptions, 'image'],
  ] as const) {
    if (options && type !== owner) throw mountConfigError(type, `field ${name} must not be specified`);
  }
  const problem = targetProblem(target);
  if (problem) throw mountConfigError(type, problem);

  const mount: MountSpec = { type: 'bind', source, target: path.posix.normalize(target), readOnly };
  switch (type) {
    case 'bind': {
      if (source === '') throw mountConfigError(type, 'field Source must not be empty');
      const propagation = bindOptions?.string('Propagation') ?? '';
      if (propagation !== '' && !PROPAGATION_MODES.has(propagation)) throw mountConfigError(type, `invalid propagation mode: ${propagation}`);
      if (!path.posix.isAbsolute(source)) throw mountConfigError(type, `invalid mount path: '${source}' mount path must be absolute`);
      const createMountpoint = bindOptions?.boolean('CreateMountpoint') ?? false;
      bindOptions?.remaining(['NonRecursive', 'ReadOnlyNonRecursive', 'ReadOnlyForceRecursive']);
      mount.source = path.posix.normalize(source);
      mount.bindPropagation = propagation || 'rprivate';
      mount.createSourceIfMissing = createMountpoint;
      return mount;
    }
    case 'volume': {
      mount.type = 'volume';
      if (volumeOptions) {
        mount.volumeNoCopy = volumeOptions.boolean('NoCopy') ?? false;
        const labels = volumeOptions.stringMap('Labels');
        if (labels) mount.volumeLabels = labels;
        const subpath = volumeOptions.string('Subpath') ?? '';
        if (subpath !== '') {
          if (source === '') throw mountConfigError(type, 'must not set Subpath when using anonymous volumes');
          throw new NotImplementedError(`invalid mount config for type "volume": VolumeOptions.Subpath is not supported yet`);
        }
        const driver = volumeOptions.object('DriverConfig');
        const driverName = driver?.string('Name');
        if (driverName) mount.volumeDriver = driverName;
        driver?.remaining(['Options']);
        volumeOptions.remaining([]);
      }
      return mount;
    }
    case 'tmpfs': {
      if (source !== '') throw mountConfigError(type, 'field Source must not be specified');
      mount.type = 'tmpfs';
      if (tmpfsOptions) {
        const options = readTmpfsOptions(tmpfsOptions);
        if (options.size !== undefined) mount.tmpfsSize = options.size;
        if (options.mode !== undefined) mount.tmpfsMode = options.mode;
        if (options.raw !== undefined) mount.tmpfsOptions = options.raw;
      }
      return mount;
    }
    case 'image':
    case 'npipe':
    case 'cluster':
      throw new NotImplementedError(`invalid mount config for type ${JSON.stringify(type)}: mount type ${JSON.stringify(type)} is not supported`);
    default:
      throw mountConfigError(type, 'mount type unknown');
  }
}

// Decodes HostConfig.Tmpfs ({"/run": "rw,noexec,size=64m"}).
export function decodeTmpfsMap(tmpfs: Record<string, string>): MountSpec[] {
  return Object.entries(tmpfs).map(([target, options]) => {
    const problem = targetProblem(target);
    if (problem) throw new InvalidArgumentError(problem);
    const mount: MountSpec = {
      type: 'tmpfs',
      source: '',
      target: path.posix.normalize(target),
      readOnly: options.split(',').includes('ro'),
    };
    if (options !== '') mount.tmpfsOptions = options;
    return mount;
  });
}

// Combines the mount sources: explicit mounts first, then anonymous volumes for Config.Volumes
// entries whose target no explicit mount covers. Two explicit mounts on one target are an error.
export function combineMounts(explicit: MountSpec[], configVolumes: string[]): MountSpec[] {
  const targets = new Set<string>();
  for (const mount of explicit) {
    if (targets.has(mount.target)) throw new InvalidArgumentError(`Duplicate mount point: ${mount.target}`);
    targets.add(mount.target);
  }

  const combined = [...explicit];
  for (const volume of configVolumes) {
    const problem = targetProblem(volume);
    if (problem) throw new InvalidArgumentError(`invalid volume specification: '${volume}': ${problem}`);
    const target = path.posix.normalize(volume);
    if (targets.has(target)) continue;
    targets.add(target);
    combined.push({ type: 'volume', source: '', target, readOnly: false });
  }
  return combined;
}

// Checks that the host paths of --mount binds exist, as dockerd does at create time;
// -v binds (createSourceIfMissing) are created by the engine instead.
export async function checkBindSources(mounts: MountSpec[], exists: (hostPath: string) => Promise<boolean>): Promise<void> {
  for (const mount of mounts) {
    if (mount.type !== 'bind' || mount.createSourceIfMissing) continue;
    if (!(await exists(mount.source))) throw mountConfigError('bind', `bind source path does not exist: ${mount.source}`);
  }
}
