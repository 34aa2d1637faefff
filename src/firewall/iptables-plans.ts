/**
 * What bridge (ipMasq) and portmap need from iptables, as plans. Rule arguments are written in
 * the form and order `iptables-save` prints them, so an existing rule is recognised by comparing
 * tokens and a repeated ADD adds nothing.
 */
import type { Family, IptablesOp, IptablesPlan, RuleArgs } from "./model.ts";
import {
  masqChainName,
  masqComment,
  portmapDnatChainName,
  portmapDnatComment,
  portmapLegacySnatChainName,
  SHARED,
} from "./names.ts";
import type { AttachmentRef, MasqRequest, PortMapping, PortmapRequest } from "./plans-types.ts";
import {
  checkChainName,
  checkIptablesComment,
  checkIptablesConditions,
  checkPort,
  checkProtocol,
  checkText,
  type Cidr,
  invalid,
  parseCidr,
  parseIp,
} from "./validate.ts";

const MULTICAST: Readonly<Record<Family, string>> = { 4: "224.0.0.0/4", 6: "ff00::/8" };
const HOST_PREFIX: Readonly<Record<Family, number>> = { 4: 32, 6: 128 };

function comment(text: string): string[] {
  return ["-m", "comment", "--comment", checkIptablesComment(text)];
}

function checkIds(network: string, containerId: string): void {
  checkText("network name", network);
  checkText("container ID", containerId);
}

/** bridge ipMasq ADD: one plan per family that has addresses. */
export function masqIptablesAdd(req: MasqRequest): IptablesPlan[] {
  checkIds(req.network, req.containerId);
  const chain = masqChainName(req.network, req.containerId);
  const note = comment(masqComment(req.network, req.containerId));
  const cidrs = req.addresses.map((a) => parseCidr("container address", a));
  const plans: IptablesPlan[] = [];
  for (const family of [4, 6] as const) {
    const mine = cidrs.filter((c) => c.family === family);
    if (mine.length === 0) continue;
    const ops: IptablesOp[] = [{ op: "ensure-chain", chain }];
    for (const c of mine) {
      ops.push(
        { op: "append", chain, args: ["-d", c.network, ...note, "-j", "ACCEPT"] },
        { op: "append", chain, args: ["!", "-d", MULTICAST[family], ...note, "-j", "MASQUERADE"] },
        { op: "append", chain: "POSTROUTING", args: ["-s", `${c.address}/${HOST_PREFIX[family]}`, ...note, "-j", chain] },
      );
    }
    plans.push({ family, ops });
  }
  return plans;
}

/**
 * bridge ipMasq DEL for both families. Every rule jumping to the attachment's chain goes, not only
 * the ones for addresses still known, so a DEL after the link vanished does not leak rules.
 */
export function masqIptablesDel(ref: Pick<AttachmentRef, "network" | "containerId">): IptablesPlan[] {
  checkIds(ref.network, ref.containerId);
  const chain = masqChainName(ref.network, ref.containerId);
  return ([4, 6] as const).map((family) => ({ family, ops: [{ op: "remove-chain", chain }] }));
}

function markDef(bit: number): string {
  if (!Number.isInteger(bit) || bit < 0 || bit > 31) throw invalid("MasqMarkBit must be between 0 and 31");
  const hex = `0x${(2 ** bit).toString(16)}`;
  return `${hex}/${hex}`;
}

/** The hostIP of a mapping as seen from one family: skip it, match any, or match this address. */
function hostDest(m: PortMapping, family: Family): "skip" | string[] {
  if (m.hostIP === undefined || m.hostIP === "") return [];
  const ip = parseIp("host IP", m.hostIP);
  if (ip.family !== family) return "skip";
  return ip.unspecified ? [] : ["-d", `${ip.address}/${HOST_PREFIX[family]}`];
}

function dnatTarget(c: Cidr, port: number): string {
  return c.family === 4 ? `${c.address}:${port}` : `[${c.address}]:${port}`;
}

/** The per-container chain's rules, in the reference's order: mark rules before the DNAT. */
function dnatChainRules(req: PortmapRequest, c: Cidr): RuleArgs[] {
  const markChain = req.externalSetMarkChain !== undefined ? checkChainName(req.externalSetMarkChain) : SHARED.hostportSetMark;
  const rules: RuleArgs[] = [];
  for (const m of req.mappings) {
    const dest = hostDest(m, c.family);
    if (dest === "skip") continue;
    const proto = checkProtocol(m.protocol);
    const port = ["-p", proto, "-m", proto, "--dport", String(checkPort("host port", m.hostPort))];
    const containerPort = checkPort("container port", m.containerPort);
    if (req.snat) {
      // iptables prints a /0 source as no source match at all.
      const source = req.masqAll ? [] : ["-s", c.network];
      rules.push([...source, ...dest, ...port, "-j", markChain]);
      if (c.family === 4 && !req.masqAll) rules.push(["-s", "127.0.0.1/32", ...dest, ...port, "-j", markChain]);
    }
    rules.push([...dest, ...port, "-j", "DNAT", "--to-destination", dnatTarget(c, containerPort)]);
  }
  // The reference appends a rule only when an identical one is not there yet (`-C`, then `-A`).
  const seen = new Set<string>();
  return rules.filter((r) => {
    const key = r.join("\u0000");
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const MULTIPORT_MAX = 15;

/**
 * Entry rules from CNI-HOSTPORT-DNAT: per protocol (sorted), up to 15 ports each. Ports of
 * mappings whose hostIP is of the other family are listed too, as the reference does.
 */
function entryRules(req: PortmapRequest, chain: string): RuleArgs[] {
  const byProto = new Map<string, number[]>();
  for (const m of req.mappings) {
    const ports = byProto.get(m.protocol) ?? [];
    ports.push(checkPort("host port", m.hostPort));
    byProto.set(m.protocol, ports);
  }
  const note = comment(portmapDnatComment(req.network, req.containerId));
  const conditions = checkIptablesConditions("conditions", req.conditions ?? []);
  const rules: RuleArgs[] = [];
  const protos = [...byProto.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const proto of protos) {
    const ports = byProto.get(proto) ?? [];
    for (let i = 0; i < ports.length; i += MULTIPORT_MAX) {
      const list = ports.slice(i, i + MULTIPORT_MAX).join(",");
      rules.push(["-p", checkProtocol(proto), ...note, "-m", "multiport", "--dports", list, ...conditions, "-j", chain]);
    }
  }
  return rules;
}

/** portmap ADD for the family of `req.containerIp`. */
export function portmapIptablesAdd(req: PortmapRequest): IptablesPlan {
  checkIds(req.network, req.containerId);
  const c = parseCidr("container address", req.containerIp);
  const ops: IptablesOp[] = [];
  if (req.snat && req.externalSetMarkChain === undefined) {
    const mark = markDef(req.markMasqBit);
    ops.push(
      { op: "ensure-chain", chain: SHARED.hostportSetMark },
      {
        op: "append",
        chain: SHARED.hostportSetMark,
        args: [...comment(SHARED.portfwdMarkComment), "-j", "MARK", "--set-xmark", mark],
      },
      { op: "ensure-chain", chain: SHARED.hostportMasq },
      { op: "append", chain: SHARED.hostportMasq, args: ["-m", "mark", "--mark", mark, "-j", "MASQUERADE"] },
      {
        op: "insert-first",
        chain: "POSTROUTING",
        args: [...comment(SHARED.portfwdMasqComment), "-j", SHARED.hostportMasq],
      },
    );
  }
  const local = ["-m", "addrtype", "--dst-type", "LOCAL", "-j", SHARED.hostportDnat];
  ops.push(
    { op: "ensure-chain", chain: SHARED.hostportDnat },
    { op: "append", chain: "PREROUTING", args: local },
    { op: "append", chain: "OUTPUT", args: local },
  );
  const chain = portmapDnatChainName(req.network, req.containerId);
  ops.push(
    { op: "sync-chain", chain, rules: dnatChainRules(req, c) },
    { op: "sync-jumps", chain: SHARED.hostportDnat, target: chain, rules: entryRules(req, chain) },
  );
  return { family: c.family, ops };
}

/** portmap DEL for both families: the container's chain, its entry rules, and the legacy SNAT chain. */
export function portmapIptablesDel(ref: Pick<AttachmentRef, "network" | "containerId">): IptablesPlan[] {
  checkIds(ref.network, ref.containerId);
  const dn = portmapDnatChainName(ref.network, ref.containerId);
  const sn = portmapLegacySnatChainName(ref.network, ref.containerId);
  return ([4, 6] as const).map((family) => ({
    family,
    ops: [
      { op: "remove-chain", chain: dn },
      { op: "remove-chain", chain: sn },
    ],
  }));
}
