/**
 * Rules read as iptables-save text yield the same model as the planners write and a netlink read
 * yields: every planner rule spelled and parsed back is the planned model; what is not a planner
 * shape (user conditions printed back, options the planners never write) is foreign.
 */
import { describe, expect, test } from "bun:test";
import { parseRuleArgs } from "../../../src/firewall/rule-parse.ts";
import { ruleArgs, sameRule } from "../../../src/firewall/rule.ts";
import { PLANNED, rulesOf } from "../../fixtures/firewall/iptables-rules.ts";

describe("iptables-save tokens -> model", () => {
  test.each(PLANNED)("%s: spelled, then parsed, is the planned model", (_name, plans) => {
    let count = 0;
    for (const plan of plans) {
      for (const rule of rulesOf(plan)) {
        const back = parseRuleArgs(ruleArgs(plan.family, rule));
        expect({ rule, back }).toEqual({ rule, back: rule });
        expect(sameRule(back, rule)).toBe(true);
        count++;
      }
    }
    expect(count).toBeGreaterThan(2);
  });

  test.each([
    ["-i eth7 -p udp -m comment --comment x -m multiport --dports 53 -j CNI-DN-x", { iif: { name: "eth7" }, proto: "udp", matches: [{ kind: "comment", text: "x" }, { kind: "dports", ports: [53] }], verdict: { kind: "jump", chain: "CNI-DN-x" } }],
    ["! -p tcp -j ACCEPT", { matches: [{ kind: "foreign", tokens: ["!", "-p", "tcp"] }], verdict: { kind: "accept" } }],
    ["-p tcp -m tcp ! --dport 80 -j DROP", { proto: "tcp", matches: [{ kind: "foreign", tokens: ["-m", "tcp", "!", "--dport", "80"] }], verdict: { kind: "foreign", tokens: ["-j", "DROP"] } }],
    ["-p tcp -m conntrack --ctstate NEW -m tcp --dport 80 -j X", { proto: "tcp", matches: [{ kind: "foreign", tokens: ["-m", "conntrack", "--ctstate", "NEW"] }, { kind: "dport", port: 80 }], verdict: { kind: "jump", chain: "X" } }],
    ["-j DNAT --to-destination 10.0.0.1", { matches: [], verdict: { kind: "foreign", tokens: ["-j", "DNAT", "--to-destination", "10.0.0.1"] } }],
    ["-j DNAT --to-destination [fd00::1]:80", { matches: [], verdict: { kind: "dnat", addr: "fd00::1", port: 80 } }],
    ["-m mark --mark 0x1 -j MARK --set-xmark 0x4000/0x4000", { matches: [{ kind: "mark", value: 1, mask: 0xffffffff }], verdict: { kind: "mark-set", value: 0x4000, mask: 0x4000 } }],
    ["-g CNI-X", { matches: [], verdict: { kind: "goto", chain: "CNI-X" } }],
  ])("%s", (line, model) => {
    expect(parseRuleArgs(line.split(" "))).toEqual(model as never);
  });
});
