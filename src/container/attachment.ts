/**
 * What any plugin that gives a container addresses does around its interface (the reference's
 * pkg/ipam and ip.SetupIPMasq): IPAM through the configured plugin with its release queued for a
 * failed ADD, and masquerading of the attachment's addresses through the firewall seam, keyed by
 * network, container ID and interface so DEL and GC find it by name.
 */
import { type CmdArgs, delegate, internalError, type Result, UnusableResultError, type Verb } from "../cni/index.ts";
import type { FirewallBackend } from "../firewall/index.ts";
import { logStep } from "../log.ts";
import type { Rollback } from "./rollback.ts";

/**
 * The firewall's masquerade surface loaded when masquerading is asked for, not with the plugin: a
 * bridge without ipMasq (and CHECK) then never evaluates it (-1.3 M instructions of `load`), and a
 * masquerading one only what masquerading runs.
 */
const firewall = (): Promise<typeof import("../firewall/masq-surface.ts")> => import("../firewall/masq-surface.ts");

/** The configured IPAM plugin, in process or exec'd, with this call's stdin and env. */
export function ipamCall(a: CmdArgs, ipamType: string, command: Verb): Promise<Result | undefined> {
  return delegate({ plugin: ipamType, command, stdin: a.stdin, env: a.env, cniVersion: a.cniVersion });
}

/** Addresses from IPAM into `result`; once IPAM holds them, their release is queued on `undo`. */
export async function allocateIpam(a: CmdArgs, ipamType: string, undo: Rollback, result: Result): Promise<void> {
  const releaseLater = (): void => undo.push("IPAM DEL", async () => void (await ipamCall(a, ipamType, "DEL")));
  let ipamResult: Result | undefined;
  try {
    ipamResult = await ipamCall(a, ipamType, "ADD");
    logStep("ipam");
  } catch (err) {
    // A failed IPAM ADD gives its addresses back itself; a successful one with a result we
    // cannot read still holds them.
    if (err instanceof UnusableResultError) releaseLater();
    throw err;
  }
  releaseLater();
  result.ips = ipamResult?.ips ?? [];
  if (ipamResult?.routes !== undefined) result.routes = ipamResult.routes;
  if (ipamResult?.dns !== undefined) result.dns = ipamResult.dns;
  if (result.ips.length === 0) throw internalError("IPAM plugin returned missing IP config");
}

/** Whose masquerade rules: one attachment of one network. */
export interface MasqRef {
  network: string;
  containerId: string;
  ifname: string;
}

export const masqRef = (a: CmdArgs, network: string): MasqRef => ({ network, containerId: a.containerId, ifname: a.ifname });

/**
 * Before any change: the configured (or detected) backend must be usable. "Usable" here is "its
 * tool is installed", asked without exec'ing it: an ADD then costs no process beyond the
 * firewall batch itself (the reference runs `iptables -L` first).
 */
export async function masqBackend(configured: string | undefined): Promise<FirewallBackend> {
  return (await firewall()).masqBackendReady(configured);
}

/** Masquerade for the attachment's addresses; its teardown is queued on `undo` first. */
export async function addMasq(backend: FirewallBackend, ref: MasqRef, addresses: string[], undo: Rollback): Promise<void> {
  const { setupMasq, teardownMasq } = await firewall();
  undo.push("masquerade teardown", () => teardownMasq(ref));
  await setupMasq({ ...ref, addresses }, backend);
  logStep("firewall");
}

/** DEL: from every backend (another configuration may have set it up), by name, link or netns gone or not. */
export async function removeMasq(ref: MasqRef): Promise<void> {
  return (await firewall()).teardownMasq(ref);
}

/** GC: the network's masquerade rules of attachments not in `valid`. */
export async function gcMasqFor(network: string, valid: readonly { containerId: string; ifname: string }[]): Promise<void> {
  return (await firewall()).gcMasq({ network, valid: [...valid] });
}
