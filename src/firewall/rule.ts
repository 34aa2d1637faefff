/**
 * One firewall rule as typed data: what the iptables planners write and what reading the kernel
 * yields. Renderers take it from here (xt-encode.ts: nf_tables expressions; ruleArgs: the argv
 * tokens `iptables-save` prints, for iptables-restore input and human text). Two nodes are
 * opaque: `conditions` (the user's own match tokens, only ever written by iptables-restore) and
 * `foreign` (a part of a kernel rule no decoder knows, kept as the tokens iptables-save would
 * print, never equal to anything a planner asks for).
 */

import { every } from "../plain-array.ts";

/** IPv4 or IPv6 (model.ts's Family; spelled here so the model imports this file, not the reverse). */
type Family = 4 | 6;

export type L4Proto = "tcp" | "udp" | "sctp" | "dccp";

/** An address prefix in iptables-save's form (`10.0.0.0/8`, `fd00::5/128`). */
export interface Prefix {
  readonly cidr: string;
  readonly not?: boolean;
}

/** An interface match; only the decoder produces it (the planners never match interfaces). */
export interface Iface {
  readonly name: string;
  readonly not?: boolean;
}

export type Match =
  | { readonly kind: "comment"; readonly text: string }
  /** One destination port of the rule's protocol (`-m tcp --dport P`). */
  | { readonly kind: "dport"; readonly port: number }
  /** Up to 15 destination ports (`-m multiport --dports a,b`). */
  | { readonly kind: "dports"; readonly ports: readonly number[] }
  /** The destination is a local address (addrtype LOCAL, fib daddr type local). */
  | { readonly kind: "dst-local" }
  | { readonly kind: "mark"; readonly value: number; readonly mask: number }
  /** The frame's source MAC, lower case (nft `ether saddr`, bridge-family spoof checks). */
  | { readonly kind: "ether-saddr"; readonly mac: string }
  | { readonly kind: "conditions"; readonly tokens: readonly string[] }
  | { readonly kind: "foreign"; readonly tokens: readonly string[] };

export type Verdict =
  | { readonly kind: "accept" }
  | { readonly kind: "drop" }
  | { readonly kind: "return" }
  | { readonly kind: "jump"; readonly chain: string }
  | { readonly kind: "goto"; readonly chain: string }
  | { readonly kind: "masquerade" }
  /** Destination NAT to one address and port. */
  | { readonly kind: "dnat"; readonly addr: string; readonly port: number }
  /** `MARK --set-xmark value/mask`. */
  | { readonly kind: "mark-set"; readonly value: number; readonly mask: number }
  | { readonly kind: "foreign"; readonly tokens: readonly string[] };

export interface Rule {
  readonly src?: Prefix;
  readonly dst?: Prefix;
  readonly iif?: Iface;
  readonly oif?: Iface;
  /** As iptables-save names it; the planners write only L4Proto values. */
  readonly proto?: string;
  /** In the order they are written (and read back): comment before multiport, and so on. */
  readonly matches: readonly Match[];
  readonly verdict: Verdict;
}

/** A rule while a decoder builds it, part by part. */
export interface RuleDraft {
  src?: Prefix;
  dst?: Prefix;
  iif?: Iface;
  oif?: Iface;
  proto?: string;
  matches: Match[];
  verdict: Verdict;
}

export const accept: Verdict = { kind: "accept" };
export const masquerade: Verdict = { kind: "masquerade" };
export const jump = (chain: string): Verdict => ({ kind: "jump", chain });
export const comment = (text: string): Match => ({ kind: "comment", text });

/** The chain a rule jumps or goes to, if any. */
export function ruleJumpTarget(rule: Rule): string | undefined {
  const v = rule.verdict;
  return v.kind === "jump" || v.kind === "goto" ? v.chain : undefined;
}

const hex = (n: number): string => `0x${n.toString(16)}`;
const bang = (not: boolean | undefined): string[] => (not ? ["!"] : []);

function matchArgs(m: Match, proto: string | undefined): string[] {
  switch (m.kind) {
    case "comment":
      return ["-m", "comment", "--comment", m.text];
    case "dport":
      return ["-m", proto ?? "?", "--dport", String(m.port)];
    case "dports":
      return ["-m", "multiport", "--dports", m.ports.join(",")];
    case "dst-local":
      return ["-m", "addrtype", "--dst-type", "LOCAL"];
    case "mark":
      return ["-m", "mark", "--mark", m.mask === 0xffffffff ? hex(m.value) : `${hex(m.value)}/${hex(m.mask)}`];
    case "ether-saddr":
      return ["-m", "mac", "--mac-source", m.mac.toUpperCase()];
    case "conditions":
    case "foreign":
      return [...m.tokens];
  }
}

function verdictArgs(v: Verdict, family: Family): string[] {
  switch (v.kind) {
    case "accept":
      return ["-j", "ACCEPT"];
    case "drop":
      return ["-j", "DROP"];
    case "return":
      return ["-j", "RETURN"];
    case "jump":
      return ["-j", v.chain];
    case "goto":
      return ["-g", v.chain];
    case "masquerade":
      return ["-j", "MASQUERADE"];
    case "dnat":
      return ["-j", "DNAT", "--to-destination", family === 6 ? `[${v.addr}]:${v.port}` : `${v.addr}:${v.port}`];
    case "mark-set":
      return ["-j", "MARK", "--set-xmark", `${hex(v.value)}/${hex(v.mask)}`];
    case "foreign":
      return [...v.tokens];
  }
}

/** The rule as the argv tokens `iptables-save` prints, in its order (the one spelling). */
export function ruleArgs(family: Family, r: Rule): string[] {
  return [
    ...(r.src ? [...bang(r.src.not), "-s", r.src.cidr] : []),
    ...(r.dst ? [...bang(r.dst.not), "-d", r.dst.cidr] : []),
    ...(r.iif ? [...bang(r.iif.not), "-i", r.iif.name] : []),
    ...(r.oif ? [...bang(r.oif.not), "-o", r.oif.name] : []),
    ...(r.proto ? ["-p", r.proto] : []),
    ...r.matches.flatMap((m) => matchArgs(m, r.proto)),
    ...verdictArgs(r.verdict, family),
  ];
}

function sameTokens(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && every(a, (t, i) => t === b[i]);
}

function sameMatch(a: Match, b: Match): boolean {
  switch (a.kind) {
    case "comment":
      return b.kind === "comment" && a.text === b.text;
    case "dport":
      return b.kind === "dport" && a.port === b.port;
    case "dports":
      return b.kind === "dports" && a.ports.length === b.ports.length && every(a.ports, (p, i) => p === b.ports[i]);
    case "dst-local":
      return b.kind === "dst-local";
    case "mark":
      return b.kind === "mark" && a.value === b.value && a.mask === b.mask;
    case "ether-saddr":
      return b.kind === "ether-saddr" && a.mac === b.mac;
    case "conditions":
      return b.kind === "conditions" && sameTokens(a.tokens, b.tokens);
    case "foreign":
      return false;
  }
}

function sameVerdict(a: Verdict, b: Verdict): boolean {
  switch (a.kind) {
    case "jump":
    case "goto":
      return b.kind === a.kind && b.chain === a.chain;
    case "dnat":
      return b.kind === "dnat" && a.addr === b.addr && a.port === b.port;
    case "mark-set":
      return b.kind === "mark-set" && a.value === b.value && a.mask === b.mask;
    case "foreign":
      return false;
    default:
      return a.kind === b.kind;
  }
}

const samePrefix = (a: Prefix | undefined, b: Prefix | undefined): boolean =>
  a === undefined ? b === undefined : b !== undefined && a.cidr === b.cidr && !a.not === !b.not;
const sameIface = (a: Iface | undefined, b: Iface | undefined): boolean =>
  a === undefined ? b === undefined : b !== undefined && a.name === b.name && !a.not === !b.not;

/** Model equality; a foreign part equals nothing, so an unknown rule is never taken for ours. */
export function sameRule(a: Rule, b: Rule): boolean {
  return (
    samePrefix(a.src, b.src) &&
    samePrefix(a.dst, b.dst) &&
    sameIface(a.iif, b.iif) &&
    sameIface(a.oif, b.oif) &&
    a.proto === b.proto &&
    a.matches.length === b.matches.length &&
    every(a.matches, (m, i) => sameMatch(m, b.matches[i] as Match)) &&
    sameVerdict(a.verdict, b.verdict)
  );
}
