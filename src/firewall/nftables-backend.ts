/**
 * The nftables layout (tables `cni_plugins_masquerade` and `cni_hostport`), as the reference's
 * nftables backends write it. Every call is one transaction: a netlink batch where each step has
 * a netlink form, else one `nft -f -` (apply.ts).
 */
import { CniError, ErrorCode } from "../cni/index.ts";
import { type ApplyOptions, applyNft, readNft } from "./apply.ts";
import { conditionsDialect, errorText, firstLineOf, type FirewallBackend, type FirewallView, type Owner, type PortmapOptions, type Stale, type Want } from "./backend.ts";
import { resolveNft, spawnTool } from "./exec.ts";
import { deleteNftMasqInstance } from "./masq-gc.ts";
import { nftTableKey } from "./model.ts";
import { MASQ_NFT_TABLE, portmapNftTable, SHARED } from "./names.ts";
import { countRulesWithComment } from "./nftables.ts";
import { masqNftAdd, masqNftDel, portmapMasqSources, portmapNftAdd, portmapNftDel } from "./nftables-plans.ts";
import { nodeMasqNftAdd, nodeMasqNftDel } from "./node-masq.ts";
import { deletableNftMasqInstances, describeNftEntry, nftablesView } from "./nftables-view.ts";
import { netlinkTransport } from "./transport.ts";
import { parseCidr, parseIp } from "./validate.ts";

const fail = (msg: string): CniError => new CniError(ErrorCode.Internal, msg);

/** Whether nft can check a transaction against the kernel (needs CAP_NET_ADMIN; changes nothing). */
export async function nftablesUsable(opts: ApplyOptions = {}): Promise<boolean> {
  const nft = resolveNft();
  if (nft === null) return false;
  const nl = await netlinkTransport(opts);
  if (nl !== undefined) return nl.nftWritable();
  try {
    return (await (opts.run ?? spawnTool)([nft, "--check", "add", "table", "ip", "supports_nftables_test"])).code === 0;
  } catch {
    return false;
  }
}

/** Without nft and without in-process nf_tables, nothing on this node could have written rules of this layout. */
async function nothingWritesNft(opts: ApplyOptions): Promise<boolean> {
  return resolveNft() === null && (await netlinkTransport(opts)) === undefined;
}

/** Runs `fn`; its error is reported as `wrap(message)`, or (with `onlyIfUsable`) dropped where nft is not usable. */
async function reported(fn: () => Promise<void>, wrap: (msg: string) => string, opts: ApplyOptions, onlyIfUsable = false): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (onlyIfUsable && !(await nftablesUsable(opts))) return;
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
  tool: "nft",
  install: { package: "nftables", neededBy: "the nftables backends" },
  version: () => firstLineOf(["nft", "--version"]),

  locate: () => (resolveNft() === null ? "failed to locate nft: executable file not found in $PATH" : undefined),

  usable: (opts: ApplyOptions = {}) => nftablesUsable(opts),

  portmapOptions(conf: PortmapOptions): string[] {
    const own: string[] = [];
    if (conditionsDialect(conf.conditionsV4) === "statements") own.push("conditionsV4");
    if (conditionsDialect(conf.conditionsV6) === "statements") own.push("conditionsV6");
    return own;
  },

  async read(opts: ApplyOptions = {}): Promise<FirewallView> {
    // ADD writes over netlink without the nft binary, so only a node with neither holds nothing of ours.
    if (await nothingWritesNft(opts)) return nftablesView(new Map());
    try {
      return nftablesView(await readNft([MASQ_NFT_TABLE, portmapNftTable(4), portmapNftTable(6)], opts));
    } catch (err) {
      return nftablesView(new Map(), [errorText(err)]);
    }
  },

  describe: describeNftEntry,

  async apply(want: Want, opts: ApplyOptions = {}): Promise<void> {
    if (want.kind === "masquerade") return applyNft(masqNftAdd(want.req), opts);
    if (want.kind === "node-masquerade") return applyNft(nodeMasqNftAdd(want.want), opts);
    // Both families in one transaction: all or nothing.
    const plan = { ops: want.reqs.flatMap((req) => portmapNftAdd(req).ops) };
    await reported(() => applyNft(plan, opts), (m) => `unable to set up nftables rules for port mappings: ${m}`, opts);
  },

  // The reference's bridge CHECK does not look at masquerading.
  async check(want: Want, opts: ApplyOptions = {}): Promise<void> {
    if (want.kind === "portmap") for (const req of want.reqs) await checkPortmapFamily(req, opts);
  },

  async removeOwned(owner: Owner, opts: ApplyOptions = {}): Promise<void> {
    if (owner.kind === "node-masquerade") return applyNft(nodeMasqNftDel(), opts);
    if (owner.kind === "masquerade") {
      // An interface name nft strings cannot carry (`"`, `\\`) can never have had nft rules.
      if (/["\\]/.test(owner.ref.ifname)) return;
      return reported(() => applyNft(masqNftDel(owner.ref), opts), same, opts, true);
    }
    // Without nft but with netlink, ADD wrote them in-process, so DEL removes them the same way.
    if (await nothingWritesNft(opts)) return;
    await reported(() => applyNft(portmapNftDel(owner.ref), opts), (m) => `error deleting nftables rules: ${m}`, opts);
  },

  async removeStale(stale: Stale, opts: ApplyOptions = {}): Promise<void> {
    if (stale.kind === "masquerade") {
      const sweep = async (): Promise<void> => {
        const state = await readNft([MASQ_NFT_TABLE], opts);
        await applyNft({ ops: deletableNftMasqInstances(state, stale).map(deleteNftMasqInstance) }, opts);
      };
      return reported(sweep, same, opts, true);
    }
    // portmap: this layout's rules name only their container, never its network, so one network's
    // GC cannot tell another network's live pod from a stale one; it leaves them all (as v1.9.1's
    // GC does). `tscni gc`, which sees every network's attachments and the cache, removes those
    // of containers live on no network.
  },
};
