/**
 * The bridge's masquerade (`ipMasq`): which backend (resolved once, before any change), setup
 * with its undo step, removal by deterministic names on DEL. Rules are keyed by network,
 * container ID and interface; every backend's naming limits are its own business.
 */
import { type FirewallBackend, masqBackendReady, setupMasq, teardownMasq } from "../../src/firewall/index.ts";
import type { CmdArgs } from "../../src/cni/index.ts";
import type { Rollback } from "../../src/container/index.ts";
import type { BridgeConf } from "./config.ts";

export interface MasqRef {
  network: string;
  containerId: string;
  ifname: string;
}

export const masqRef = (a: CmdArgs, conf: BridgeConf): MasqRef => ({ network: conf.network, containerId: a.containerId, ifname: a.ifname });

/**
 * Before any change: the configured (or detected) backend must be usable. "Usable" here is "its
 * tool is installed", asked without exec'ing it: a containerd-style ADD then costs no process
 * beyond the firewall batch itself (the reference runs `iptables -L` first).
 */
export function checkMasqBackend(conf: BridgeConf): Promise<FirewallBackend> {
  return masqBackendReady(conf.raw.ipMasqBackend);
}

/** Masquerade for the container's addresses; its teardown is queued on `undo` first. */
export async function addMasq(backend: FirewallBackend, ref: MasqRef, addresses: string[], undo: Rollback): Promise<void> {
  undo.push("masquerade teardown", () => teardownMasq(ref));
  await setupMasq({ ...ref, addresses }, backend);
}

/** Masquerade teardown for DEL, from every backend (it may have been set up by another configuration). */
export function removeMasq(ref: MasqRef): Promise<void> {
  return teardownMasq(ref);
}
