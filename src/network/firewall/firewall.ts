// Applies Berth's iptables rules (iptables-nft on Debian 12) and removes them.
// Only Berth's own chains are rewritten; the built-in chains get one jump each.
import { run, SubprocessError } from '../../common/subprocess';
import { chainNames, type ChainNames } from './chains';
import { jumpRules, restoreInput, type FirewallState } from './rules';

export class Firewall {
  readonly chains: ChainNames;

  constructor(instance: string) {
    this.chains = chainNames(instance);
  }

  // Replaces the content of Berth's chains with the rules for state and makes sure the jumps exist.
  async apply(state: FirewallState): Promise<void> {
    // --noflush keeps every other chain; a ":CHAIN" line creates or empties Berth's own chain.
    await run('iptables-restore', ['-w', '--noflush'], { input: restoreInput(this.chains, state) });
    for (const jump of jumpRules(this.chains)) {
      const exists = await iptables(jump.table, ['-C', jump.chain, ...jump.rule], true);
      if (!exists) await iptables(jump.table, ['-I', jump.chain, '1', ...jump.rule]);
    }
  }

  // Deletes the jumps and Berth's chains; missing ones are fine.
  async remove(): Promise<void> {
    for (const jump of jumpRules(this.chains)) {
      while (await iptables(jump.table, ['-D', jump.chain, ...jump.rule], true)) {
        // Deletes one copy per call, until none is left.
      }
    }
    const filterChains = [this.chains.forward, this.chains.isolation1, this.chains.isolation2];
    const natChains = [this.chains.portMap, this.chains.postrouting];
    for (const chain of filterChains) await iptables('filter', ['-F', chain], true);
    for (const chain of natChains) await iptables('nat', ['-F', chain], true);
    for (const chain of filterChains) await iptables('filter', ['-X', chain], true);
    for (const chain of natChains) await iptables('nat', ['-X', chain], true);
  }
}

// Runs iptables; with allowFailure, a rule or chain that does not exist returns false instead of throwing.
async function iptables(table: string, args: string[], allowFailure = false): Promise<boolean> {
  try {
    await run('iptables', ['-w', '-t', table, ...args]);
    return true;
  } catch (error) {
    if (allowFailure && error instanceof SubprocessError && error.exitCode === 1) return false;
    throw error;
  }
}
