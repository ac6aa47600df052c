// Entry point of the embedded DNS resolver process: `node resolver-main.js DIR`.
// It runs detached from berthd, so name resolution keeps working while berthd
// restarts, reads DIR/records.json on SIGHUP and every second, and exits when
// DIR is removed or on SIGTERM.
import fs from 'node:fs';
import path from 'node:path';
import { configureLogger, subsystemLogger } from '../../common/logger';
import { EmbeddedResolver } from './resolver';

const RELOAD_INTERVAL_MS = 1000;

function main(): void {
  const directory = process.argv[2];
  if (!directory) {
    process.stderr.write('usage: resolver-main DIRECTORY\n');
    process.exit(2);
  }
  configureLogger((process.env.BERTH_LOG_LEVEL as 'info' | undefined) ?? 'info');
  const log = subsystemLogger('dns');
  const resolver = new EmbeddedResolver(path.join(directory, 'records.json'), log);

  let reloading = false;
  const reload = () => {
    if (reloading) return;
    reloading = true;
    resolver
      .reload()
      .catch((error: unknown) => log.error({ err: error }, 'reload failed'))
      .finally(() => {
        reloading = false;
      });
  };

  const timer = setInterval(() => {
    if (!fs.existsSync(directory)) {
      log.info({ directory }, 'resolver directory removed; exiting');
      shutdown();
      return;
    }
    reload();
  }, RELOAD_INTERVAL_MS);

  const shutdown = () => {
    clearInterval(timer);
    resolver.close();
    process.exit(0);
  };
  process.on('SIGHUP', reload);
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  log.info({ directory, pid: process.pid }, 'resolver started');
  reload();
}

main();
