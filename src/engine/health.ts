// Health checks: one timer per running container with a health check, each
// probe an exec session, and dockerd's state machine over the results.
// starting -> healthy on the first success; -> unhealthy after `retries`
// consecutive failures, where failures inside the start period do not count.
import { errorMessage } from '../common/errors';
import type { Logger } from '../common/logger';
import type { ContainerRecord, HealthProbeResult, HealthState } from '../container/types';
import type { ImageRuntimeConfig } from '../image/types';
import type { EventLog } from './events';
import type { ExecService } from './exec-service';
import { formatGoDuration, resolveHealthCheck, type HealthCheckConfig } from './health-config';

// dockerd keeps the last 5 probe results and the first 4096 bytes of each probe's output.
const MAX_LOG_ENTRIES = 5;
const MAX_OUTPUT_BYTES = 4096;

export interface HealthMonitorDependencies {
  execs: ExecService;
  // Returns the image's runtime config, or null when the image is gone.
  imageConfig: (imageId: string) => ImageRuntimeConfig | null;
  // Persists the record after a status change.
  save: (record: ContainerRecord) => Promise<void>;
  eventLog: EventLog;
  logger: Logger;
}

interface Monitor {
  timer: NodeJS.Timeout | null;
  stopped: boolean;
}

export class HealthMonitor {
  private readonly monitors = new Map<string, Monitor>();

  constructor(private readonly dependencies: HealthMonitorDependencies) {}

  // Starts probing a container that has just started (or was found running after a daemon restart).
  startMonitor(record: ContainerRecord): void {
    this.stopMonitor(record.id);
    const config = resolveHealthCheck(record, this.dependencies.imageConfig(record.imageId));
    if (config === null) {
      delete record.state.health;
      return;
    }
    // As in dockerd, every start begins in "starting" and keeps the earlier probe log.
    record.state.health = { status: 'starting', failingStreak: 0, log: record.state.health?.log ?? [] };
    const monitor: Monitor = { timer: null, stopped: false };
    this.monitors.set(record.id, monitor);
    this.schedule(record, config, monitor);
  }

  stopMonitor(containerId: string): void {
    const monitor = this.monitors.get(containerId);
    if (!monitor) return;
    monitor.stopped = true;
    if (monitor.timer) clearTimeout(monitor.timer);
    this.monitors.delete(containerId);
  }

  stopAll(): void {
    for (const id of [...this.monitors.keys()]) this.stopMonitor(id);
  }

  private schedule(record: ContainerRecord, config: HealthCheckConfig, monitor: Monitor): void {
    const inStartPeriod = Date.now() - Date.parse(record.state.startedAt) < config.startPeriodMs;
    const delay = record.state.health?.status === 'starting' && inStartPeriod ? config.startIntervalMs : config.intervalMs;
    monitor.timer = setTimeout(() => {
      monitor.timer = null;
      void this.probeAndRecord(record, config, monitor).finally(() => {
        if (!monitor.stopped) this.schedule(record, config, monitor);
      });
    }, delay);
  }

  private async probeAndRecord(record: ContainerRecord, config: HealthCheckConfig, monitor: Monitor): Promise<void> {
    // A paused container cannot run an exec; dockerd skips the probe as well.
    if (record.state.status === 'paused') return;
    if (record.state.status !== 'running') {
      this.stopMonitor(record.id);
      return;
    }
    const result = await this.probe(record, config);
    if (monitor.stopped) return;
    await this.record(record, config, result);
  }

  private async probe(record: ContainerRecord, config: HealthCheckConfig): Promise<HealthProbeResult> {
    const start = new Date().toISOString();
    const { execs, logger } = this.dependencies;
    let execId: string | null = null;
    try {
      execId = execs.create(record.id, {
        cmd: config.command,
        env: [],
        workingDir: '',
        user: '',
        privileged: false,
        tty: false,
        attachStdin: false,
        attachStdout: true,
        attachStderr: true,
        detachKeys: null,
        consoleSize: null,
      });
      const session = await execs.start(execId, { detach: false, consoleSize: null });
      if (!session) throw new Error('the exec session has no output stream');
      const outcome = await collectOutput(session.output, config.timeoutMs);
      if (outcome.timedOut) {
        session.close();
        execs.killExec(execId);
        return { start, end: new Date().toISOString(), exitCode: -1, output: `Health check exceeded timeout (${formatGoDuration(config.timeoutMs)})` };
      }
      const exitCode = execs.inspect(execId).exitCode ?? -1;
      return { start, end: new Date().toISOString(), exitCode, output: outcome.output };
    } catch (error) {
      logger.warn({ container: record.id, exec: execId, err: error }, 'health check probe failed to run');
      return { start, end: new Date().toISOString(), exitCode: -1, output: errorMessage(error) };
    } finally {
      if (execId) execs.discard(execId);
    }
  }

  private async record(record: ContainerRecord, config: HealthCheckConfig, result: HealthProbeResult): Promise<void> {
    const health: HealthState = record.state.health ?? { status: 'starting', failingStreak: 0, log: [] };
    const previous = health.status;
    health.log = [...health.log, result].slice(-MAX_LOG_ENTRIES);

    if (result.exitCode === 0) {
      health.failingStreak = 0;
      health.status = 'healthy';
    } else {
      const probeOffsetMs = Date.parse(result.start) - Date.parse(record.state.startedAt);
      const ignored = health.status === 'starting' && probeOffsetMs < config.startPeriodMs;
      if (!ignored) {
        health.failingStreak += 1;
        if (health.failingStreak >= config.retries) health.status = 'unhealthy';
      }
    }
    record.state.health = health;
    if (health.status === previous) return;

    this.dependencies.logger.info({ container: record.id, from: previous, to: health.status, failingStreak: health.failingStreak }, 'health status changed');
    this.dependencies.eventLog.container(record, `health_status: ${health.status}`);
    await this.dependencies.save(record).catch((error: unknown) => {
      this.dependencies.logger.warn({ container: record.id, err: error }, 'saving health status failed');
    });
  }
}

// Reads an exec's output until it ends or the timeout passes, keeping the first MAX_OUTPUT_BYTES.
function collectOutput(output: NodeJS.ReadableStream, timeoutMs: number): Promise<{ output: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (timedOut: boolean) => {
      clearTimeout(timer);
      output.removeListener('data', onData);
      output.removeListener('end', onEnd);
      output.removeListener('error', onEnd);
      resolve({ output: Buffer.concat(chunks).toString('utf8'), timedOut });
    };
    const onData = (chunk: { data: Buffer }) => {
      if (size >= MAX_OUTPUT_BYTES) return;
      const part = chunk.data.subarray(0, MAX_OUTPUT_BYTES - size);
      chunks.push(part);
      size += part.length;
    };
    const onEnd = () => finish(false);
    const timer = setTimeout(() => finish(true), timeoutMs);
    output.on('data', onData);
    output.on('end', onEnd);
    output.on('error', onEnd);
  });
}
