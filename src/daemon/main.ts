// berthd's entry point: read the settings, take the instance's PID file,
// bring up the engine (which reconnects to containers that kept running),
// then serve the API. SIGTERM and SIGINT stop the daemon, never the
// containers: conmon supervises them.
import fs from 'node:fs/promises';
import { createApiServer } from '../api/server';
import { loadConfig, storePaths, type DaemonConfig } from '../common/config';
import { errorMessage } from '../common/errors';
import { configureLogger, type LogLevel } from '../common/logger';
import { BERTH_VERSION, BerthEngine } from '../engine/berth-engine';
import { DAEMON_USAGE, parseDaemonFlags } from './flags';
import { claimPidFile, releasePidFile } from './pid-file';

export async function main(argv: string[]): Promise<void> {
  let config: DaemonConfig;
  try {
    const flags = parseDaemonFlags(argv);
    if (flags.help) {
      process.stdout.write(DAEMON_USAGE);
      return;
    }
    config = loadConfig(process.env, {
      instance: flags.instance,
      root: flags.root,
      socketPath: flags.socketPath,
      logLevel: flags.logLevel as LogLevel | undefined,
      runtime: flags.runtime,
      registry: {
        ...(flags.registryMirrors ? { mirrors: flags.registryMirrors } : {}),
        ...(flags.mirrorsOnly ? { mirrorsOnly: true } : {}),
      },
    });
  } catch (error) {
    process.stderr.write(`berthd: ${errorMessage(error)}\n`);
    process.exitCode = 2;
    return;
  }

  const logger = configureLogger(config.logLevel, config.logFile ?? 2);
  const paths = storePaths(config);
  await fs.mkdir(config.runRoot, { recursive: true, mode: 0o711 });
  try {
    await claimPidFile(paths.pidFile);
  } catch (error) {
    logger.fatal({ err: error }, 'cannot start');
    process.exitCode = 1;
    return;
  }

  logger.info({ instance: config.instance, dataRoot: config.dataRoot, runRoot: config.runRoot, socket: config.socketPath, version: BERTH_VERSION }, 'berthd starting');
  const engine = new BerthEngine(config, logger);
  const server = createApiServer(engine, { config, logger: logger.child({ subsystem: 'api' }), version: BERTH_VERSION });
  try {
    await engine.init();
    await server.listen(config.socketPath);
  } catch (error) {
    logger.fatal({ err: error }, 'berthd failed to start');
    await releasePidFile(paths.pidFile);
    process.exit(1);
  }
  logger.info({ socket: config.socketPath }, 'berthd ready');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'berthd stopping, containers keep running');
    engine.shutdown();
    void server
      .close()
      .catch((error: unknown) => logger.error({ err: error }, 'closing the API server failed'))
      .finally(() => {
        void releasePidFile(paths.pidFile).finally(() => {
          logger.info('berthd stopped');
          process.exit(0);
        });
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));
}
