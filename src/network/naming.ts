// Names of kernel objects that the network module creates.
import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '../common/errors';

// Linux interface names have at most 15 characters (IFNAMSIZ 16 with the NUL).
export const MAX_INTERFACE_NAME = 15;

// Default bridge of an instance: "<instance>0", such as berth0. A long instance
// name keeps a prefix and a hash of the whole name so that it stays unique.
export function defaultBridgeName(instance: string): string {
  if (instance.length + 1 <= MAX_INTERFACE_NAME) return `${instance}0`;
  const hash = createHash('sha256').update(instance).digest('hex').slice(0, 6);
  return `${instance.slice(0, MAX_INTERFACE_NAME - 7)}${hash}0`;
}

// Bridge of a user network: "br-" and the first 12 hex digits of the network ID, as Docker names it.
export function userBridgeName(networkId: string): string {
  return `br-${networkId.slice(0, 12)}`;
}

const INTERFACE_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export function checkInterfaceName(name: string): string {
  if (name.length > MAX_INTERFACE_NAME || !INTERFACE_PATTERN.test(name)) {
    throw new InvalidArgumentError(`invalid bridge name "${name}": use at most ${MAX_INTERFACE_NAME} letters, digits, "_", "." or "-"`);
  }
  return name;
}

// Docker's rule for network names.
const NETWORK_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export function checkNetworkName(name: string): string {
  if (!NETWORK_NAME_PATTERN.test(name)) {
    throw new InvalidArgumentError(`invalid network name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return name;
}
