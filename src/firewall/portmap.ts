/** portmap: forward host ports to one container, check them, and remove them, in either backend. */
import { CniError, ErrorCode } from "../cni/index.ts";
import { type ApplyOptions, applyIptables, applyIptablesEach, applyNft, readIptables, readNft } from "./apply.ts";
import type { Backend } from "./detect.ts";
import { resolveIptables, resolveNft } from "./exec.ts";
import { findMissing } from "./iptables.ts";
import { portmapIptablesAdd, portmapIptablesDel } from "./iptables-plans.ts";
import { nftTableKey } from "./model.ts";
import { countRulesWithComment } from "./nftables.ts";
import { portmapNftTable, SHARED } from "./names.ts";
import { portmapMasqSources, portmapNftAdd, portmapNftDel } from "./nftables-plans.ts";
import type { PortmapRequest } from "./plans-types.ts";
import { parseCidr, parseIp } from "./validate.ts";

function fail(msg: string): CniError {
  return new CniError(ErrorCode.Internal, msg);
}

const familyTool = (family: 4 | 6 | undefined): string => (family === 6 ? "ip6tables" : "iptables");

/** One request per family with a container IP (v4 first, as the reference orders them). */
export async function setupPortmap(reqs: readonly PortmapRequest[], backend: Backend, opts: ApplyOptions = {}): Promise<void> {
  if (backend === "iptables") {
    try {
      await applyIptables(reqs.map(portmapIptablesAdd), opts);
    } catch (err) {
      throw fail(`unable to setup DNAT: ${CniError.from(err).message}`);
    }
    return;
  }
  try {
    // Both families in one transaction: one `nft -f -` per call, all or nothing.
    await applyNft({ ops: reqs.flatMap((req) => portmapNftAdd(req).ops) }, opts);
  } catch (err) {
    throw fail(`unable to set up nftables rules for port mappings: ${CniError.from(err).message}`);
  }
}

/**
 * Removes everything portmap added for this container. tscni runs this even when the DEL config
 * carries no port mappings (the reference then does nothing and leaks the rules).
 */
export async function teardownPortmap(
  ref: { readonly network: string; readonly containerId: string },
  backend: Backend,
  opts: ApplyOptions = {},
): Promise<void> {
  if (backend === "nftables") {
    if (resolveNft() === null) return; // no nft: no rules it could have written
    try {
      await applyNft(portmapNftDel(ref), opts);
    } catch (err) {
      throw fail(`error deleting nftables rules: ${CniError.from(err).message}`);
    }
    return;
  }
  // A family whose tool is not installed holds no rules to remove (a node without any firewall
  // tool must still be able to DEL its pods).
  const plans = portmapIptablesDel(ref).filter((p) => resolveIptables(p.family) !== null);
  const outcomes = await applyIptablesEach(plans, opts);
  const failed = outcomes.filter((o) => o.error !== undefined);
  if (outcomes.length > 0 && failed.length === outcomes.length) {
    const [v4, v6] = outcomes;
    if (outcomes.length === 1) throw fail(`${familyTool(v4?.family)} is not usable: ${v4?.error?.message}`);
    throw fail(`neither iptables nor ip6tables is usable, (iptables) ${v4?.error?.message}, (ip6tables) ${v6?.error?.message}`);
  }
}

/** CHECK: the reference's messages for a missing chain, rule, or nft rule count. */
export async function checkPortmap(reqs: readonly PortmapRequest[], backend: Backend, opts: ApplyOptions = {}): Promise<void> {
  for (const req of reqs) {
    const family = parseCidr("container address", req.containerIp).family;
    if (backend === "iptables") {
      const plan = portmapIptablesAdd(req);
      const missing = findMissing(plan, await readIptables(family, opts, plan.ops.map((op) => op.chain)));
      if (missing !== undefined) throw fail(`could not check ipv${family} dnat: ${missing}`);
      continue;
    }
    const ref = portmapNftTable(family);
    const table = (await readNft([ref], opts)).get(nftTableKey(ref));
    const hostPorts = req.mappings.filter((m) => !m.hostIP || parseIp("host IP", m.hostIP).family === family).length;
    const masq = req.snat ? portmapMasqSources(parseCidr("container address", req.containerIp)).length : 0;
    for (const [chain, want] of [[SHARED.hostports, hostPorts], [SHARED.hostportMasquerading, masq]] as const) {
      if (want > 0 && countRulesWithComment(table, chain, req.containerId) < want) throw fail(`missing hostport rules in "${chain}" chain`);
    }
  }
}
