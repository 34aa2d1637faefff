/**
 * nft-style conditions: the tokens are joined with spaces in front of `fib daddr type local jump
 * hostports_all`, so they must read as a sequence of relational matches and nothing else. The
 * grammar below is the allow-list; every word it does not expect is refused by name.
 */
import {
  checkTokenList,
  conditionError,
  Cursor,
  inOrder,
  isAddress,
  isIfName,
  isIpProtocol,
  isNumber,
  isPlainAddress,
  isPort,
  refuseToken,
  show,
  VERDICTS_AND_STATEMENTS,
} from "./conditions.ts";
import type { Family } from "./model.ts";

type Check = (word: string) => boolean;

interface ValueKind {
  readonly name: string;
  readonly element: Check;
  /** ct state/status take a bare comma list (`established,related`). */
  readonly flags?: boolean;
  /** `a-b` is a range of this kind (an interface name may carry a dash). */
  readonly ranges?: boolean;
}

/** nft compares one value with these, never a prefix, range or set ("size mismatch" otherwise). */
const ORDERING = new Set(["<", ">", "<=", ">="]);
const ONE_VALUE = "one value after <, >, <= or >= (no prefix, range or set)";

const RELOPS = new Set(["==", "!=", "<", ">", "<=", ">="]);

/** Ranges `a-b` of an element kind (ports, numbers, addresses). */
function orRange(single: Check): Check {
  return (w) => {
    if (single(w)) return true;
    const dash = w.indexOf("-", 1);
    return dash > 0 && single(w.slice(0, dash)) && single(w.slice(dash + 1)) && inOrder(w.slice(0, dash), w.slice(dash + 1));
  };
}

const oneOf = (...words: string[]): Check => {
  const set = new Set(words);
  return (w) => set.has(w);
};

/** Words nft reads as keywords: a bare interface name must not be one. */
const KEYWORDS = new Set([
  ...VERDICTS_AND_STATEMENTS,
  "ip", "ip6", "meta", "ct", "fib", "th", "tcp", "udp", "udplite", "sctp", "dccp", "saddr", "daddr", "sport", "dport",
  "iif", "oif", "iifname", "oifname", "mark", "and", "or", "xor", "type", "state", "status", "l4proto", "protocol",
  "nexthdr", "pkttype", "nfproto", "missing", "exists", "local", "direction", "original", "reply", "vmap", "map",
  // The words nft 1.0.6 refuses as a bare name after iifname (each of nft.8's words tried in a netns).
  "ah", "all", "bridge", "cgroup", "chain", "comment", "comp", "constant", "cpu", "day", "describe", "device",
  "devices", "dst", "dynamic", "element", "elements", "eq", "esp", "expires", "exthdr", "flags", "flowtable", "frag",
  "gc-interval", "ge", "get", "gt", "handle", "hbh", "hook", "hour", "ibriport", "ibrname", "icmp", "icmpv6", "igmp",
  "iifgroup", "iiftype", "index", "inet", "interval", "ipsec", "jhash", "le", "lt", "mh", "monitor", "ne", "netdev",
  "nftrace", "not", "numgen", "obriport", "obrname", "oifgroup", "oiftype", "osf", "policy", "position", "priority",
  "random", "redefine", "rename", "rt", "rt0", "rt2", "rtclassid", "rule", "ruleset", "size", "skgid", "skuid",
  "socket", "srh", "symhash", "table", "time", "timeout", "typeof", "undefine", "xt",
]);

function ifNameWord(w: string): boolean {
  if (w.length >= 2 && w.startsWith('"') && w.endsWith('"')) return isIfName(w.slice(1, -1), "*");
  // Bare words are nft identifiers: a letter first, no `@` (a set reference) or other sigil.
  return !KEYWORDS.has(w.toLowerCase()) && /^[A-Za-z][A-Za-z0-9_.-]*\*?$/.test(w) && isIfName(w, "*");
}

const KINDS = {
  port: { name: "a port, port range or set of ports", element: orRange(isPort), ranges: true },
  protocol: { name: "an IP protocol name or number", element: isIpProtocol },
  ifname: { name: "an interface name", element: ifNameWord },
  // nft resolves iif/oif to one device's index when it reads the rule: no wildcard.
  device: { name: "an existing interface's name (no wildcard)", element: (w: string) => ifNameWord(w) && !w.replace(/"$/, "").endsWith("*") },
  number: { name: "a number (decimal or 0x hex)", element: orRange((w) => isNumber(w)), ranges: true },
  pkttype: { name: "host, unicast, broadcast, multicast or other", element: oneOf("host", "unicast", "broadcast", "multicast", "other") },
  ctState: { name: "a conntrack state", element: oneOf("new", "established", "related", "invalid", "untracked"), flags: true },
  ctStatus: { name: "a conntrack status", element: oneOf("expected", "seen-reply", "assured", "confirmed", "snat", "dnat", "dying"), flags: true },
  ctDirection: { name: "original or reply", element: oneOf("original", "reply") },
  fibType: {
    name: "a route type",
    element: oneOf("unspec", "unicast", "local", "broadcast", "anycast", "multicast", "blackhole", "unreachable", "prohibit", "throw", "nat", "xresolve"),
  },
} satisfies Record<string, ValueKind>;

const address = (family: Family | undefined): ValueKind => ({
  name: `an IPv${family ?? "4/6"} address, prefix, range or set`,
  element: (w) => isAddress(w, family) || orRange((x) => isPlainAddress(x, family))(w),
  ranges: true,
});

/** `[relop] element`, `[relop] { element, … }` or, for flags, `element,element…`. */
function value(c: Cursor, kind: ValueKind): void {
  const ordering = ORDERING.has(c.peek() ?? "");
  if (RELOPS.has(c.peek() ?? "")) c.next("an operator");
  const element = (): void => {
    const w = c.next(kind.name);
    if (!kind.element(w)) throw refuseToken(c.what, w, kind.name);
    if (ordering && (w.includes("/") || (kind.ranges === true && w.indexOf("-", 1) > 0))) throw refuseToken(c.what, w, ONE_VALUE);
  };
  if (ordering && c.peek() === "{") throw refuseToken(c.what, "{", ONE_VALUE);
  if (c.peek() === "{") {
    c.next("{");
    for (;;) {
      element();
      const sep = c.pick([",", "}"]);
      if (sep === "}") return;
      if (c.peek() === "}") return void c.next("}");
    }
  }
  element();
  while (kind.flags === true && c.peek() === ",") {
    c.next(",");
    element();
  }
}

/** `mark [and N] …`: marks are often matched under a mask. */
function markValue(c: Cursor): void {
  if (c.peek() === "and") {
    c.next("and");
    const mask = c.next("a mask");
    if (!isNumber(mask)) throw refuseToken(c.what, mask, "a number (decimal or 0x hex)");
  }
  value(c, KINDS.number);
}

const META_KEYS = ["l4proto", "iifname", "oifname", "iif", "oif", "mark", "pkttype"] as const;

function metaMatch(c: Cursor, key: (typeof META_KEYS)[number]): void {
  if (key === "mark") return markValue(c);
  const kinds = { l4proto: KINDS.protocol, iifname: KINDS.ifname, oifname: KINDS.ifname, iif: KINDS.device, oif: KINDS.device, pkttype: KINDS.pkttype };
  value(c, kinds[key]);
}

/**
 * `fib <keys> type <route type>`. The same rule goes to the prerouting and output hooks, so the
 * hook-bound keys and results (iif, oif, oifname) would fail in one of them: not offered.
 */
function fibMatch(c: Cursor): void {
  const keys = ["saddr", "daddr", "mark"] as const;
  c.pick(keys);
  while (c.peek() === ".") {
    c.next(".");
    c.pick(keys);
  }
  c.pick(["type"]);
  value(c, KINDS.fibType);
}

function ctMatch(c: Cursor): void {
  const key = c.pick(["state", "status", "direction", "mark"]);
  if (key === "mark") return markValue(c);
  value(c, key === "state" ? KINDS.ctState : key === "status" ? KINDS.ctStatus : KINDS.ctDirection);
}

const FIRST = ["ip", "ip6", "meta", "th", "tcp", "udp", "udplite", "sctp", "dccp", "fib", "ct", "iifname", "oifname", "iif", "oif", "mark", "pkttype"];
const EXPECTED_MATCH = "a match: ip/ip6 saddr|daddr, ip protocol, ip6 nexthdr, meta …, th|tcp|udp|sctp|dccp sport|dport, fib …, ct state|status|direction|mark";

function match(c: Cursor, family: Family | undefined): void {
  const first = c.next(EXPECTED_MATCH);
  switch (first) {
    case "ip":
    case "ip6": {
      const want: Family = first === "ip" ? 4 : 6;
      if (family !== undefined && family !== want) throw conditionError(c.what, `${show(first)} matches IPv${want} packets, not IPv${family}`);
      const field = c.pick(first === "ip" ? ["saddr", "daddr", "protocol"] : ["saddr", "daddr", "nexthdr"]);
      return value(c, field === "saddr" || field === "daddr" ? address(want) : KINDS.protocol);
    }
    case "meta":
      return metaMatch(c, c.pick(META_KEYS));
    case "iifname":
    case "oifname":
    case "iif":
    case "oif":
    case "mark":
    case "pkttype":
      return metaMatch(c, first);
    case "th":
    case "tcp":
    case "udp":
    case "udplite":
    case "sctp":
    case "dccp":
      c.pick(["sport", "dport"]);
      return value(c, KINDS.port);
    case "fib":
      return fibMatch(c);
    case "ct":
      return ctMatch(c);
    default:
      throw refuseToken(c.what, first, `${EXPECTED_MATCH} (one of ${FIRST.join(", ")})`);
  }
}

/**
 * Spaces and tabs separate words (nft's scanner knows no other blank: a no-break space is junk to
 * it, so it stays inside a word and is refused); braces and commas are words of their own.
 */
export function nftWords(tokens: readonly string[]): string[] {
  return tokens.flatMap((t) => t.split(/[ \t]+/).flatMap((w) => w.split(/([{},])/))).filter((w) => w !== "");
}

/**
 * Refuses `tokens` unless they are nft matches only (for `family`'s packets when given); returns
 * them unchanged, since they are written as the user gave them.
 */
export function checkNftMatches(what: string, tokens: readonly string[], family?: Family): readonly string[] {
  checkTokenList(what, tokens);
  const c = new Cursor(nftWords(tokens), what);
  while (!c.done) match(c, family);
  return tokens;
}
