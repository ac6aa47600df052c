// Facts about the host and the engine instance that /info reports.
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { writeFileAtomic } from '../common/atomic-file';

// Returns this instance's stable ID, created on first start.
export async function readEngineId(dataRoot: string): Promise<string> {
  const file = path.join(dataRoot, 'engine-id');
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch {
    const id = randomUUID();
    await writeFileAtomic(file, `${id}\n`, 0o644);
    return id;
  }
}

export async function readOperatingSystem(): Promise<string> {
  try {
    const text = await fs.readFile('/etc/os-release', 'utf8');
    const match = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
    return match ? match[1] : 'Linux';
  } catch {
    return 'Linux';
  }
}
