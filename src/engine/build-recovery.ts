// Removes what builds interrupted by a daemon kill left behind: their step
// containers (found by the build ID label) and the mounts and directories
// under the build's temporary directory. Runs at daemon start, before any build.
import type { Logger } from '../common/logger';
import { BUILD_ID_LABEL } from './build-host';
import { removeBuildLeftovers } from './build-mounts';
import type { ContainerService } from './container-service';

export async function recoverBuilds(containers: ContainerService, temporaryDirectory: string, logger: Logger): Promise<void> {
  for (const record of containers.list()) {
    const buildId = record.spec.labels[BUILD_ID_LABEL];
    if (buildId === undefined) continue;
    try {
      await containers.remove(record.id, { force: true, volumes: true });
      logger.info({ build: buildId, container: record.id }, 'removed a step container of an interrupted build');
    } catch (error) {
      logger.error({ build: buildId, container: record.id, err: error }, 'remove a step container of an interrupted build failed');
    }
  }
  await removeBuildLeftovers(temporaryDirectory, logger);
}
