/**
 * iptables-style conditions: argv tokens appended to the entry rule before its `-j`. They must be
 * match options (with their match modules) only: a target, a goto, a command, a `--set-*` option
 * or a module with side effects is refused by name.
 */
import { checkTokenList, conditionError, Cursor, inOrder, isAddress, isIfName, isIpProtocol, isNumber, isPlainAddress, isPort, refuseToken, show } from "./conditions.ts";
import type { Family } from "./model.ts";

type Check = (value: string, family: Family | undefined) => boolean;

interface Value {
  readonly name: string;
  readonly check: Check;
}

interface Option {
  /** What follows the option, one argv element each (none: a flag). */
  readonly values: readonly Value[];
  readonly negatable: boolean;
}

const list = (words: readonly string[]): Check => {
  const set = new Set(words);
  return (v) => v.split(",").every((w) => set.has(w.toUpperCase()));
};

/** `a`, `a:b`, and with `open`, `:b` or `a:` (0 and 65535 then); ends in order. */
const portRange = (v: string, open: boolean): boolean => {
  const [lo, hi, extra] = v.split(":");
  if (extra !== undefined || lo === undefined || v === ":") return false;
  if (hi === undefined) return isPort(lo);
  if (!open && (lo === "" || hi === "")) return false;
  return (lo === "" || isPort(lo)) && (hi === "" || isPort(hi)) && inOrder(lo || "0", hi || "65535");
};
const portOrRange: Check = (v) => portRange(v, true);
const portList: Check = (v) => {
  const parts = v.split(",");
  return parts.length <= 15 && parts.every((p) => portRange(p, false));
};
const markValue: Check = (v) => {
  const [value, mask, extra] = v.split("/");
  return extra === undefined && value !== undefined && isNumber(value) && (mask === undefined || isNumber(mask));
};
const addressRange: Check = (v, f) => {
  const [a, b, extra] = v.split("-");
  return extra === undefined && a !== undefined && b !== undefined && isPlainAddress(a, f) && isPlainAddress(b, f) && inOrder(a, b);
};
const comment: Check = () => true; // quoted per token when written; control characters were refused
const TCP_FLAGS = ["SYN", "ACK", "FIN", "RST", "URG", "PSH", "ALL", "NONE"];
const tcpFlags: Check = (v) => v.split(",").every((w) => TCP_FLAGS.includes(w.toUpperCase()));

const opt = (name: string, check: Check, negatable = true): Option => ({ values: [{ name, check }], negatable });
const flag = (negatable: boolean): Option => ({ values: [], negatable });

const PORT = opt("a port or port range (a:b)", portOrRange);
const PORTS = opt("up to 15 comma-separated ports or ranges", portList);
const ADDRESS = opt("an address or prefix of this family", (v, f) => isAddress(v, f));
const ADDRTYPES = opt("address types", list(["UNSPEC", "UNICAST", "LOCAL", "BROADCAST", "ANYCAST", "MULTICAST", "BLACKHOLE", "UNREACHABLE", "PROHIBIT", "THROW", "NAT", "XRESOLVE"]));
const STATES = opt("connection states", list(["INVALID", "NEW", "ESTABLISHED", "RELATED", "UNTRACKED", "SNAT", "DNAT"]));
const MARK = opt("a mark value[/mask]", markValue);
const PROTOCOL = opt("an IP protocol name or number", (v) => isIpProtocol(v) || v === "all");
const IFNAME = opt("an interface name", (v) => isIfName(v, "+"));

const PORT_OPTIONS = { "--sport": PORT, "--source-port": PORT, "--dport": PORT, "--destination-port": PORT };

/** The match modules conditions may load, each with its options. */
const MODULES: Record<string, Record<string, Option>> = {
  tcp: {
    ...PORT_OPTIONS,
    "--tcp-flags": { values: [{ name: "the flags to examine", check: tcpFlags }, { name: "the flags that must be set", check: tcpFlags }], negatable: true },
    "--syn": flag(true),
  },
  udp: PORT_OPTIONS,
  udplite: PORT_OPTIONS,
  sctp: PORT_OPTIONS,
  dccp: PORT_OPTIONS,
  multiport: { "--dports": PORTS, "--destination-ports": PORTS, "--sports": PORTS, "--source-ports": PORTS, "--ports": PORTS },
  addrtype: { "--src-type": ADDRTYPES, "--dst-type": ADDRTYPES, "--limit-iface-in": flag(false), "--limit-iface-out": flag(false) },
  conntrack: {
    "--ctstate": STATES,
    "--ctstatus": opt("conntrack statuses", list(["NONE", "EXPECTED", "SEEN_REPLY", "ASSURED", "CONFIRMED"])),
    "--ctproto": PROTOCOL,
    "--ctorigsrc": ADDRESS,
    "--ctorigdst": ADDRESS,
    "--ctreplsrc": ADDRESS,
    "--ctrepldst": ADDRESS,
    "--ctdir": opt("ORIGINAL or REPLY", (v) => v === "ORIGINAL" || v === "REPLY", false),
  },
  state: { "--state": STATES },
  mark: { "--mark": MARK },
  connmark: { "--mark": MARK },
  iprange: { "--src-range": opt("an address range a-b", addressRange), "--dst-range": opt("an address range a-b", addressRange) },
  comment: { "--comment": opt("a comment", comment, false) },
  pkttype: { "--pkt-type": opt("unicast, broadcast or multicast", (v) => ["unicast", "broadcast", "multicast"].includes(v)) },
};

/** Options of the rule itself, valid anywhere. No `-p`: the rule matches the mapping's protocol already, and iptables takes one. */
const GENERIC: Record<string, Option> = {
  "-s": ADDRESS, "--source": ADDRESS, "--src": ADDRESS,
  "-d": ADDRESS, "--destination": ADDRESS, "--dst": ADDRESS,
  "-i": IFNAME, "--in-interface": IFNAME,
  "-o": IFNAME, "--out-interface": IFNAME,
};

/**
 * iptables-restore refuses an option given twice in the rule (generic) or in one match, under any
 * spelling, and the options of a group together: each maps to its group's first name.
 */
const SAME: readonly (readonly string[])[] = [
  ["-s", "--source", "--src"], ["-d", "--destination", "--dst"], ["-i", "--in-interface"], ["-o", "--out-interface"],
  ["--sport", "--source-port"], ["--dport", "--destination-port"], ["--syn", "--tcp-flags"],
  ["--dports", "--destination-ports", "--sports", "--source-ports", "--ports"], ["--limit-iface-in", "--limit-iface-out"],
];
const groupOf = (option: string): string => SAME.find((g) => g.includes(option))?.[0] ?? option;

/** The matches iptables refuses without any of their options (the protocol matches take none). */
const NEED_OPTION = new Set(["multiport", "addrtype", "conntrack", "state", "mark", "connmark", "iprange", "comment", "pkttype"]);

interface Loaded {
  readonly module: string;
  readonly used: Set<string>;
}

/** The option and where it belongs: the rule itself, or the latest loaded match that has it. */
function lookup(option: string, generic: Set<string>, loaded: readonly Loaded[]): { o: Option; used: Set<string> } | undefined {
  const g = GENERIC[option];
  if (g !== undefined) return { o: g, used: generic };
  for (let i = loaded.length - 1; i >= 0; i--) {
    const m = loaded[i];
    const o = m === undefined ? undefined : MODULES[m.module]?.[option];
    if (o !== undefined && m !== undefined) return { o, used: m.used };
  }
  return undefined;
}

/**
 * The option's values, each checked; a value never carries whitespace, except a comment, and
 * never starts with `-`: iptables takes it as the value, but iptables-save prints it bare, where
 * every reader of the rule (tscni's CHECK and DEL among them) sees an option such as `-j`.
 */
function takeValues(t: Cursor, option: string, o: Option, family: Family | undefined): string[] {
  return o.values.map(({ name, check }) => {
    const v = t.next(`${option}'s value (${name})`);
    if (!check(v, family) || (option !== "--comment" && /\s/.test(v))) throw refuseToken(t.what, v, `${option}'s value: ${name}`);
    if (v.startsWith("-")) throw refuseToken(t.what, v, `${option}'s value: ${name}, not starting with "-"`);
    return v;
  });
}

/**
 * Refuses `tokens` unless they are iptables match options only (addresses of `family` when
 * given); returns them unchanged, one argv element each, as they are written.
 */
export function checkIptablesMatches(what: string, tokens: readonly string[], family?: Family): readonly string[] {
  // No conditions (every portmap ADD without them) pass as they are: nothing below would run but
  // the refusal texts' set-up and a JS-written `find`, compiled on first use (docs/performance.md).
  if (tokens.length === 0) return tokens;
  checkTokenList(what, tokens);
  const t = new Cursor(tokens, what);
  const loaded: Loaded[] = [];
  const generic = new Set<string>();
  const expected = `a match option (${Object.keys(GENERIC).filter((k) => k.length === 2).join(", ")}, -m <module>) or "!"`;
  while (!t.done) {
    let token = t.next(expected);
    const negated = token === "!";
    if (negated) token = t.next("an option after !");
    if (token === "-m" || token === "--match") {
      if (negated) throw refuseToken(what, token, "a negatable option after !");
      const module = t.next("a match module");
      if (MODULES[module] === undefined) throw refuseToken(what, module, `a match module (${Object.keys(MODULES).join(", ")})`);
      loaded.push({ module, used: new Set() });
      continue;
    }
    const found = lookup(token, generic, loaded);
    if (found === undefined) throw refuseToken(what, token, expected);
    const group = groupOf(token);
    if (found.used.has(group)) throw conditionError(what, `${show(token)} is not allowed here (${group} is given already)`);
    found.used.add(group);
    if (negated && !found.o.negatable) throw refuseToken(what, token, "a negatable option after !");
    takeValues(t, token, found.o, family);
  }
  const bare = loaded.find((m) => NEED_OPTION.has(m.module) && m.used.size === 0);
  if (bare !== undefined) {
    throw conditionError(what, `match ${JSON.stringify(bare.module)} needs one of its options (${Object.keys(MODULES[bare.module] ?? {}).join(", ")})`);
  }
  return tokens;
}
