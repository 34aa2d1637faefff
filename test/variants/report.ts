/**
 * What a variant scenario leaves on its node, and the one line per scenario that says how tscni and
 * the v1.9.1 reference fared ("VARIANT <scenario>: tscni … vs v1.9.1 …"; test/run.ts echoes these).
 */
import { readdirSync } from "node:fs";
import type { Node } from "./node.ts";

/** `documented`: where the two differ on purpose, the docs/compatibility.md entry that says so. */
export function versus(scenario: string, tscni: unknown, v191: unknown, documented?: string): void {
  const show = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));
  const same = show(tscni) === show(v191);
  const verdict = same ? "same" : documented === undefined ? "differs" : `differs, documented: ${documented}`;
  console.log(`VARIANT ${scenario}: tscni ${show(tscni)} vs v1.9.1 ${show(v191)} (${verdict})`);
}

/** Save output with its tables in name order (which table a tool touched first is not layout). */
export function byTable(save: string): string[] {
  const blocks = save.split(/\n(?=\*)/).map((b) => b.trim()).filter((b) => b !== "");
  return blocks.sort().flatMap((b) => b.split("\n"));
}

/**
 * Counter-free rules of one save tool, or "" when it is absent. Without `-t`: only tables that
 * exist are printed, so reading never instantiates a legacy table on an nft node.
 */
async function saved(node: Node, tool: string): Promise<string> {
  const r = await node.sh(`command -v ${tool} >/dev/null || exit 0; ${tool}`);
  return r.stdout
    .split("\n")
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => l.replace(/\[\d+:\d+\]/, "[0:0]"))
    .map((l) => `${l}\n`)
    .join("");
}

export interface NodeState {
  links: string[];
  iptablesNft: string;
  iptablesLegacy: string;
  nft: string;
  dataDir: string[];
}

/** Links (name and kind), both iptables flavours, the nft ruleset and the IPAM files of a node. */
export async function nodeState(node: Node, dataDir: string): Promise<NodeState> {
  const links = JSON.parse((await node.must("ip -j -d link show")) || "[]") as { ifname: string; linkinfo?: { info_kind?: string } }[];
  let files: string[] = [];
  try {
    files = readdirSync(dataDir, { recursive: true, encoding: "utf8" }).filter((f) => !f.endsWith("lock")).sort();
  } catch {
    // never created
  }
  return {
    links: links.map((l) => `${l.ifname}:${l.linkinfo?.info_kind ?? "-"}`).sort(),
    iptablesNft: (await saved(node, "iptables-nft-save")) + (await saved(node, "ip6tables-nft-save")),
    iptablesLegacy: (await saved(node, "iptables-legacy-save")) + (await saved(node, "ip6tables-legacy-save")),
    nft: (await node.must("nft list ruleset")).trim(),
    dataDir: files,
  };
}
