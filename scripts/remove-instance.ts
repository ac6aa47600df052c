// Stops a Berth instance and removes everything it created on the host:
// containers (through runc), conmon monitors, mounts, bridges, firewall
// chains, the DNS resolver, cgroups and its directories.
//
//   node dist/scripts/remove-instance.js INSTANCE [ROOT]
//
// Without ROOT the instance's state is in /var/lib/INSTANCE and /run/INSTANCE.
import fs from 'node:fs';
import path from 'node:path';
import { removeInstance, removeInstanceObjects } from '../test/helpers/daemon';

async function main(): Promise<void> {
  const [instance, root] = process.argv.slice(2);
  if (!instance) {
    process.stderr.write('usage: node dist/scripts/remove-instance.js INSTANCE [ROOT]\n');
    process.exit(2);
  }
  const runRoot = root ? path.join(root, 'run') : `/run/${instance}`;
  const pidFile = path.join(runRoot, 'berthd.pid');
  if (fs.existsSync(pidFile)) {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    try {
      process.kill(pid, 'SIGTERM');
      process.stdout.write(`stopped berthd (PID ${pid})\n`);
    } catch {
      // Not running any more.
    }
  }
  if (root) {
    await removeInstance(instance, root);
  } else {
    await removeInstanceObjects(instance, `/var/lib/${instance}`, runRoot);
  }
  process.stdout.write(`removed instance ${instance}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`remove-instance: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
