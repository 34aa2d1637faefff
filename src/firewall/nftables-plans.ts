/**
 * What bridge (ipMasq, macspoofchk) and portmap need from nftables, as plans. Table, chain and
 * comment names are the reference's, so rules written by either implementation are found and
 * removed by the other.
 */
import type { Family, NftOp, NftPlan } from "./model.ts";
import {
  MASQ_NFT_TABLE as MASQ_TABLE,
  nftMasqComment,
  nftMasqInstanceHash,
  PORTMAP_NFT_CHAINS,
  portmapNftTable as hostportTable,
  SHARED,
  SPOOF_NFT_TABLE as SPOOF_TABLE,
  spoofCheckNames,
} from "./names.ts";
import type { AttachmentRef, MasqRequest, PortMapping, PortmapRequest, SpoofCheckRequest } from "./plans-types.ts";
import { nftString } from "./quote.ts";
import {
  checkIfName,
  checkMac,
  checkNftComment,
  checkNftConditions,
  checkNftIdentifier,
  checkPort,
  checkProtocol,
  checkText,
  type Cidr,
  parseCidr,
  parseIp,
} from "./validate.ts";

const IP_KEYWORD: Readonly<Record<Family, "ip" | "ip6">> = { 4: "ip", 6: "ip6" };

function checkAttachment(ref: AttachmentRef): void {
  checkText("network name", ref.network);
  checkText("container ID", ref.containerId);
  checkIfName(ref.ifname);
}

/** bridge ipMasq ADD: one transaction replacing this attachment's masquerade rules. */
export function masqNftAdd(req: MasqRequest): NftPlan {
  checkAttachment(req);
  const cidrs = req.addresses.map((a) => parseCidr("container address", a));
  const comment = checkNftComment(nftMasqComment(req.network, req.ifname, req.containerId));
  const ops: NftOp[] = [
    { op: "add-table", ref: MASQ_TABLE, comment: SHARED.masqTableComment },
    { op: "add-chain", ref: MASQ_TABLE, chain: SHARED.masqChecks, comment: SHARED.masqChecksComment },
    { op: "add-chain", ref: MASQ_TABLE, chain: SHARED.masqPostrouting, base: { type: "nat", hook: "postrouting", priority: 100 } },
    { op: "flush-chain", ref: MASQ_TABLE, chain: SHARED.masqPostrouting },
    { op: "add-rule", ref: MASQ_TABLE, chain: SHARED.masqPostrouting, expr: ["ip", "daddr", "224.0.0.0/4", "return"] },
    { op: "add-rule", ref: MASQ_TABLE, chain: SHARED.masqPostrouting, expr: ["ip6", "daddr", "ff00::/8", "return"] },
    { op: "add-rule", ref: MASQ_TABLE, chain: SHARED.masqPostrouting, expr: ["goto", SHARED.masqChecks] },
    masqDelete(req),
  ];
  for (const c of cidrs) {
    const ip = IP_KEYWORD[c.family];
    ops.push({
      op: "add-rule",
      ref: MASQ_TABLE,
      chain: SHARED.masqChecks,
      expr: [ip, "saddr", c.address, ip, "daddr", "!=", c.network, "masquerade"],
      comment,
    });
  }
  return { ops };
}

function masqDelete(ref: AttachmentRef): NftOp {
  return {
    op: "delete-rules",
    ref: MASQ_TABLE,
    chains: [SHARED.masqChecks],
    match: { prefix: nftMasqInstanceHash(ref.network, ref.ifname, ref.containerId) },
  };
}

/** bridge ipMasq DEL: this attachment's rules, found by their comment's hash prefix. */
export function masqNftDel(ref: AttachmentRef): NftPlan {
  checkAttachment(ref);
  return { ops: [masqDelete(ref)] };
}

function spoofDelete(containerId: string, ifname: string): NftOp[] {
  const names = spoofCheckNames(containerId, ifname);
  return [
    { op: "delete-rules", ref: SPOOF_TABLE, chains: [SHARED.spoofBaseChain], match: { equals: names.comment } },
    { op: "remove-chain", ref: SPOOF_TABLE, chain: names.chain },
    { op: "remove-chain", ref: SPOOF_TABLE, chain: names.macChain },
  ];
}

/**
 * macspoofchk ADD in one transaction (the reference needs two). A previous jump for the same
 * attachment is replaced rather than duplicated.
 */
export function spoofCheckAdd(req: SpoofCheckRequest): NftPlan {
  checkText("container ID", req.containerId);
  checkIfName(req.ifname);
  const host = checkIfName(req.hostIfname);
  const mac = checkMac(req.containerMac);
  const names = spoofCheckNames(req.containerId, req.ifname);
  checkNftIdentifier("chain name", names.macChain);
  checkNftComment(names.comment);
  const comment = names.comment;
  return {
    ops: [
      { op: "add-table", ref: SPOOF_TABLE },
      {
        op: "add-chain",
        ref: SPOOF_TABLE,
        chain: SHARED.spoofBaseChain,
        base: { type: "filter", hook: "prerouting", priority: -300, policy: "accept" },
      },
      { op: "add-chain", ref: SPOOF_TABLE, chain: names.chain },
      { op: "add-chain", ref: SPOOF_TABLE, chain: names.macChain },
      { op: "flush-chain", ref: SPOOF_TABLE, chain: names.chain },
      { op: "flush-chain", ref: SPOOF_TABLE, chain: names.macChain },
      { op: "delete-rules", ref: SPOOF_TABLE, chains: [SHARED.spoofBaseChain], match: { equals: comment } },
      {
        op: "add-rule",
        ref: SPOOF_TABLE,
        chain: SHARED.spoofBaseChain,
        expr: ["iifname", nftString(host), "jump", names.chain],
        comment,
      },
      { op: "add-rule", ref: SPOOF_TABLE, chain: names.chain, expr: ["jump", names.macChain], comment },
      { op: "add-rule", ref: SPOOF_TABLE, chain: names.macChain, expr: ["ether", "saddr", mac, "return"], comment },
      { op: "add-rule", ref: SPOOF_TABLE, chain: names.macChain, expr: ["drop"], comment },
    ],
  };
}

/** macspoofchk DEL: the jump and both chains; the table and base chain stay, as in the reference. */
export function spoofCheckDel(ref: Pick<AttachmentRef, "containerId" | "ifname">): NftPlan {
  checkText("container ID", ref.containerId);
  checkIfName(ref.ifname);
  return { ops: spoofDelete(ref.containerId, ref.ifname) };
}

/** The hostIP match of a mapping for one family: skip the mapping, no match, or `daddr <ip>`. */
function hostDest(m: PortMapping, family: Family): "skip" | string[] {
  if (m.hostIP === undefined || m.hostIP === "") return [];
  const ip = parseIp("host IP", m.hostIP);
  if (ip.family !== family) return "skip";
  return ip.unspecified ? [] : [IP_KEYWORD[family], "daddr", ip.address];
}

function dnatTo(c: Cidr, port: number): string {
  return c.family === 4 ? `${c.address}:${port}` : `[${c.address}]:${port}`;
}

/**
 * portmap ADD for the family of `req.containerIp`, as the reference lays it out: shared chains
 * (the entry chains flushed and refilled, so the last ADD's conditions win), then one rule per
 * mapping and the masquerade rules, all commented with the container ID. Unlike the reference a
 * repeated ADD adds no duplicates, and rules of the same container ID on another network stay.
 * `masqAll` is not read: v1.9.1's nftables backend has no such option.
 */
export function portmapNftAdd(req: PortmapRequest): NftPlan {
  checkText("network name", req.network);
  const cid = checkNftComment(checkText("container ID", req.containerId));
  const c = parseCidr("container address", req.containerIp);
  const t = hostportTable(c.family);
  const ip = IP_KEYWORD[c.family];
  const conditions = checkNftConditions("conditions", req.conditions ?? []);
  const { hostports, hostipHostports, hostportsAll, hostportPrerouting, hostportOutput, hostportMasquerading } = SHARED;
  const entry = [...conditions, "fib", "daddr", "type", "local", "jump", hostportsAll];
  const ops: NftOp[] = [
    { op: "add-table", ref: t, comment: SHARED.hostportTableComment },
    { op: "add-chain", ref: t, chain: hostports },
    { op: "add-chain", ref: t, chain: hostipHostports },
    { op: "add-chain", ref: t, chain: hostportsAll },
    { op: "flush-chain", ref: t, chain: hostportsAll },
    { op: "add-rule", ref: t, chain: hostportsAll, expr: ["jump", hostipHostports] },
    { op: "add-rule", ref: t, chain: hostportsAll, expr: ["jump", hostports] },
    { op: "add-chain", ref: t, chain: hostportPrerouting, base: { type: "nat", hook: "prerouting", priority: -100 } },
    { op: "flush-chain", ref: t, chain: hostportPrerouting },
    { op: "add-rule", ref: t, chain: hostportPrerouting, expr: entry },
    { op: "add-chain", ref: t, chain: hostportOutput, base: { type: "nat", hook: "output", priority: -100 } },
    { op: "flush-chain", ref: t, chain: hostportOutput },
    { op: "add-rule", ref: t, chain: hostportOutput, expr: entry },
  ];
  if (req.snat) {
    ops.push({ op: "add-chain", ref: t, chain: hostportMasquerading, base: { type: "nat", hook: "postrouting", priority: 100 } });
  }
  for (const m of req.mappings) {
    const dest = hostDest(m, c.family);
    if (dest === "skip") continue;
    const proto = checkProtocol(m.protocol);
    const expr = [...dest, proto, "dport", String(checkPort("host port", m.hostPort)), "dnat", "to", dnatTo(c, checkPort("container port", m.containerPort))];
    ops.push({ op: "add-rule", ref: t, chain: hostports, expr, comment: cid, unique: true });
  }
  if (req.snat) {
    for (const src of portmapMasqSources(c)) {
      ops.push({ op: "add-rule", ref: t, chain: hostportMasquerading, expr: [ip, "saddr", src, ip, "daddr", c.address, "masquerade"], comment: cid, unique: true });
    }
  }
  return { ops };
}

/** The sources portmap's nft masquerade rules hairpin: the container itself, and localhost on v4. */
export function portmapMasqSources(c: Cidr): string[] {
  return c.family === 4 ? [c.address, "127.0.0.1"] : [c.address];
}

/** portmap DEL for both families: every rule commented with the container ID. */
export function portmapNftDel(ref: Pick<AttachmentRef, "containerId">): NftPlan {
  const cid = checkText("container ID", ref.containerId);
  return {
    ops: ([4, 6] as const).map((family) => ({
      op: "delete-rules",
      ref: hostportTable(family),
      chains: PORTMAP_NFT_CHAINS,
      match: { equals: cid },
    })),
  };
}
