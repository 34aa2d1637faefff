/**
 * The bridge's masquerade (`ipMasq`): which backend, setup with its undo step, removal by
 * deterministic names on DEL, and GC. Rules are keyed by network, container ID and interface.
 */
import {
  firewallBackend,
  masqBackend,
  masqBackendReady,
  type Probes,
  resolveIptables,
  resolveNft,
  setupMasq,
  teardownMasq,
} from "../../src/firewall/index.ts";
import { type CmdArgs, CniError } from "../../src/cni/index.ts";
import type { Rollback } from "../../src/container/index.ts";
import type { BridgeConf } from "./config.ts";

export interface MasqRef {
  network: string;
  containerId: string;
  ifname: string;
}

export const masqRef = (a: CmdArgs, conf: BridgeConf): MasqRef => ({ network: conf.network, containerId: a.containerId, ifname: a.ifname });

/**
 * "Is the tool there", without exec'ing it: a containerd-style ADD then costs no process beyond
 * the firewall batch itself (the reference runs `iptables -L` first).
 */
const pathProbes: Probes = {
  iptables: async () => resolveIptables(4) !== null,
  nftables: async () => resolveNft() !== null,
};

/** Before any change: the configured (or detected) backend must be usable. */
export async function checkMasqBackend(conf: BridgeConf): Promise<void> {
  await masqBackendReady(conf.raw.ipMasqBackend, pathProbes);
}

/** Masquerade for the container's addresses; its teardown is queued on `undo` first. */
export async function addMasq(conf: BridgeConf, ref: MasqRef, addresses: string[], undo: Rollback): Promise<void> {
  const backend = await masqBackend(conf.raw.ipMasqBackend, pathProbes);
  undo.push("masquerade teardown", () => teardownMasq(ref));
  await setupMasq({ ...ref, addresses }, backend);
}

/**
 * Masquerade teardown for DEL. An interface name nft strings cannot carry (`"`, `\\`) can never
 * have had nft rules; its iptables rules are keyed by network and container ID only, so those are
 * removed and DEL does not fail on the name.
 */
export async function removeMasq(ref: MasqRef, log: (line: string) => void): Promise<void> {
  if (!/["\\]/.test(ref.ifname)) return teardownMasq(ref);
  await firewallBackend("iptables")
    .removeOwned({ kind: "masquerade", ref })
    .catch((err: unknown) => log(`masquerade teardown: ${CniError.from(err).message}`));
}
