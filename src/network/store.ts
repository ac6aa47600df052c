// Persistent state of the network module: one JSON file per network under
// <root>/networks and one per container sandbox under <root>/sandboxes, each
// written atomically. The store keeps every record in memory after load().
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeJsonAtomic, readJsonIfExists } from '../common/atomic-file';
import { subsystemLogger } from '../common/logger';
import type { NetworkRecord, SandboxRecord } from './types';

const log = subsystemLogger('network-store');

export class NetworkStore {
  private readonly networkDirectory: string;
  private readonly sandboxDirectory: string;
  private readonly networks = new Map<string, NetworkRecord>();
  private readonly sandboxes = new Map<string, SandboxRecord>();

  constructor(root: string) {
    this.networkDirectory = path.join(root, 'networks');
    this.sandboxDirectory = path.join(root, 'sandboxes');
  }

  async load(): Promise<void> {
    await fs.mkdir(this.networkDirectory, { recursive: true, mode: 0o700 });
    await fs.mkdir(this.sandboxDirectory, { recursive: true, mode: 0o700 });
    this.networks.clear();
    this.sandboxes.clear();
    for (const record of await readRecords<NetworkRecord>(this.networkDirectory)) this.networks.set(record.id, record);
    for (const record of await readRecords<SandboxRecord>(this.sandboxDirectory)) this.sandboxes.set(record.containerId, record);
  }

  listNetworks(): NetworkRecord[] {
    return [...this.networks.values()];
  }

  // Finds a network by full ID, exact name, or unique ID prefix, in the order Docker uses.
  findNetwork(idOrName: string): NetworkRecord | undefined {
    const byId = this.networks.get(idOrName);
    if (byId) return byId;
    const byName = this.listNetworks().find((network) => network.name === idOrName);
    if (byName) return byName;
    if (idOrName.length === 0) return undefined;
    const byPrefix = this.listNetworks().filter((network) => network.id.startsWith(idOrName));
    return byPrefix.length === 1 ? byPrefix[0] : undefined;
  }

  async saveNetwork(record: NetworkRecord): Promise<void> {
    await writeJsonAtomic(path.join(this.networkDirectory, `${record.id}.json`), record);
    this.networks.set(record.id, record);
  }

  async deleteNetwork(id: string): Promise<void> {
    await fs.rm(path.join(this.networkDirectory, `${id}.json`), { force: true });
    this.networks.delete(id);
  }

  listSandboxes(): SandboxRecord[] {
    return [...this.sandboxes.values()];
  }

  getSandbox(containerId: string): SandboxRecord | undefined {
    return this.sandboxes.get(containerId);
  }

  async saveSandbox(record: SandboxRecord): Promise<void> {
    await writeJsonAtomic(path.join(this.sandboxDirectory, `${record.containerId}.json`), record);
    this.sandboxes.set(record.containerId, record);
  }

  async deleteSandbox(containerId: string): Promise<void> {
    await fs.rm(path.join(this.sandboxDirectory, `${containerId}.json`), { force: true });
    this.sandboxes.delete(containerId);
  }
}

async function readRecords<T>(directory: string): Promise<T[]> {
  const records: T[] = [];
  for (const entry of await fs.readdir(directory)) {
    if (!entry.endsWith('.json') || entry.startsWith('.')) continue;
    const file = path.join(directory, entry);
    try {
      const record = await readJsonIfExists<T>(file);
      if (record) records.push(record);
    } catch (error) {
      // A corrupt record must not stop the daemon; the file stays for inspection.
      log.error({ err: error, file }, 'skip unreadable network record');
    }
  }
  return records;
}
