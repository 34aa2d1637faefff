/**
 * Every rule the nft planners can write (portmap: every mapping shape, hostIP, IPv4 + IPv6,
 * snat/hairpin, markMasqBit and externalSetMarkChain (iptables-only options the nft layout
 * ignores), conditions; bridge ipMasq; macspoofchk; the agent's table), model -> nf_tables
 * expressions -> model, and model -> nft text -> model. A rule with the user's conditions has
 * no netlink form (only `nft -f -` writes it); the decoder reads an unknown expression as foreign.
 */
import { describe, expect, test } from "bun:test";
import { NFPROTO } from "../../../src/firewall/netlink-state.ts";
import { compileRule } from "../../../src/firewall/nft-compile.ts";
import { decodeNftRule, isForeign, kernelForm } from "../../../src/firewall/nft-decode.ts";
import { nftRuleText, parseNftText } from "../../../src/firewall/nft-text.ts";
import type { Rule } from "../../../src/firewall/rule.ts";
import { NFPROTO_IPV4 } from "../../../src/netlink/nft/constants.ts";
import { ExprBuilder } from "../../../src/netlink/nft/expr.ts";
import { PLANS, rulesOf } from "./nft-planned.ts";

const hasConditions = (r: Rule): boolean => r.matches.some((m) => m.kind === "conditions");

describe("every planned nft rule round-trips", () => {
  test("the plans cover every shape", () => {
    const all = PLANS.flatMap(([, p]) => rulesOf(p)).map((x) => x.spec.rule);
    const kinds = new Set(all.flatMap((r) => [r.verdict.kind, ...r.matches.map((m) => m.kind), ...(r.iif ? ["iif"] : []), ...(r.src?.not || r.dst?.not ? ["not"] : [])]));
    expect([...kinds].sort()).toEqual(["conditions", "dnat", "dport", "drop", "dst-local", "ether-saddr", "goto", "iif", "jump", "masquerade", "not", "return"]);
    expect(new Set(all.map((r) => r.proto).filter((p) => p !== undefined))).toEqual(new Set(["tcp", "udp", "sctp", "dccp"]));
  });

  test.each(PLANS)("%s: model -> netlink -> model, model -> text -> model", (_name, plan) => {
    const rules = rulesOf(plan);
    expect(rules.length).toBeGreaterThan(0);
    for (const { ref, spec } of rules) {
      const family = NFPROTO[ref.family];
      const exprs = compileRule(family, spec.rule);
      if (hasConditions(spec.rule)) {
        // Only a call carrying the user's conditions leaves netlink (one `nft -f -`).
        expect(exprs).toBeUndefined();
      } else {
        expect(exprs).toBeDefined();
        expect({ ref, rule: decodeNftRule(family, exprs ?? []) }).toEqual({ ref, rule: spec.rule });
        expect(parseNftText(nftRuleText(spec.rule, ref.family))).toEqual(spec.rule);
      }
    }
  });
});

describe("the decoder never owns what it cannot re-encode", () => {
  const planned: Rule = { src: { cidr: "10.0.0.2/32" }, matches: [], verdict: { kind: "masquerade" } };
  const exprs = compileRule(NFPROTO_IPV4, planned) ?? [];

  test("an expression the model does not know (a counter) makes the rule foreign, with nft's text of it", () => {
    const withCounter = [...exprs.slice(0, -1), new ExprBuilder("counter").build(), ...exprs.slice(-1)];
    const r = decodeNftRule(NFPROTO_IPV4, withCounter);
    expect(isForeign(r)).toBe(true);
    expect(nftRuleText(r)).toBe("ip saddr 10.0.0.2 counter masquerade");
  });

  test("a known expression with an attribute the encoder does not write is foreign too", () => {
    const last = exprs.at(-1);
    const odd = [...exprs.slice(0, -1), { name: "masq", attrs: [...(last?.attrs ?? []), { type: 1, nested: false, data: Uint8Array.of(0, 0, 0, 4) }] }];
    expect(isForeign(decodeNftRule(NFPROTO_IPV4, odd))).toBe(true);
    expect(isForeign(decodeNftRule(NFPROTO_IPV4, exprs.slice(0, -1)))).toBe(true); // no verdict
    expect(decodeNftRule(NFPROTO_IPV4, exprs)).toEqual(planned);
  });

  test("the kernel's form of a dnat (nat ranges completed, attributes in type order) keeps other dnats apart", () => {
    const dnat: Rule = { proto: "tcp", matches: [{ kind: "dport", port: 80 }], verdict: { kind: "dnat", addr: "10.0.0.2", port: 8080 } };
    const sent = compileRule(NFPROTO_IPV4, dnat) ?? [];
    const nat = sent.at(-1);
    if (nat === undefined) throw new Error("no nat expression");
    const dumped = [...sent.slice(0, -1), kernelForm(nat)];
    expect(dumped.at(-1)?.attrs.map((a) => a.type)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(decodeNftRule(NFPROTO_IPV4, dumped)).toEqual(dnat);
    // Another max register, or another flag, is not filled in: foreign.
    const withMax = (type: number, byte: number) => [...sent.slice(0, -1), { name: "nat", attrs: [...nat.attrs, { type, nested: false, data: Uint8Array.of(0, 0, 0, byte) }] }];
    expect(isForeign(decodeNftRule(NFPROTO_IPV4, withMax(4, 3)))).toBe(true);
    expect(isForeign(decodeNftRule(NFPROTO_IPV4, withMax(6, 3)))).toBe(true);
    const flags = nat.attrs.map((a) => (a.type === 7 ? { ...a, data: Uint8Array.of(0, 0, 0, 0x22) } : a));
    expect(isForeign(decodeNftRule(NFPROTO_IPV4, [...sent.slice(0, -1), { name: "nat", attrs: flags }]))).toBe(true);
  });

  test("a bitwise the kernel names as mask-and-xor is the mask nft sent; any other operation is foreign", () => {
    const multicast: Rule = { dst: { cidr: "224.0.0.0/4" }, matches: [], verdict: { kind: "return" } };
    const sent = compileRule(NFPROTO_IPV4, multicast) ?? [];
    const op = (v: number) => sent.map((e) => (e.name === "bitwise" ? { ...e, attrs: [...e.attrs, { type: 6, nested: false, data: Uint8Array.of(0, 0, 0, v) }] } : e));
    expect(decodeNftRule(NFPROTO_IPV4, op(0))).toEqual(multicast);
    expect(isForeign(decodeNftRule(NFPROTO_IPV4, op(1)))).toBe(true);
  });

  test("text the parser does not know is one foreign node holding the tokens", () => {
    expect(parseNftText("ip saddr 10.0.0.2 counter packets 0 bytes 0 masquerade")).toEqual({
      matches: [{ kind: "foreign", tokens: ["ip", "saddr", "10.0.0.2", "counter", "packets", "0", "bytes", "0", "masquerade"] }],
      verdict: { kind: "foreign", tokens: [] },
    });
    expect(isForeign(parseNftText("ip6 saddr 10.0.0.2 masquerade"))).toBe(true);
  });
});
