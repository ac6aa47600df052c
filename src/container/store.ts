// The container record store: one JSON file a container, written crash-safe,
// plus in-memory indexes by ID and by name. Callers hold the container's lock
// (KeyedLock in the engine) around read-modify-write sequences.
import fs from 'node:fs/promises';
import path from 'node:path';
import { readJsonIfExists, writeJsonAtomic } from '../common/atomic-file';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../common/errors';
import type { Logger } from '../common/logger';
import type { ContainerRecord } from './types';

const RECORD_FILE = 'container.json';

export class ContainerStore {
  private readonly records = new Map<string, ContainerRecord>();
  private readonly names = new Map<string, string>();

  constructor(
    private readonly root: string,
    private readonly logger: Logger,
  ) {}

  async load(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true, mode: 0o700 });
    for (const entry of await fs.readdir(this.root)) {
      const file = path.join(this.root, entry, RECORD_FILE);
      try {
        const record = await readJsonIfExists<ContainerRecord>(file);
        if (!record) {
          // A directory without a record is a create that was interrupted before it committed.
          this.logger.warn({ container: entry }, 'removing container directory without a record');
          await fs.rm(path.join(this.root, entry), { recursive: true, force: true });
          continue;
        }
        this.records.set(record.id, record);
        this.names.set(record.name, record.id);
      } catch (error) {
        this.logger.error({ container: entry, err: error }, 'skipping unreadable container record');
      }
    }
  }

  directory(id: string): string {
    return path.join(this.root, id);
  }

  all(): ContainerRecord[] {
    return [...this.records.values()];
  }

  // Finds a container by full ID, name (with or without "/"), or unique ID prefix, as Docker does.
  find(idOrName: string): ContainerRecord {
    if (!idOrName) throw new NotFoundError('No such container: ');
    const exact = this.records.get(idOrName);
    if (exact) return exact;

    const byName = this.names.get(idOrName.replace(/^\//, ''));
    if (byName) return this.records.get(byName)!;

    const matches = [...this.records.keys()].filter((id) => id.startsWith(idOrName));
    if (matches.length === 1) return this.records.get(matches[0])!;
    if (matches.length > 1) throw new InvalidArgumentError(`multiple IDs found with provided prefix: ${idOrName}`);
    throw new NotFoundError(`No such container: ${idOrName}`);
  }

  nameTaken(name: string): string | undefined {
    return this.names.get(name);
  }

  // Reserves the name and writes the record; fails when the name belongs to another container.
  async add(record: ContainerRecord): Promise<void> {
    const owner = this.names.get(record.name);
    if (owner && owner !== record.id) {
      throw new ConflictError(
        `Conflict. The container name "/${record.name}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    await fs.mkdir(this.directory(record.id), { recursive: true, mode: 0o700 });
    this.names.set(record.name, record.id);
    this.records.set(record.id, record);
    try {
      await this.save(record);
    } catch (error) {
      this.names.delete(record.name);
      this.records.delete(record.id);
      throw error;
    }
  }

  async save(record: ContainerRecord): Promise<void> {
    await writeJsonAtomic(path.join(this.directory(record.id), RECORD_FILE), record);
  }

  async rename(record: ContainerRecord, newName: string): Promise<void> {
    const owner = this.names.get(newName);
    if (owner && owner !== record.id) {
      throw new ConflictError(
        `Error when allocating new name: Conflict. The container name "/${newName}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    const oldName = record.name;
    record.name = newName;
    this.names.set(newName, record.id);
    try {
      await this.save(record);
    } catch (error) {
      record.name = oldName;
      this.names.delete(newName);
      throw error;
    }
    this.names.delete(oldName);
  }

  async remove(record: ContainerRecord): Promise<void> {
    this.records.delete(record.id);
    if (this.names.get(record.name) === record.id) this.names.delete(record.name);
    await fs.rm(this.directory(record.id), { recursive: true, force: true });
  }
}
