// Deletes the veth pairs of released sandboxes in the background. The kernel
// took 10 to 50 ms per `ip link delete` of a veth pair on a 2-core VM under
// load, mostly waiting for RCU grace periods. A container's exit need not wait
// for that, because host interface names are random and the release unmounts
// the peer's namespace at the same time. Once the kernel frees that namespace,
// it deletes the pair by itself. The deletion here covers a namespace that
// something still holds open.
import { subsystemLogger } from '../../common/logger';
import { deleteLink } from './iproute';

const log = subsystemLogger('network-bridge');

export class BackgroundLinkDeleter {
  private readonly pending = new Set<Promise<void>>();

  // Starts deleting the link; a failure is logged with the given ids, not thrown.
  delete(name: string, ids: Record<string, string>): void {
    const deletion = deleteLink(name)
      .then(() => undefined)
      .catch((error: unknown) => {
        log.error({ err: error, interface: name, ...ids }, 'delete veth of released endpoint failed');
      })
      .finally(() => {
        this.pending.delete(deletion);
      });
    this.pending.add(deletion);
  }

  // Resolves once every deletion started so far has finished.
  async settled(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}
