// Reconciles container records with the host when berthd starts. Containers
// that conmon kept running while berthd was away stay running. Containers
// that exited meanwhile get their real exit code, which conmon wrote to the
// exit directory, and their restart policy. After a host reboot the exit
// directory is empty, so they are recorded as exited with 255, as Docker
// does, and restart policies decide which start again.
import type { Logger } from '../common/logger';
import type { ContainerRuntime } from '../container/runtime';
import { isActive } from '../container/state-machine';
import type { ContainerStore } from '../container/store';
import type { ContainerService } from './container-service';

const UNKNOWN_EXIT_CODE = 255;

export async function recoverContainers(service: ContainerService, store: ContainerStore, runtime: ContainerRuntime, logger: Logger): Promise<void> {
  const stoppedAlways: string[] = [];
  for (const record of store.all()) {
    const status = record.state.status;
    if (status === 'exited' && record.manuallyStopped && record.spec.restartPolicy.name === 'always') stoppedAlways.push(record.id);
    if (status === 'created' || status === 'exited' || status === 'dead') continue;

    try {
      if (status === 'restarting') {
        service.scheduleRestart(record, 0);
        continue;
      }
      if (status === 'removing') {
        logger.info({ container: record.id }, 'finishing interrupted removal');
        await service.remove(record.id, { force: true, volumes: false });
        continue;
      }
      if (await runtime.isRunning(record.id)) {
        logger.info({ container: record.id, pid: record.state.pid }, 'container still running');
        runtime.keepLogs(record);
        continue;
      }
      await service.locks.run(record.id, async () => {
        // The exit watcher may have recorded this exit already, from the exit file conmon wrote.
        if (!isActive(record.state.status)) return;
        const exit = await runtime.collectExit(record.id);
        if (exit) {
          logger.info({ container: record.id, exitCode: exit.exitCode }, 'container exited while berthd was down');
          await service.recordExitLocked(record, exit.exitCode, exit.oomKilled, exit.finishedAt);
        } else {
          logger.warn({ container: record.id }, 'container is gone without an exit code, probably because the host rebooted');
          await service.recordExitLocked(record, UNKNOWN_EXIT_CODE, false, new Date().toISOString());
        }
      });
    } catch (error) {
      logger.error({ container: record.id, err: error }, 'recovering container failed');
    }
  }

  // Docker starts a stopped container with the "always" policy again when its daemon starts.
  // Only "unless-stopped" remembers that the user stopped it.
  for (const id of stoppedAlways) {
    try {
      logger.info({ container: id }, 'starting a stopped container with restart policy always');
      await service.start(id);
    } catch (error) {
      logger.error({ container: id, err: error }, 'starting a container with restart policy always failed');
    }
  }
}
