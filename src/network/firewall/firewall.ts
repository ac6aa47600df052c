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

  // The restore input of the last successful apply(), or null after remove() and before the first apply.
  private applied: string | null = null;
  // The networks (as JSON) for which the jumps were last checked, or null when they must be checked.
  private jumpsCheckedFor: string | null = null;

  // Replaces the content of Berth's chains with the rules for state and makes sure the jumps exist.
  // A state whose rules equal the last applied ones changes nothing, so most container
  // starts and exits (those without published ports) run no iptables process at all.
  // The jumps are checked only when the set of networks changes, not when only published
  // ports do, because each check is an iptables process.
  // NOTE: rules deleted by another program since the last apply() come back only with the
  // next change of rules, and jumps only with the next change of networks or daemon start.
  async apply(state: FirewallState): Promise<void> {
    const input = restoreInput(this.chains, state);
    if (input === this.applied) return;

    // --noflush keeps every other chain; a ":CHAIN" line creates or empties Berth's own chain.
    await run('iptables-restore', ['-w', '--noflush'], { input });

    const networks = JSON.stringify(state.networks);
    if (networks !== this.jumpsCheckedFor) await this.ensureJumps(networks);
    this.applied = input;
  }

  private async ensureJumps(networks: string): Promise<void> {
    // The checks only read, so they run at the same time; the inserts run one after another.
    const jumps = jumpRules(this.chains);
    const present = await Promise.all(jumps.map((jump) => iptables(jump.table, ['-C', jump.chain, ...jump.rule], true)));
    for (const [index, jump] of jumps.entries()) {
      if (!present[index]) await iptables(jump.table, ['-I', jump.chain, '1', ...jump.rule]);
    }
    this.jumpsCheckedFor = networks;
  }

  // Deletes the jumps and Berth's chains; missing ones are fine.
  async remove(): Promise<void> {
    this.applied = null;
    this.jumpsCheckedFor = null;
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
