/**
 * The nftables layout (tables `cni_plugins_masquerade` and `cni_hostport`), as the reference's
 * nftables backends write it. Every call is one transaction: a netlink batch where each step has
 * a netlink form, else one `nft -f -` (apply.ts).
 */
import { CniError, ErrorCode } from "../cni/index.ts";
import { type ApplyOptions, applyNft, readNft } from "./apply.ts";
import type { FirewallBackend, Owner, Stale, Want } from "./backend.ts";
import { nftablesUsable } from "./detect.ts";
import { resolveNft } from "./exec.ts";
import { portmapNftGcOps } from "./gc.ts";
import { masqNftGcOps } from "./masq-gc.ts";
import { type Family, nftTableKey } from "./model.ts";
import { MASQ_NFT_TABLE, PORTMAP_NFT_CHAINS, portmapNftTable, SHARED } from "./names.ts";
import { countRulesWithComment } from "./nftables.ts";
import { masqNftAdd, masqNftDel, portmapMasqSources, portmapNftAdd, portmapNftDel } from "./nftables-plans.ts";
import type { FirewallSnapshot } from "./scan.ts";
import { parseCidr, parseIp } from "./validate.ts";

const fail = (msg: string): CniError => new CniError(ErrorCode.Internal, msg);

/** Runs `fn`; its error is reported as `wrap(message)`, or (with `onlyIfUsable`) dropped where nft is not usable. */
async function reported(fn: () => Promise<void>, wrap: (msg: string) => string, opts: ApplyOptions, onlyIfUsable = false): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (onlyIfUsable && !(await nftablesUsable(opts.run))) return;
    throw fail(wrap(CniError.from(err).message));
  }
}

const same = (msg: string): string => msg;

/** CHECK for one family: as many rules carrying the container ID as the plan writes, per chain. */
async function checkPortmapFamily(req: Extract<Want, { kind: "portmap" }>["reqs"][number], opts: ApplyOptions): Promise<void> {
  const c = parseCidr("container address", req.containerIp);
  const ref = portmapNftTable(c.family);
  const table = (await readNft([ref], opts)).get(nftTableKey(ref));
  const hostPorts = req.mappings.filter((m) => !m.hostIP || parseIp("host IP", m.hostIP).family === c.family).length;
  const masq = req.snat ? portmapMasqSources(c).length : 0;
  for (const [chain, want] of [[SHARED.hostports, hostPorts], [SHARED.hostportMasquerading, masq]] as const) {
    if (want > 0 && countRulesWithComment(table, chain, req.containerId) < want) throw fail(`missing hostport rules in "${chain}" chain`);
  }
}

export const nftablesBackend: FirewallBackend = {
  name: "nftables",


  async snapshot(opts: ApplyOptions = {}): Promise<Partial<FirewallSnapshot>> {
    if (resolveNft() === null) return {};
    try {
      return { nft: await readNft([MASQ_NFT_TABLE, portmapNftTable(4), portmapNftTable(6)], opts) };
    } catch (err) {
      return { problems: [err instanceof Error ? err.message : String(err)] };
    }
  },

  async apply(want: Want, opts: ApplyOptions = {}): Promise<void> {
    if (want.kind === "masquerade") return applyNft(masqNftAdd(want.req), opts);
    // Both families in one transaction: all or nothing.
    const plan = { ops: want.reqs.flatMap((req) => portmapNftAdd(req).ops) };
    await reported(() => applyNft(plan, opts), (m) => `unable to set up nftables rules for port mappings: ${m}`, opts);
  },

  // The reference's bridge CHECK does not look at masquerading.
  async check(want: Want, opts: ApplyOptions = {}): Promise<void> {
    if (want.kind === "portmap") for (const req of want.reqs) await checkPortmapFamily(req, opts);
  },

  async removeOwned(owner: Owner, opts: ApplyOptions = {}): Promise<void> {
    if (owner.kind === "masquerade") return reported(() => applyNft(masqNftDel(owner.ref), opts), same, opts, true);
    if (resolveNft() === null) return; // no nft: no rules it could have written
    await reported(() => applyNft(portmapNftDel(owner.ref), opts), (m) => `error deleting nftables rules: ${m}`, opts);
  },

  async removeStale(stale: Stale, opts: ApplyOptions = {}): Promise<void> {
    if (stale.kind === "masquerade") {
      const sweep = async (): Promise<void> => {
        const ops = masqNftGcOps(stale, (await readNft([MASQ_NFT_TABLE], opts)).get(nftTableKey(MASQ_NFT_TABLE)));
        await applyNft({ ops }, opts);
      };
      return reported(sweep, same, opts, true);
    }
    const refs = ([4, 6] as const).map((f) => portmapNftTable(f));
    const state = await readNft(refs, opts);
    const tables = new Map<Family, ReadonlySet<string>>();
    for (const family of [4, 6] as const) {
      const t = state.get(nftTableKey(portmapNftTable(family)));
      if (t === undefined) continue;
      tables.set(family, new Set(t.rules.filter((r) => PORTMAP_NFT_CHAINS.includes(r.chain) && r.comment !== undefined).map((r) => r.comment ?? "")));
    }
    const ops = portmapNftGcOps(stale.validContainerIds, tables);
    await reported(() => applyNft({ ops }, opts), (m) => `portmap GC: ${m}`, opts);
  },
};
