// sha256 digests in the OCI form "sha256:<64 lowercase hex>", and the chain
// IDs that name a layer together with every layer below it.
import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '../common/errors';

const SHA256_DIGEST = /^sha256:([a-f0-9]{64})$/;

export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

// Returns the hex part of a sha256 digest; throws InvalidArgumentError naming
// the value when it is not "sha256:" followed by 64 lowercase hex digits.
export function digestHex(digest: string, what = 'digest'): string {
  const match = SHA256_DIGEST.exec(digest);
  if (!match) {
    throw new InvalidArgumentError(`invalid ${what} "${digest}": expected "sha256:" followed by 64 lowercase hex digits`);
  }
  return match[1];
}

// Computes chain IDs as the OCI image spec defines them: the first layer's
// chain ID is its diff ID, and each next one is sha256("<parent chain ID> <diff ID>").
export function chainIds(diffIds: readonly string[]): string[] {
  const result: string[] = [];
  for (const diffId of diffIds) {
    const parent = result[result.length - 1];
    result.push(parent === undefined ? diffId : sha256Digest(`${parent} ${diffId}`));
  }
  return result;
}
