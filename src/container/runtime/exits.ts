// Watches conmon's exit directory. conmon writes <exit-dir>/<container id>
// (the exit status as decimal text, 128 + signal for a killed process) when
// a container's main process ends, through a temporary file and a rename.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { hasErrorCode } from '../../common/errors';
import type { Logger } from '../../common/logger';

// Safety net for missed inotify events (an overflow, or a watch set up after
// the file appeared): the directory is listed again at this interval.
const RESCAN_INTERVAL_MS = 5_000;
const CONTAINER_ID = /^[0-9a-f]{64}$/;

export interface ExitFile {
  exitCode: number;
  finishedAt: string;
}

export async function readExitFile(exitsDir: string, containerId: string): Promise<ExitFile | null> {
  const file = path.join(exitsDir, containerId);
  try {
    const [text, stat] = await Promise.all([fsp.readFile(file, 'utf8'), fsp.stat(file)]);
    const exitCode = parseInt(text.trim(), 10);
    return { exitCode: Number.isNaN(exitCode) ? -1 : exitCode, finishedAt: stat.mtime.toISOString() };
  } catch (error) {
    if (hasErrorCode(error, 'ENOENT')) return null;
    throw error;
  }
}

export class ExitWatcher {
  private watcher: fs.FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  // Exit files already reported, so each exit is reported once until forget().
  private readonly reported = new Set<string>();

  constructor(
    private readonly exitsDir: string,
    private readonly logger: Logger,
  ) {}

  start(onExit: (containerId: string) => void): void {
    this.stop();
    const report = (name: string) => {
      if (!CONTAINER_ID.test(name) || this.reported.has(name)) return;
      if (!fs.existsSync(path.join(this.exitsDir, name))) return;
      this.reported.add(name);
      try {
        onExit(name);
      } catch (error) {
        this.logger.error({ container: name, err: error }, 'exit handler failed');
      }
    };
    const rescan = () => {
      fsp.readdir(this.exitsDir).then((names) => names.forEach(report), (error: unknown) => {
        this.logger.warn({ directory: this.exitsDir, err: error }, 'listing the exit directory failed');
      });
    };

    this.watcher = fs.watch(this.exitsDir, { persistent: false }, (_event, name) => {
      if (name) report(name.toString());
      else rescan();
    });
    this.watcher.on('error', (error) => {
      this.logger.warn({ directory: this.exitsDir, err: error }, 'watching the exit directory failed, relying on rescans');
    });
    this.timer = setInterval(rescan, RESCAN_INTERVAL_MS);
    this.timer.unref();
    rescan();
  }

  // Allows the next exit file of this container to be reported.
  forget(containerId: string): void {
    this.reported.delete(containerId);
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
