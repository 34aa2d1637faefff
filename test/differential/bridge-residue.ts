/**
 * What one bridge attachment can leave behind in a differential world (host netns + container
 * netns, test/fixtures/bridge/support.ts), and the network the swap, failure and fix tests attach:
 * "failnet" on bridge cni0, dual stack, in host-local's default dataDir.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { TempNetns } from "../harness.ts";
import { DEFAULT_DATA_DIR, type World } from "../fixtures/bridge/support.ts";
import type { Conf } from "../fixtures/bridge/runtime-configs.ts";

export interface Residue {
  hostVeths: number;
  containerLinks: string[];
  ipFiles: string[];
  masqChains: string[];
  spoofChains: string[];
  nftMasqRules: number;
}

/** What one attachment can leave behind, in the host and one container netns. */
export async function residue(w: World, ctr: TempNetns | undefined, net: string): Promise<Residue> {
  const veths = await w.host.run(["ip", "-j", "link", "show", "type", "veth"]);
  const hostVeths = (JSON.parse(veths.stdout || "[]") as { ifname: string }[]).filter((l) => l.ifname.startsWith("veth")).length;
  let containerLinks: string[] = [];
  if (ctr !== undefined) {
    const r = await ctr.run(["ip", "-j", "link", "show"]);
    if (r.code === 0) containerLinks = (JSON.parse(r.stdout || "[]") as { ifname: string }[]).map((l) => l.ifname).filter((n) => n !== "lo");
  }
  let ipFiles: string[] = [];
  try {
    ipFiles = readdirSync(join(DEFAULT_DATA_DIR, net)).filter((f) => f !== "lock" && !f.startsWith("last_reserved_ip")).sort();
  } catch {
    ipFiles = [];
  }
  const ipt = (await w.host.run(["iptables-save", "-t", "nat"])).stdout + (await w.host.run(["ip6tables-save", "-t", "nat"])).stdout;
  const masqChains = [...new Set(ipt.split("\n").filter((l) => /^:CNI-[0-9a-f]{24} /.test(l)).map((l) => l.split(" ")[0] ?? ""))];
  const nft = (await w.host.run(["nft", "list", "ruleset"])).stdout;
  const spoofChains = nft.split("\n").filter((l) => /chain cni-br-iface-/.test(l) || /macspoofchk-/.test(l)).map((l) => l.trim());
  let nftMasqRules = 0;
  const masq = await w.host.run(["nft", "list", "chain", "inet", "cni_plugins_masquerade", "masq_checks"]);
  if (masq.code === 0) nftMasqRules = masq.stdout.split("\n").filter((l) => /\bmasquerade\b.*\bcomment "/.test(l) && !l.trimStart().startsWith("table")).length;
  return { hostVeths, containerLinks, ipFiles, masqChains, spoofChains, nftMasqRules };
}

export const CLEAN: Residue = { hostVeths: 0, containerLinks: [], ipFiles: [], masqChains: [], spoofChains: [], nftMasqRules: 0 };

const DUAL = { type: "host-local", ranges: [[{ subnet: "10.50.0.0/24" }], [{ subnet: "fd50::/64" }]], routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0" }] };
/** The "failnet" network (bridge cni0, 10.50.0.0/24 + fd50::/64, gateway, default routes) with `extra` keys. */
export const failnet = (extra: Conf = {}, version = "1.0.0"): Conf => ({ cniVersion: version, name: "failnet", type: "bridge", bridge: "cni0", isGateway: true, ipam: DUAL, ...extra });
