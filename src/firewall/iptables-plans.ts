/**
 * What portmap needs from iptables, as plans of typed rules (rule.ts), and bridge's (ipMasq,
 * iptables-masq-plans.ts, re-exported). Values are written in the form `iptables-save` prints them
 * (prefixes as network/len, lower-case protocols), so a rule read back from the kernel equals the
 * planned one and a repeated ADD adds nothing.
 */
import { checkIptablesMatches as checkIptablesConditions } from "./conditions-iptables.ts";
import { checkIds, HOST_PREFIX, note } from "./iptables-masq-plans.ts";
import type { Family, IptablesOp, IptablesPlan } from "./model.ts";
import { portmapDnatChainName, portmapDnatComment, portmapLegacySnatChainName, SHARED } from "./names.ts";
import type { AttachmentRef, PortMapping, PortmapRequest } from "./plans-types.ts";
import { jump, type L4Proto, masquerade, type Match, type Prefix, type Rule, sameRule } from "./rule.ts";
import { checkChainName, checkPort, checkProtocol, type Cidr, invalid, parseCidr, parseIp } from "./validate.ts";

export { masqIptablesAdd, masqIptablesDel } from "./iptables-masq-plans.ts";

function markBit(bit: number): number {
  if (!Number.isInteger(bit) || bit < 0 || bit > 31) throw invalid("MasqMarkBit must be between 0 and 31");
  return 2 ** bit;
}

/** The hostIP of a mapping as seen from one family: skip it, match any, or match this address. */
function hostDest(m: PortMapping, family: Family): "skip" | Prefix | undefined {
  if (m.hostIP === undefined || m.hostIP === "") return undefined;
  const ip = parseIp("host IP", m.hostIP);
  if (ip.family !== family) return "skip";
  return ip.unspecified ? undefined : { cidr: `${ip.address}/${HOST_PREFIX[family]}` };
}

/** The per-container chain's rules, in the reference's order: mark rules before the DNAT. */
function dnatChainRules(req: PortmapRequest, c: Cidr): Rule[] {
  const markChain = jump(req.externalSetMarkChain !== undefined ? checkChainName(req.externalSetMarkChain) : SHARED.hostportSetMark);
  const rules: Rule[] = [];
  for (const m of req.mappings) {
    const dst = hostDest(m, c.family);
    if (dst === "skip") continue;
    const port = { ...(dst ? { dst } : {}), proto: l4(m.protocol), matches: [{ kind: "dport", port: checkPort("host port", m.hostPort) }] as Match[] };
    const containerPort = checkPort("container port", m.containerPort);
    if (req.snat) {
      // iptables prints a /0 source as no source match at all.
      rules.push(req.masqAll ? { ...port, verdict: markChain } : { ...port, src: { cidr: c.network }, verdict: markChain });
      if (c.family === 4 && !req.masqAll) rules.push({ ...port, src: { cidr: "127.0.0.1/32" }, verdict: markChain });
    }
    rules.push({ ...port, verdict: { kind: "dnat", addr: c.address, port: containerPort } });
  }
  // The reference appends a rule only when an identical one is not there yet (`-C`, then `-A`).
  // Every rule here matches one host port first: only rules of the same port can be equal, so
  // the full comparison runs for those alone (12 rules for 4 mappings: 66 comparisons otherwise).
  const unique: Rule[] = [];
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i] as Rule;
    if (!hasEarlier(rules, i, r)) unique.push(r);
  }
  return unique;
}

function hostPortOf(r: Rule): number | undefined {
  const m = r.matches[0];
  return m?.kind === "dport" ? m.port : undefined;
}

/** Whether a rule before index `i` equals `r`. */
function hasEarlier(rules: readonly Rule[], i: number, r: Rule): boolean {
  const port = hostPortOf(r);
  for (let j = 0; j < i; j++) {
    const x = rules[j] as Rule;
    if (hostPortOf(x) === port && sameRule(x, r)) return true;
  }
  return false;
}

function l4(protocol: string): L4Proto {
  return checkProtocol(protocol) as L4Proto;
}

const MULTIPORT_MAX = 15;

/**
 * Entry rules from CNI-HOSTPORT-DNAT: per protocol (sorted), up to 15 ports each. Ports of
 * mappings whose hostIP is of the other family are listed too, as the reference does.
 */
function entryRules(req: PortmapRequest, chain: string): Rule[] {
  const byProto = new Map<string, number[]>();
  for (const m of req.mappings) {
    const ports = byProto.get(m.protocol) ?? [];
    ports.push(checkPort("host port", m.hostPort));
    byProto.set(m.protocol, ports);
  }
  const mine = note(portmapDnatComment(req.network, req.containerId));
  const tokens = checkIptablesConditions("conditions", req.conditions ?? []);
  const conditions: Match[] = tokens.length > 0 ? [{ kind: "conditions", tokens }] : [];
  const rules: Rule[] = [];
  const protos: string[] = [];
  for (const p of byProto.keys()) protos.push(p);
  protos.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const proto of protos) {
    const ports = byProto.get(proto) ?? [];
    for (let i = 0; i < ports.length; i += MULTIPORT_MAX) {
      const list = ports.slice(i, i + MULTIPORT_MAX);
      rules.push({ proto: l4(proto), matches: [mine, { kind: "dports", ports: list }, ...conditions], verdict: jump(chain) });
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
    const bit = markBit(req.markMasqBit);
    ops.push(
      { op: "ensure-chain", chain: SHARED.hostportSetMark },
      {
        op: "append",
        chain: SHARED.hostportSetMark,
        rule: { matches: [note(SHARED.portfwdMarkComment)], verdict: { kind: "mark-set", value: bit, mask: bit } },
      },
      { op: "ensure-chain", chain: SHARED.hostportMasq },
      { op: "append", chain: SHARED.hostportMasq, rule: { matches: [{ kind: "mark", value: bit, mask: bit }], verdict: masquerade } },
      {
        op: "insert-first",
        chain: "POSTROUTING",
        rule: { matches: [note(SHARED.portfwdMasqComment)], verdict: jump(SHARED.hostportMasq) },
      },
    );
  }
  const local: Rule = { matches: [{ kind: "dst-local" }], verdict: jump(SHARED.hostportDnat) };
  ops.push(
    { op: "ensure-chain", chain: SHARED.hostportDnat },
    { op: "append", chain: "PREROUTING", rule: local },
    { op: "append", chain: "OUTPUT", rule: local },
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
