// Deletes the veth pairs of released sandboxes in the background. The kernel
// takes 10 to 50 ms to delete a veth pair (measured with `ip link delete` on a
// 2-core VM under load), mostly waiting for RCU grace periods, and nothing in
// a container's exit has to wait for it: the interface names are random and
// never reused, and the namespace that held the peer is already unmounted.
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
