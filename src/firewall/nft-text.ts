/**
 * The nft layout's typed rules as nft statement text, both ways: rendered the way `nft list`
 * prints them (the `nft -f -` input of a call that carries user conditions, doctor, gc dry runs,
 * logs), and read back from `nft -a list` output on nodes where tscni reads through the tool.
 * A statement in another shape than the renderer writes is read as one foreign node.
 */
import { parseCIDRLiteral, parseIPLiteral, ipString } from "../ip/index.ts";
import type { NftFamily, NftRuleState } from "./model.ts";
import { JUMP_TARGET, L4_NUMBER, macBytes } from "./nft-compile.ts";
import { nftString } from "./quote.ts";
import type { Iface, Match, Prefix, Rule, Verdict } from "./rule.ts";

const hex = (n: number): string => `0x${n.toString(16)}`;
const neq = (not: boolean | undefined): string[] => (not ? ["!="] : []);

function prefixText(p: Prefix, field: "saddr" | "daddr"): string[] {
  const v6 = p.cidr.includes(":");
  const full = p.cidr.endsWith(v6 ? "/128" : "/32");
  return [v6 ? "ip6" : "ip", field, ...neq(p.not), full ? p.cidr.slice(0, p.cidr.lastIndexOf("/")) : p.cidr];
}

const ifaceText = (i: Iface, word: string): string[] => [word, ...neq(i.not), nftString(i.name)];

function matchText(m: Match, proto: string | undefined): string[] {
  switch (m.kind) {
    case "dport":
      return [proto ?? "?", "dport", String(m.port)];
    case "dports":
      return [proto ?? "?", "dport", `{ ${m.ports.join(", ")} }`];
    case "dst-local":
      return ["fib", "daddr", "type", "local"];
    case "mark":
      return ["meta", "mark", "&", hex(m.mask), "==", hex(m.value)];
    case "ether-saddr":
      return ["ether", "saddr", m.mac];
    case "comment":
      return ["comment", nftString(m.text)];
    case "conditions":
    case "foreign":
      return [...m.tokens];
  }
}

function verdictText(v: Verdict, family: NftFamily | undefined): string[] {
  switch (v.kind) {
    case "accept":
    case "drop":
    case "return":
    case "masquerade":
      return [v.kind];
    case "jump":
    case "goto":
      return [v.kind, v.chain];
    case "dnat": {
      const v6 = v.addr.includes(":");
      return ["dnat", ...(family === "inet" ? [v6 ? "ip6" : "ip"] : []), "to", v6 ? `[${v.addr}]:${v.port}` : `${v.addr}:${v.port}`];
    }
    case "mark-set":
      return ["meta", "mark", "set", `meta mark & ${hex(~v.mask >>> 0)} | ${hex(v.value)}`];
    case "foreign":
      return [...v.tokens];
  }
}

/** The rule's statements as `nft list` prints them (without comment and handle). */
export function nftRuleText(rule: Rule, family?: NftFamily): string {
  const portMatched = rule.matches.some((m) => m.kind === "dport" || m.kind === "dports");
  return [
    ...(rule.src ? prefixText(rule.src, "saddr") : []),
    ...(rule.dst ? prefixText(rule.dst, "daddr") : []),
    ...(rule.iif ? ifaceText(rule.iif, "iifname") : []),
    ...(rule.oif ? ifaceText(rule.oif, "oifname") : []),
    ...(rule.proto !== undefined && !portMatched ? ["meta", "l4proto", rule.proto] : []),
    ...rule.matches.flatMap((m) => matchText(m, rule.proto)),
    ...verdictText(rule.verdict, family),
  ].join(" ");
}

/** A rule as read, with its comment, as `nft list` shows it: for people (doctor, notes), never nft's input. */
export function nftListedRuleText(r: Pick<NftRuleState, "rule" | "comment">, family?: NftFamily): string {
  const text = nftRuleText(r.rule, family);
  return r.comment === undefined ? text : `${text} comment "${r.comment}"`;
}

/** The protocols a port match is written for: the only ones read back. */
const PROTOS = new Set(Object.keys(L4_NUMBER));

/** `addr` or `addr/len` as the model's canonical `addr/len`. */
function prefixOf(text: string, not: boolean): Prefix | undefined {
  const c = text.includes("/") ? parseCIDRLiteral(text) : undefined;
  const ip = c?.ip ?? parseIPLiteral(text);
  if (ip === undefined) return undefined;
  const len = c?.prefix ?? (ip.kind() === "ipv6" ? 128 : 32);
  return not ? { cidr: `${ipString(ip)}/${len}`, not } : { cidr: `${ipString(ip)}/${len}` };
}

function verdictOf(t: readonly string[]): Verdict | undefined {
  const [w, a, b, c] = t;
  if (t.length === 1 && (w === "accept" || w === "drop" || w === "return" || w === "masquerade")) return { kind: w };
  if (t.length === 2 && (w === "jump" || w === "goto") && a !== undefined && JUMP_TARGET.test(a)) return { kind: w, chain: a };
  const to = w === "dnat" ? (a === "to" && t.length === 3 ? b : (a === "ip" || a === "ip6") && b === "to" && t.length === 4 ? c : undefined) : undefined;
  const m = to === undefined ? null : /^(?:\[([0-9a-f:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(to);
  const addr = m ? parseIPLiteral(m[1] ?? m[2] ?? "") : undefined;
  return m && addr ? { kind: "dnat", addr: ipString(addr), port: Number(m[3]) } : undefined;
}

/**
 * Statement text (as `nft list` prints it) read into the typed model, in the shapes nftRuleText
 * writes; anything else is one foreign node holding the tokens.
 */
export function parseNftText(text: string): Rule {
  const tokens = text.trim().split(/\s+/).filter((t) => t !== "");
  const foreign: Rule = { matches: [{ kind: "foreign", tokens }], verdict: { kind: "foreign", tokens: [] } };
  const r: { src?: Prefix; dst?: Prefix; iif?: Iface; oif?: Iface; proto?: string; matches: Match[] } = { matches: [] };
  let i = 0;
  for (;;) {
    const [t, a, b, c] = tokens.slice(i, i + 4);
    const not = b === "!=";
    const value = not ? c : b;
    if ((t === "ip" || t === "ip6") && (a === "saddr" || a === "daddr") && value !== undefined) {
      const p = prefixOf(value, not);
      const field = a === "saddr" ? "src" : "dst";
      if (p === undefined || r[field] !== undefined || p.cidr.includes(":") !== (t === "ip6")) return foreign;
      r[field] = p;
      i += not ? 4 : 3;
    } else if ((t === "iifname" || t === "oifname") && a !== undefined) {
      const n = a === "!=" ? b : a;
      const name = n !== undefined && /^"[^"]*"$/.test(n) ? n.slice(1, -1) : undefined;
      const field = t === "iifname" ? "iif" : "oif";
      if (name === undefined || r[field] !== undefined) return foreign;
      r[field] = a === "!=" ? { name, not: true } : { name };
      i += a === "!=" ? 3 : 2;
    } else if (t !== undefined && PROTOS.has(t) && a === "dport" && b !== undefined && /^\d{1,5}$/.test(b) && r.proto === undefined) {
      r.proto = t;
      r.matches.push({ kind: "dport", port: Number(b) });
      i += 3;
    } else if (t === "meta" && a === "l4proto" && b !== undefined && PROTOS.has(b) && r.proto === undefined) {
      r.proto = b;
      i += 3;
    } else if (t === "fib" && a === "daddr" && b === "type" && c === "local") {
      r.matches.push({ kind: "dst-local" });
      i += 4;
    } else if (t === "ether" && a === "saddr" && b !== undefined && macBytes(b) !== undefined) {
      r.matches.push({ kind: "ether-saddr", mac: b });
      i += 3;
    } else break;
  }
  const verdict = verdictOf(tokens.slice(i));
  return verdict === undefined ? foreign : { ...r, verdict };
}
