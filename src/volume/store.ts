// Named volumes of the built-in "local" driver: a directory a volume under
// <volumes>/<name>/_data, with its metadata beside it in volume.json.
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { readJsonIfExists, writeJsonAtomic } from '../common/atomic-file';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../common/errors';
import type { Logger } from '../common/logger';
import type { VolumeRecord } from './types';

const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const METADATA_FILE = 'volume.json';

export class VolumeStore {
  private readonly volumes = new Map<string, VolumeRecord>();

  constructor(
    private readonly root: string,
    private readonly logger: Logger,
  ) {}

  async load(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true, mode: 0o700 });
    for (const name of await fs.readdir(this.root)) {
      const record = await readJsonIfExists<VolumeRecord>(path.join(this.root, name, METADATA_FILE));
      if (record) {
        this.volumes.set(record.name, record);
      } else {
        this.logger.warn({ volume: name }, 'removing volume directory without metadata, left by an interrupted create');
        await fs.rm(path.join(this.root, name), { recursive: true, force: true });
      }
    }
  }

  list(): VolumeRecord[] {
    return [...this.volumes.values()];
  }

  get(name: string): VolumeRecord {
    const record = this.volumes.get(name);
    if (!record) throw new NotFoundError(`get ${name}: no such volume`);
    return record;
  }

  find(name: string): VolumeRecord | undefined {
    return this.volumes.get(name);
  }

  // Creates a volume, or returns the existing one of that name as Docker does.
  async create(options: { name: string; driver: string; labels: Record<string, string>; driverOptions: Record<string, string>; anonymous?: boolean }): Promise<VolumeRecord> {
    const driver = options.driver || 'local';
    if (driver !== 'local') {
      throw new NotFoundError(`create ${options.name}: error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    }
    const anonymous = options.anonymous ?? !options.name;
    const name = options.name || randomBytes(32).toString('hex');
    if (!NAME_PATTERN.test(name)) {
      throw new InvalidArgumentError(
        `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
      );
    }
    if (Object.keys(options.driverOptions).length > 0) {
      throw new InvalidArgumentError(`create ${name}: driver options are not supported by the local driver yet: ${Object.keys(options.driverOptions).join(', ')}`);
    }

    const existing = this.volumes.get(name);
    if (existing) return existing;

    const directory = path.join(this.root, name);
    const record: VolumeRecord = {
      name,
      driver,
      mountpoint: path.join(directory, '_data'),
      createdAt: new Date().toISOString(),
      labels: options.labels,
      options: options.driverOptions,
      anonymous,
    };
    await fs.mkdir(record.mountpoint, { recursive: true, mode: 0o755 });
    await writeJsonAtomic(path.join(directory, METADATA_FILE), record);
    this.volumes.set(name, record);
    this.logger.info({ volume: name }, 'volume created');
    return record;
  }

  async remove(name: string, usedBy: string[], force: boolean): Promise<void> {
    const record = this.volumes.get(name);
    if (!record) {
      if (force) return;
      throw new NotFoundError(`get ${name}: no such volume`);
    }
    if (usedBy.length > 0) {
      throw new ConflictError(`remove ${name}: volume is in use - [${usedBy.join(', ')}]`);
    }
    this.volumes.delete(name);
    await fs.rm(path.join(this.root, name), { recursive: true, force: true });
    this.logger.info({ volume: name }, 'volume removed');
  }

    async size(name: string): Promise<number> {
    const record = this.get(name);
    return directorySize(record.mountpoint);
  }
}

// Returns the bytes of the files under a directory, counting hard links once; 0 when it does not exist.
export async function directorySize(directory: string, seen = new Set<string>()): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await fs.readdir(directory, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const full = path.join(directory, entry.name);
    const stat = await fs.lstat(full);
    const key = `${stat.dev}:${stat.ino}`;
    if (seen.has(key)) continue;
    seen.add(key);
    total += stat.isDirectory() ? 0 : stat.size;
    if (entry.isDirectory()) total += await directorySize(full, seen);
  }
  return total;
}
