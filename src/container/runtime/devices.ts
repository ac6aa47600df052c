// Device nodes and the device cgroup allow list of a container: Docker's
// default list, --device additions, or every host device when privileged.
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, hasErrorCode } from '../../common/errors';
import type { DeviceMapping } from '../types';
import type { OciDeviceRule } from './limits';

export interface OciDevice {
  path: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
}

// The device cgroup rules Docker gives every unprivileged container (runc's
// default allowed devices): mknod of any device, plus read and write on
// null, zero, full, random, urandom, tty, ptmx, the pty slaves and tun.
const DEFAULT_DEVICE_RULES: OciDeviceRule[] = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'b', access: 'm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
  { allow: true, type: 'c', major: 136, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' },
];

// Linux dev_t encoding (glibc's gnu_dev_major and gnu_dev_minor).
function deviceNumbers(rdev: number): { major: number; minor: number } {
  const value = BigInt(rdev);
  const major = Number(((value >> 8n) & 0xfffn) | ((value >> 32n) & ~0xfffn));
  const minor = Number((value & 0xffn) | ((value >> 12n) & ~0xffn));
  return { major, minor };
}

function describeDevice(hostPath: string, containerPath: string): OciDevice | null {
  const stat = fs.statSync(hostPath);
  let type: 'c' | 'b';
  if (stat.isCharacterDevice()) type = 'c';
  else if (stat.isBlockDevice()) type = 'b';
  else return null;
  const { major, minor } = deviceNumbers(stat.rdev);
  return { path: containerPath, type, major, minor, fileMode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid };
}

export function validateDeviceMappings(devices: readonly DeviceMapping[]): void {
  for (const device of devices) {
    if (!/^[rwm]*$/.test(device.cgroupPermissions) || device.cgroupPermissions === '') {
      throw new InvalidArgumentError(`invalid device mode "${device.cgroupPermissions}" for ${device.pathOnHost}: use a combination of r, w and m`);
    }
    if (device.pathInContainer && !path.isAbsolute(device.pathInContainer)) {
      throw new InvalidArgumentError(`invalid device path "${device.pathInContainer}" in the container: the path must be absolute`);
    }
  }
}

// Returns the device nodes and cgroup rules for --device mappings. A
// directory maps every device below it, as in Docker.
export function mappedDevices(mappings: readonly DeviceMapping[]): { devices: OciDevice[]; rules: OciDeviceRule[] } {
  const devices: OciDevice[] = [];
  const rules: OciDeviceRule[] = [];
  for (const mapping of mappings) {
    const containerRoot = mapping.pathInContainer || mapping.pathOnHost;
    let found: OciDevice[];
    try {
      found = fs.statSync(mapping.pathOnHost).isDirectory()
        ? walkDevices(mapping.pathOnHost, new Set()).map((device) => ({ ...device, path: path.join(containerRoot, path.relative(mapping.pathOnHost, device.path)) }))
        : [describeDevice(mapping.pathOnHost, containerRoot)].filter((device): device is OciDevice => device !== null);
    } catch (error) {
      throw new InvalidArgumentError(`error gathering device information while adding custom device "${mapping.pathOnHost}": ${(error as Error).message}`, { cause: error });
    }
    if (found.length === 0) {
      throw new InvalidArgumentError(`error gathering device information while adding custom device "${mapping.pathOnHost}": not a device node`);
    }
    for (const device of found) {
      devices.push(device);
      rules.push({ allow: true, type: device.type, major: device.major, minor: device.minor, access: mapping.cgroupPermissions });
    }
  }
  return { devices, rules };
}

// Directories under /dev that hold no device nodes a privileged container should get.
const SKIPPED_DEV_DIRECTORIES = new Set(['pts', 'shm', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

// Lists the character and block devices under a directory, skipping links.
function walkDevices(directory: string, skipped: ReadonlySet<string>): OciDevice[] {
  const found: OciDevice[] = [];
  for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) {
      if (!skipped.has(entry.name)) found.push(...walkDevices(full, skipped));
    } else if (entry.isCharacterDevice() || entry.isBlockDevice()) {
      try {
        const device = describeDevice(full, full);
        if (device) found.push(device);
      } catch (error) {
        // A device that vanished while listing is left out.
        if (!hasErrorCode(error, 'ENOENT')) throw error;
      }
    }
  }
  return found;
}

export function deviceSettings(options: { privileged: boolean; mappings: readonly DeviceMapping[] }): { devices: OciDevice[]; rules: OciDeviceRule[] } {
  if (options.privileged) {
    // runc provides /dev/console and the pty slaves, and a privileged container gets every other host device.
    const devices = walkDevices('/dev', SKIPPED_DEV_DIRECTORIES).filter((device) => device.path !== '/dev/console' && device.path !== '/dev/ptmx');
    return { devices, rules: [{ allow: true, access: 'rwm' }] };
  }
  const mapped = mappedDevices(options.mappings);
  return { devices: mapped.devices, rules: [...DEFAULT_DEVICE_RULES, ...mapped.rules] };
}
