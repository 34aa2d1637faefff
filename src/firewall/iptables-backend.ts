/**
 * The iptables layout (table nat, `CNI-*` chains), as the reference's iptables backend writes it.
 * Reads and deletions go over nf_tables netlink where iptables is the nft flavour; rules are
 * written with one `iptables-restore --noflush` per family (apply.ts).
 */
import { CniError, ErrorCode } from "../cni/index.ts";
import { type ApplyOptions, applyIptables, applyIptablesEach, type FamilyOutcome, readIptables } from "./apply.ts";
import { conditionsDialect, errorText, firstLineOf, type FirewallBackend, type FirewallView, type Owner, type PortmapOptions, type Stale, type Want } from "./backend.ts";
import { resolveIptables, spawnTool } from "./exec.ts";
import { masqIptablesAdd, masqIptablesDel } from "./iptables-masq-plans.ts";
import type { Family, IptablesPlan, IptablesState } from "./model.ts";
import { netlinkTransport } from "./transport.ts";
import { parseCidr } from "./validate.ts";

/**
 * What only some calls need, loaded by them: portmap's plans (and their conditions checker), the
 * operator views and GC, the agent's node masquerade, the restore-text reader for CHECK. A
 * masquerading bridge ADD, the most common call, loads none of it (docs/performance.md).
 */
const portmapPlans = (): Promise<typeof import("./iptables-plans.ts")> => import("./iptables-plans.ts");
const views = (): Promise<typeof import("./iptables-view.ts")> => import("./iptables-view.ts");
const nodeMasq = (): Promise<typeof import("./node-masq.ts")> => import("./node-masq.ts");

const fail = (msg: string): CniError => new CniError(ErrorCode.Internal, msg);
const familyTool = (family: Family | undefined): string => (family === 6 ? "ip6tables" : "iptables");

/**
 * Whether iptables for this family can at least list a chain (the reference lists filter INPUT).
 * An nft-flavoured iptables can exactly when this process may use nf_tables, which the netlink
 * transport already answered: its session opens with a generation read, and nf_tables answers
 * any request, a read too, only to a process with CAP_NET_ADMIN. No write probe: the listing the
 * reference asks for is a read (docs/performance.md).
 */
export async function iptablesUsable(family: Family, opts: ApplyOptions = {}): Promise<boolean> {
  const tools = resolveIptables(family);
  if (tools === null) return false;
  if ((await netlinkTransport(opts, [family])) !== undefined) return true;
  try {
    return (await (opts.run ?? spawnTool)([...tools.iptables, "-t", "filter", "-S", "INPUT", "-w", "5"])).code === 0;
  } catch {
    return false;
  }
}

/** Each family's nat table as far as it can be read: a family whose tool is unusable holds nothing of ours. */
async function readFamilies(chains: readonly string[] | undefined, opts: ApplyOptions): Promise<Map<Family, IptablesState>> {
  const states = new Map<Family, IptablesState>();
  for (const family of [4, 6] as const) {
    try {
      states.set(family, await readIptables(family, opts, chains));
    } catch {
      // nothing tscni could have written with an unusable tool
    }
  }
  return states;
}

/** GC plans without the chains that hold something foreign (their removals only: GC plans remove chains). */
async function withoutTainted(plans: readonly IptablesPlan[], states: ReadonlyMap<Family, IptablesState>): Promise<IptablesPlan[]> {
  const tainted = (await views()).iptablesTainted(states);
  return plans
    .map((p) => ({ ...p, ops: p.ops.filter((op) => !tainted.get(p.family)?.has(op.chain)) }))
    .filter((p) => p.ops.length > 0);
}

/** The errors of families whose tool is usable (the others cannot hold rules), joined by newlines. */
async function throwUsableErrors(outcomes: readonly FamilyOutcome[], opts: ApplyOptions): Promise<void> {
  const errors: string[] = [];
  for (const o of outcomes) if (o.error && (await iptablesUsable(o.family, opts))) errors.push(o.error.message);
  if (errors.length > 0) throw fail(errors.join("\n"));
}

/** A node without any firewall tool must still be able to DEL its pods: only all families failing counts. */
function throwIfAllFailed(outcomes: readonly FamilyOutcome[]): void {
  const failed = outcomes.filter((o) => o.error !== undefined);
  if (outcomes.length === 0 || failed.length < outcomes.length) return;
  const [v4, v6] = outcomes;
  if (outcomes.length === 1) throw fail(`${familyTool(v4?.family)} is not usable: ${v4?.error?.message}`);
  throw fail(`neither iptables nor ip6tables is usable, (iptables) ${v4?.error?.message}, (ip6tables) ${v6?.error?.message}`);
}

/** Every family's failure, one line each ("IPv6 masquerade: …"); all families were tried. */
function throwPerFamily(outcomes: readonly FamilyOutcome[], what: string): void {
  const lines = outcomes.flatMap((o) => (o.error === undefined ? [] : [`IPv${o.family} ${what}: ${o.error.message}`]));
  if (lines.length > 0) throw fail(lines.join("\n"));
}

export const iptablesBackend: FirewallBackend = {
  name: "iptables",
  tool: "iptables",
  install: { package: "iptables", neededBy: "ipMasq and portmap's iptables backend" },

  version(): string | undefined {
    const v = firstLineOf(["iptables", "--version"]);
    if (v === undefined) return undefined;
    return `${v}${v.includes("legacy") ? " (legacy flavour)" : v.includes("nf_tables") ? " (nft flavour)" : ""}`;
  },

  locate: () => (resolveIptables(4) === null ? "failed to locate iptables: executable file not found in $PATH" : undefined),

  usable: (opts: ApplyOptions = {}) => iptablesUsable(4, opts),

  // As the reference: externalSetMarkChain, and conditions written as iptables flags.
  portmapOptions(conf: PortmapOptions): string[] {
    const own: string[] = [];
    if (conf.externalSetMarkChain !== undefined) own.push("externalSetMarkChain");
    if (conditionsDialect(conf.conditionsV4) === "flags") own.push("conditionsV4");
    if (conditionsDialect(conf.conditionsV6) === "flags") own.push("conditionsV6");
    return own;
  },

  async read(opts: ApplyOptions = {}): Promise<FirewallView> {
    const states = new Map<Family, IptablesState>();
    const problems: string[] = [];
    for (const family of [4, 6] as const) {
      if (resolveIptables(family) === null) continue;
      try {
        // Every chain's rules: what sits inside the per-attachment chains is judged too (foreign rules).
        states.set(family, await readIptables(family, opts));
      } catch (err) {
        problems.push(errorText(err));
      }
    }
    return (await views()).iptablesView(states, problems);
  },

  describe: (e, containerId) => `iptables ${e.kind} chain ${e.key} (${e.where}) of ${containerId}`,

  async apply(want: Want, opts: ApplyOptions = {}): Promise<void> {
    if (want.kind === "masquerade") return applyIptables(masqIptablesAdd(want.req), opts);
    if (want.kind === "node-masquerade") return throwPerFamily(await applyIptablesEach((await nodeMasq()).nodeMasqIptablesAdd(want.want), opts), "masquerade");
    const { portmapIptablesAdd } = await portmapPlans();
    try {
      await applyIptables(want.reqs.map(portmapIptablesAdd), opts);
    } catch (err) {
      throw fail(`unable to setup DNAT: ${CniError.from(err).message}`);
    }
  },

  // The reference's bridge CHECK does not look at masquerading.
  async check(want: Want, opts: ApplyOptions = {}): Promise<void> {
    if (want.kind !== "portmap") return;
    const { portmapIptablesAdd } = await portmapPlans();
    const { findMissing } = await import("./iptables.ts");
    for (const req of want.reqs) {
      const family = parseCidr("container address", req.containerIp).family;
      const plan = portmapIptablesAdd(req);
      const missing = findMissing(plan, await readIptables(family, opts, plan.ops.map((op) => op.chain)));
      if (missing !== undefined) throw fail(`could not check ipv${family} dnat: ${missing}`);
    }
  },

  async removeOwned(owner: Owner, opts: ApplyOptions = {}): Promise<void> {
    if (owner.kind === "node-masquerade") return throwPerFamily(await applyIptablesEach((await nodeMasq()).nodeMasqIptablesDel(), opts), "masquerade removal");
    if (owner.kind === "masquerade") return throwUsableErrors(await applyIptablesEach(masqIptablesDel(owner.ref), { ...opts, removalWithoutTool: true }), opts);
    // A family whose tool is not installed holds no rules to remove. Most pods have no mappings:
    // their DEL finds neither of the container's chains and ends after that lookup.
    const plans = (await portmapPlans()).portmapIptablesDel(owner.ref).filter((p) => resolveIptables(p.family) !== null);
    throwIfAllFailed(await applyIptablesEach(plans, opts, true));
  },

  // Every chain's rules are read: a chain holding something foreign stays (doctor names it).
  async removeStale(stale: Stale, given: ApplyOptions = {}): Promise<void> {
    const opts = { ...given, removalWithoutTool: true };
    const states = await readFamilies(undefined, opts);
    if (stale.kind === "masquerade") {
      const { masqIptablesGc } = await import("./masq-gc.ts");
      const plans = await withoutTainted(masqIptablesGc({ network: stale.network, valid: stale.valid }, states), states);
      return throwUsableErrors(await applyIptablesEach(plans, opts), opts);
    }
    const { portmapIptablesGc } = await import("./gc.ts");
    const plans = await withoutTainted(portmapIptablesGc(stale, states), states);
    const failed = (await applyIptablesEach(plans, opts)).find((o) => o.error !== undefined);
    if (failed?.error) throw fail(`portmap GC (ipv${failed.family}): ${failed.error.message}`);
  },
};
