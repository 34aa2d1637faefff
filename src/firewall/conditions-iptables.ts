/**
 * iptables-style conditions: argv tokens appended to the entry rule before its `-j`. They must be
 * match options (with their match modules) only: a target, a goto, a command, a `--set-*` option
 * or a module with side effects is refused by name.
 */
import { checkTokenList, Cursor, isAddress, isIfName, isIpProtocol, isNumber, isPlainAddress, isPort, refuseToken } from "./conditions.ts";
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

const portOrRange: Check = (v) => v.split(":").length <= 2 && v.split(":").every((p) => p === "" || isPort(p)) && v !== ":";
const portList: Check = (v) => {
  const parts = v.split(",");
  return parts.length <= 15 && parts.every((p) => p.split(":").length <= 2 && p.split(":").every(isPort));
};
const markValue: Check = (v) => {
  const [value, mask, extra] = v.split("/");
  return extra === undefined && value !== undefined && isNumber(value) && (mask === undefined || isNumber(mask));
};
const addressRange: Check = (v, f) => {
  const [a, b, extra] = v.split("-");
  return extra === undefined && a !== undefined && b !== undefined && isPlainAddress(a, f) && isPlainAddress(b, f);
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

/** Options of the rule itself, valid anywhere. */
const GENERIC: Record<string, Option> = {
  "-s": ADDRESS, "--source": ADDRESS, "--src": ADDRESS,
  "-d": ADDRESS, "--destination": ADDRESS, "--dst": ADDRESS,
  "-p": PROTOCOL, "--protocol": PROTOCOL,
  "-i": IFNAME, "--in-interface": IFNAME,
  "-o": IFNAME, "--out-interface": IFNAME,
};


/** iptables loads the protocol's match itself after `-p tcp` and the like. */
const IMPLICIT = new Set(["tcp", "udp", "udplite", "sctp", "dccp"]);

function lookup(option: string, loaded: readonly string[]): Option | undefined {
  const generic = GENERIC[option];
  if (generic !== undefined) return generic;
  for (let i = loaded.length - 1; i >= 0; i--) {
    const o = MODULES[loaded[i] ?? ""]?.[option];
    if (o !== undefined) return o;
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
  checkTokenList(what, tokens);
  const t = new Cursor(tokens, what);
  const loaded: string[] = [];
  const expected = `a match option (${Object.keys(GENERIC).filter((k) => k.length === 2).join(", ")}, -m <module>) or "!"`;
  while (!t.done) {
    let token = t.next(expected);
    const negated = token === "!";
    if (negated) token = t.next("an option after !");
    if (token === "-m" || token === "--match") {
      if (negated) throw refuseToken(what, token, "a negatable option after !");
      const module = t.next("a match module");
      if (MODULES[module] === undefined) throw refuseToken(what, module, `a match module (${Object.keys(MODULES).join(", ")})`);
      loaded.push(module);
      continue;
    }
    const o = lookup(token, loaded);
    if (o === undefined) throw refuseToken(what, token, expected);
    if (negated && !o.negatable) throw refuseToken(what, token, "a negatable option after !");
    const [v] = takeValues(t, token, o, family);
    if ((token === "-p" || token === "--protocol") && v !== undefined && IMPLICIT.has(v.toLowerCase())) loaded.push(v.toLowerCase());
  }
  return tokens;
}
