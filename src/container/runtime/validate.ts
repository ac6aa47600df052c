// Create-time checks of the runtime settings in a ContainerSpec, so that a
// request Docker would reject fails at create with Docker's message instead
// of failing later at start.
import { InvalidArgumentError } from '../../common/errors';
import type { ContainerSpec } from '../types';
import { validateCapabilities } from './capabilities';
import { validateDeviceMappings } from './devices';
import { validateResources, validateSysctls } from './limits';
import { validateMounts } from './mounts';
import { parseSecurityOptions } from './security-options';

export function validateSpec(spec: ContainerSpec): void {
  validateCapabilities(spec.capAdd, spec.capDrop);
  parseSecurityOptions(spec.securityOpt);
  validateResources(spec.resources);
  validateDeviceMappings(spec.resources.devices);
  validateSysctls(spec.sysctls, { hostNetwork: spec.networkMode === 'host', hostIpc: spec.ipcMode === 'host' });
  validateMounts(spec.mounts);

  if (spec.shmSize < 0) throw new InvalidArgumentError(`invalid ShmSize ${spec.shmSize}: the size must not be negative`);
  if (spec.consoleSize && spec.consoleSize.some((value) => !Number.isInteger(value) || value < 0 || value > 65535)) {
    throw new InvalidArgumentError(`invalid console size ${spec.consoleSize.join('x')}: height and width must be integers from 0 to 65535`);
  }
  if (typeof spec.networkMode === 'string' && spec.networkMode.startsWith('container:')) {
    throw new InvalidArgumentError(`invalid network mode "${spec.networkMode}": sharing another container's network namespace is not supported`);
  }
  if (spec.workingDir && !spec.workingDir.startsWith('/')) {
    throw new InvalidArgumentError(`the working directory '${spec.workingDir}' is invalid, it needs to be an absolute path`);
  }
}
