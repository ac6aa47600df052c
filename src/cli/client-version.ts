// The version berth reports for itself, read from package.json. It lives
// apart from the version command so `berth --version` loads no formatter.
import fs from 'node:fs';
import path from 'node:path';

// Reads the version from package.json (three levels above dist/src/cli), or "unknown" when it is missing.
export function clientVersion(): string {
  try {
    const file = path.resolve(__dirname, '..', '..', '..', 'package.json');
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
