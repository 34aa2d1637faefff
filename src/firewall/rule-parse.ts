/**
 * A rule as `iptables-save` prints it (argv tokens) read into the typed model (rule.ts): how a
 * node whose rules tscni can only read as text (iptables-legacy, or a call that runs the tool)
 * yields the same model as a netlink read. Each part in the exact shape a planner writes becomes
 * its typed node; anything else (including the user's conditions as printed back) is foreign.
 */
import type { RuleArgs } from "./model.ts";
import type { Match, Rule, RuleDraft, Verdict } from "./rule.ts";

const CHAIN = /^[A-Za-z0-9_.-]{1,28}$/;
const TARGETS = new Set(["ACCEPT", "DROP", "RETURN", "QUEUE", "MASQUERADE", "DNAT", "SNAT", "MARK", "REJECT", "LOG"]);
const PORT = /^\d{1,5}$/;
const U32 = /^0x[0-9a-f]{1,8}$/;


function mark(text: string): { value: number; mask: number } | undefined {
  const [v, m, extra] = text.split("/");
  if (v === undefined || !U32.test(v) || extra !== undefined || (m !== undefined && !U32.test(m))) return undefined;
  return { value: Number.parseInt(v.slice(2), 16), mask: m === undefined ? 0xffffffff : Number.parseInt(m.slice(2), 16) };
}

/** One `-m NAME options…` group. */
function module(group: readonly string[], proto: string | undefined): Match {
  const [, name, opt, value, ...rest] = group;
  if (rest.length === 0 && value !== undefined) {
    if (name === "comment" && opt === "--comment") return { kind: "comment", text: value };
    if (name === proto && opt === "--dport" && PORT.test(value)) return { kind: "dport", port: Number(value) };
    if (name === "multiport" && opt === "--dports" && value.split(",").every((p) => PORT.test(p))) return { kind: "dports", ports: value.split(",").map(Number) };
    if (name === "addrtype" && opt === "--dst-type" && value === "LOCAL") return { kind: "dst-local" };
    const m = name === "mark" && opt === "--mark" ? mark(value) : undefined;
    if (m) return { kind: "mark", ...m };
  }
  return { kind: "foreign", tokens: [...group] };
}

/** `-j NAME options…` or `-g CHAIN`. */
function target(tokens: readonly string[]): Verdict {
  const [flag, name = "", ...rest] = tokens;
  if (flag === "-g" && rest.length === 0 && CHAIN.test(name)) return { kind: "goto", chain: name };
  if (flag === "-j" && rest.length === 0) {
    if (name === "ACCEPT") return { kind: "accept" };
    if (name === "RETURN") return { kind: "return" };
    if (name === "MASQUERADE") return { kind: "masquerade" };
    if (CHAIN.test(name) && !TARGETS.has(name)) return { kind: "jump", chain: name };
  }
  if (flag === "-j" && name === "DNAT" && rest.length === 2 && rest[0] === "--to-destination") {
    const to = /^(?:\[([0-9a-f:]+)\]|([0-9.]+)):(\d{1,5})$/.exec(rest[1] ?? "");
    if (to) return { kind: "dnat", addr: to[1] ?? to[2] ?? "", port: Number(to[3]) };
  }
  const m = flag === "-j" && name === "MARK" && rest.length === 2 && rest[0] === "--set-xmark" ? mark(rest[1] ?? "") : undefined;
  if (m) return { kind: "mark-set", ...m };
  return { kind: "foreign", tokens: [...tokens] };
}

const HEADER = new Set(["-s", "-d", "-i", "-o", "-p"]);

export function parseRuleArgs(args: RuleArgs): Rule {
  const d: RuleDraft = { matches: [], verdict: { kind: "foreign", tokens: [] } };
  let i = 0;
  while (i < args.length) {
    const not = args[i] === "!";
    const t = args[not ? i + 1 : i] ?? "";
    const value = args[not ? i + 2 : i + 1];
    if (HEADER.has(t) && value !== undefined && !(t === "-p" && not)) {
      if (t === "-s" || t === "-d") d[t === "-s" ? "src" : "dst"] = not ? { cidr: value, not } : { cidr: value };
      else if (t === "-i" || t === "-o") d[t === "-i" ? "iif" : "oif"] = not ? { name: value, not } : { name: value };
      else d.proto = value;
      i += not ? 3 : 2;
      continue;
    }
    if (!not && (t === "-j" || t === "-g")) {
      d.verdict = target(args.slice(i));
      break;
    }
    // A module with its options (or any other token) up to the next module or target.
    let end = i + 1;
    while (end < args.length && !["-m", "-j", "-g"].includes(args[end] ?? "")) end++;
    const group = args.slice(i, end);
    d.matches.push(t === "-m" && !not ? module(group, d.proto) : { kind: "foreign", tokens: group });
    i = end;
  }
  return d;
}
