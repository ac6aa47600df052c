// Names of Berth's iptables chains, derived from the instance name so that
// two Berth instances (and Docker) keep separate chains.
import { createHash } from 'node:crypto';

export interface ChainNames {
  // filter table: jumped to from the top of FORWARD.
  forward: string;
  // filter table: the two stages of isolation between bridge networks.
  isolation1: string;
  isolation2: string;
  // nat table: published-port DNAT, jumped to from PREROUTING and OUTPUT.
  portMap: string;
  // nat table: masquerade rules, jumped to from the top of POSTROUTING.
  postrouting: string;
}

// iptables allows chain names of at most 28 characters.
const MAX_CHAIN_LENGTH = 28;
const MAX_SUFFIX = '-ISO1';

export function chainNames(instance: string): ChainNames {
  let tag = instance.toUpperCase();
  if (`BERTH-${tag}${MAX_SUFFIX}`.length > MAX_CHAIN_LENGTH) {
    // Long instance names keep a prefix and a hash, so they stay unique and within the limit.
    const hash = createHash('sha256').update(instance).digest('hex').slice(0, 6).toUpperCase();
    tag = `${tag.slice(0, MAX_CHAIN_LENGTH - 'BERTH-'.length - MAX_SUFFIX.length - 7)}-${hash}`;
  }
  return {
    forward: `BERTH-${tag}-FWD`,
    isolation1: `BERTH-${tag}-ISO1`,
    isolation2: `BERTH-${tag}-ISO2`,
    portMap: `BERTH-${tag}-NAT`,
    postrouting: `BERTH-${tag}-POST`,
  };
}
