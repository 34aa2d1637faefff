/**
 * What bridge (ipMasq, macspoofchk) and portmap need from nftables, as plans. Table, chain and
 * comment names are the reference's, so rules written by either implementation are found and
 * removed by the other.
 */
import { checkNftMatches as checkNftConditions } from "./conditions-nft.ts";
import type { Family, NftOp, NftPlan, NftRuleSpec } from "./model.ts";
import {
  MASQ_NFT_TABLE as MASQ_TABLE,
  nftMasqComment,
  nftMasqInstanceHash,
  PORTMAP_NFT_CHAINS,
  portmapNftTable as hostportTable,
  SHARED,
  SPOOF_COMMENT_PREFIX,
  SPOOF_NFT_TABLE as SPOOF_TABLE,
  spoofCheckNames,
} from "./names.ts";
import type { AttachmentRef, MasqRequest, PortMapping, PortmapRequest, SpoofCheckRequest } from "./plans-types.ts";
import { type Prefix, type Rule, jump, masquerade } from "./rule.ts";
import {
  checkIfName,
  checkMac,
  checkNftComment,
  checkNftIdentifier,
  checkPort,
  checkProtocol,
  checkText,
  type Cidr,
  parseCidr,
  parseIp,
} from "./validate.ts";

/** One address as the model's prefix (`10.0.0.2/32`, `fd00::2/128`). */
const host = (ip: { readonly family: Family; readonly address: string }): Prefix => ({ cidr: `${ip.address}/${ip.family === 4 ? 32 : 128}` });
const ret = { kind: "return" } as const;
const plain = (rule: Rule, comment?: string): NftRuleSpec => (comment === undefined ? { rule } : { rule, comment });

function checkAttachment(ref: AttachmentRef): void {
  checkText("network name", ref.network);
  checkText("container ID", ref.containerId);
  checkIfName(ref.ifname);
}

/** The masquerade table's postrouting rules (the same for every attachment, uncommented). */
export const MASQ_POSTROUTING_RULES: readonly NftRuleSpec[] = [
  plain({ dst: { cidr: "224.0.0.0/4" }, matches: [], verdict: ret }),
  plain({ dst: { cidr: "ff00::/8" }, matches: [], verdict: ret }),
  plain({ matches: [], verdict: { kind: "goto", chain: SHARED.masqChecks } }),
];

/** portmap's hostports_all rules (the same for every container, uncommented). */
export const HOSTPORTS_ALL_RULES: readonly NftRuleSpec[] = [
  plain({ matches: [], verdict: jump(SHARED.hostipHostports) }),
  plain({ matches: [], verdict: jump(SHARED.hostports) }),
];

/** bridge ipMasq ADD: one transaction replacing this attachment's masquerade rules. */
export function masqNftAdd(req: MasqRequest): NftPlan {
  checkAttachment(req);
  const cidrs = req.addresses.map((a) => parseCidr("container address", a));
  const comment = checkNftComment(nftMasqComment(req.network, req.ifname, req.containerId));
  const ops: NftOp[] = [
    { op: "add-table", ref: MASQ_TABLE, comment: SHARED.masqTableComment },
    { op: "add-chain", ref: MASQ_TABLE, chain: SHARED.masqChecks, comment: SHARED.masqChecksComment },
    { op: "add-chain", ref: MASQ_TABLE, chain: SHARED.masqPostrouting, base: { type: "nat", hook: "postrouting", priority: 100 } },
    { op: "sync-rules", ref: MASQ_TABLE, chain: SHARED.masqPostrouting, rules: MASQ_POSTROUTING_RULES },
    masqDelete(req),
  ];
  for (const c of cidrs) {
    const rule: Rule = { src: host(c), dst: { cidr: c.network, not: true }, matches: [], verdict: masquerade };
    ops.push({ op: "add-rule", ref: MASQ_TABLE, chain: SHARED.masqChecks, rule, comment });
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
    { op: "remove-chain", ref: SPOOF_TABLE, chain: names.chain, owner: names.comment },
    { op: "remove-chain", ref: SPOOF_TABLE, chain: names.macChain, owner: names.comment },
  ];
}

/**
 * macspoofchk ADD in one transaction (the reference needs two). A previous jump for the same
 * attachment is replaced rather than duplicated.
 */
export function spoofCheckAdd(req: SpoofCheckRequest): NftPlan {
  checkText("container ID", req.containerId);
  checkIfName(req.ifname);
  const hostIf = checkIfName(req.hostIfname);
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
      {
        op: "sync-rules",
        ref: SPOOF_TABLE,
        chain: SHARED.spoofBaseChain,
        rules: [plain({ iif: { name: hostIf }, matches: [], verdict: jump(names.chain) }, comment)],
        siblings: { prefix: SPOOF_COMMENT_PREFIX },
      },
      { op: "sync-rules", ref: SPOOF_TABLE, chain: names.chain, rules: [plain({ matches: [], verdict: jump(names.macChain) }, comment)] },
      {
        op: "sync-rules",
        ref: SPOOF_TABLE,
        chain: names.macChain,
        rules: [plain({ matches: [{ kind: "ether-saddr", mac }], verdict: ret }, comment), plain({ matches: [], verdict: { kind: "drop" } }, comment)],
      },
    ],
  };
}

/** macspoofchk DEL: the jump and both chains; the table and base chain stay, as in the reference. */
export function spoofCheckDel(ref: Pick<AttachmentRef, "containerId" | "ifname">): NftPlan {
  checkText("container ID", ref.containerId);
  checkIfName(ref.ifname);
  return { ops: spoofDelete(ref.containerId, ref.ifname) };
}

/** The hostIP match of a mapping for one family: skip the mapping, no match, or its address. */
function hostDest(m: PortMapping, family: Family): "skip" | { dst?: Prefix } {
  if (m.hostIP === undefined || m.hostIP === "") return {};
  const ip = parseIp("host IP", m.hostIP);
  if (ip.family !== family) return "skip";
  return ip.unspecified ? {} : { dst: host(ip) };
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
  const conditions = checkNftConditions("conditions", req.conditions ?? []);
  const { hostports, hostipHostports, hostportsAll, hostportPrerouting, hostportOutput, hostportMasquerading } = SHARED;
  // The user's conditions stay the one opaque node: a plan carrying them is written by `nft -f -`.
  const entry = plain({ matches: [...(conditions.length > 0 ? [{ kind: "conditions", tokens: conditions } as const] : []), { kind: "dst-local" }], verdict: jump(hostportsAll) });
  // The entry rule of an earlier ADD (maybe with other conditions) is ours too: it is replaced.
  const entryChain = (chain: string): NftOp => ({ op: "sync-rules", ref: t, chain, rules: [entry], ownsJumpTo: hostportsAll });
  const ops: NftOp[] = [
    { op: "add-table", ref: t, comment: SHARED.hostportTableComment },
    { op: "add-chain", ref: t, chain: hostports },
    { op: "add-chain", ref: t, chain: hostipHostports },
    { op: "add-chain", ref: t, chain: hostportsAll },
    { op: "sync-rules", ref: t, chain: hostportsAll, rules: HOSTPORTS_ALL_RULES },
    { op: "add-chain", ref: t, chain: hostportPrerouting, base: { type: "nat", hook: "prerouting", priority: -100 } },
    entryChain(hostportPrerouting),
    { op: "add-chain", ref: t, chain: hostportOutput, base: { type: "nat", hook: "output", priority: -100 } },
    entryChain(hostportOutput),
  ];
  if (req.snat) {
    ops.push({ op: "add-chain", ref: t, chain: hostportMasquerading, base: { type: "nat", hook: "postrouting", priority: 100 } });
  }
  for (const m of req.mappings) {
    const dest = hostDest(m, c.family);
    if (dest === "skip") continue;
    const rule: Rule = {
      ...dest,
      proto: checkProtocol(m.protocol),
      matches: [{ kind: "dport", port: checkPort("host port", m.hostPort) }],
      verdict: { kind: "dnat", addr: c.address, port: checkPort("container port", m.containerPort) },
    };
    ops.push({ op: "add-rule", ref: t, chain: hostports, rule, comment: cid, unique: true });
  }
  if (req.snat) {
    for (const src of portmapMasqSources(c)) {
      const rule: Rule = { src: host(parseIp("source", src)), dst: host(c), matches: [], verdict: masquerade };
      ops.push({ op: "add-rule", ref: t, chain: hostportMasquerading, rule, comment: cid, unique: true });
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
