// The Volume shape of the volume endpoints and the ExecInspect shape of GET /exec/{id}/json.
import type { ExecRecord } from '../../engine/engine';
import type { VolumeRecord } from '../../volume/types';

export function volumeShape(volume: VolumeRecord): Record<string, unknown> {
  return {
    CreatedAt: volume.createdAt,
    Driver: volume.driver,
    Labels: volume.labels,
    Mountpoint: volume.mountpoint,
    Name: volume.name,
    Options: volume.options,
    Scope: 'local',
  };
}

export function execInspectShape(exec: ExecRecord): Record<string, unknown> {
  const [entrypoint = '', ...args] = exec.spec.cmd;
  return {
    ID: exec.id,
    Running: exec.running,
    ExitCode: exec.exitCode,
    ProcessConfig: {
      tty: exec.spec.tty,
      entrypoint,
      arguments: args,
      privileged: exec.spec.privileged,
      user: exec.spec.user,
    },
    OpenStdin: exec.spec.attachStdin,
    OpenStderr: exec.spec.attachStderr,
    OpenStdout: exec.spec.attachStdout,
    CanRemove: false,
    ContainerID: exec.containerId,
    DetachKeys: exec.spec.detachKeys ?? '',
    Pid: exec.pid,
  };
}
