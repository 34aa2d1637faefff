/**
 * Every rule the iptables planners can write goes in-process: each typed rule encodes to nf_tables
 * expressions, and those expressions decode back to the same model (model -> netlink -> model).
 * That is what keeps a repeated ADD from adding a duplicate: the writer compares the planned model
 * with the kernel's rules decoded. Covers bridge ipMasq, portmap in both families with every
 * option that changes a rule's shape, and the agent's node-wide masquerade.
 */
import { describe, expect, test } from "bun:test";
import { type Rule, ruleArgs, sameRule } from "../../../src/firewall/rule.ts";
import { decodeXtRule } from "../../../src/firewall/xt-decode.ts";
import { encodeXtRule } from "../../../src/firewall/xt-encode.ts";
import { Writer } from "../../../src/netlink/attrs.ts";
import { NF_DROP, NFPROTO_IPV4, NFPROTO_IPV6, NFT_CMP_EQ, NFT_CMP_NEQ, NFT_META_L4PROTO, NFT_PAYLOAD_TRANSPORT_HEADER } from "../../../src/netlink/nft/constants.ts";
import { decodeExprs, writeExprs } from "../../../src/netlink/nft/expr.ts";
import { be16, cmp, counter, dnatInfo, metaLoad, payloadLoad, verdict, xtTarget } from "../../../src/netlink/nft/xt.ts";
import { PLANNED, rulesOf } from "../../fixtures/firewall/iptables-rules.ts";

function throughKernelWire(family: 4 | 6, rule: Rule): Rule | undefined {
  const encoded = encodeXtRule(family, rule);
  if (encoded === undefined) return undefined;
  const w = new Writer();
  writeExprs(w, encoded.exprs);
  return decodeXtRule(family === 4 ? NFPROTO_IPV4 : NFPROTO_IPV6, decodeExprs(w.finish()));
}

describe("planner rules: model -> expressions -> kernel wire -> model", () => {
  test.each(PLANNED)("%s", (_name, list) => {
    let count = 0;
    for (const plan of list) {
      for (const rule of rulesOf(plan)) {
        const back = throughKernelWire(plan.family, rule);
        expect({ rule, back }).toEqual({ rule, back: rule });
        expect(back !== undefined && sameRule(back, rule)).toBe(true);
        count++;
      }
    }
    expect(count).toBeGreaterThan(2);
  });

  test("the comparison keeps apart what differs, and a foreign part equals nothing, itself included", () => {
    const r: Rule = { src: { cidr: "10.0.0.0/8" }, proto: "tcp", matches: [{ kind: "dport", port: 80 }], verdict: { kind: "jump", chain: "X" } };
    expect(sameRule(r, { ...r })).toBe(true);
    for (const other of [
      { ...r, src: { cidr: "10.0.0.0/8", not: true } },
      { ...r, src: undefined },
      { ...r, proto: "udp" },
      { ...r, matches: [{ kind: "dport", port: 81 }] },
      { ...r, matches: [] },
      { ...r, verdict: { kind: "goto", chain: "X" } },
      { ...r, verdict: { kind: "jump", chain: "Y" } },
    ] as Rule[]) {
      expect(sameRule(r, other)).toBe(false);
      expect(sameRule(other, r)).toBe(false);
    }
    const alien: Rule = { ...r, matches: [{ kind: "foreign", tokens: ["?meta"] }] };
    expect(sameRule(alien, alien)).toBe(false);
  });

  test("spelling: the model prints as iptables-save does", () => {
    const family = 4;
    const r: Rule = {
      src: { cidr: "10.0.0.0/8" },
      dst: { cidr: "224.0.0.0/4", not: true },
      proto: "tcp",
      matches: [{ kind: "comment", text: "a b" }, { kind: "dport", port: 80 }, { kind: "mark", value: 0x2000, mask: 0x2000 }],
      verdict: { kind: "dnat", addr: "10.1.2.3", port: 8080 },
    };
    expect(ruleArgs(family, r)).toEqual(
      "-s 10.0.0.0/8 ! -d 224.0.0.0/4 -p tcp -m comment --comment a_b -m tcp --dport 80 -m mark --mark 0x2000/0x2000 -j DNAT --to-destination 10.1.2.3:8080".split(" ").map((t) => t.replace("a_b", "a b")),
    );
    expect(ruleArgs(6, { matches: [], verdict: { kind: "dnat", addr: "fd00::1", port: 1 } })).toEqual(["-j", "DNAT", "--to-destination", "[fd00::1]:1"]);
  });
});

describe("kernel rules no decoder knows become foreign nodes", () => {
  const tcp = [metaLoad(NFT_META_L4PROTO), cmp(NFT_CMP_EQ, Uint8Array.of(6))];
  test.each([
    ["an expression without a decoder", [...tcp, { name: "log", attrs: [] }, counter(), verdict(NF_DROP)], ["-p", "tcp", "?log", "-j", "DROP"]],
    ["a negated destination port", [...tcp, payloadLoad(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2), cmp(NFT_CMP_NEQ, be16(80)), counter(), verdict(NF_DROP)], ["-p", "tcp", "-m", "tcp", "!", "--dport", "80", "-j", "DROP"]],
    ["a source port", [...tcp, payloadLoad(NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2), cmp(NFT_CMP_EQ, be16(80)), counter(), verdict(NF_DROP)], ["-p", "tcp", "-m", "tcp", "--sport", "80", "-j", "DROP"]],
    ["a DNAT to an address only", [counter(), xtTarget("DNAT", 2, (() => { const b = dnatInfo(Uint8Array.of(10, 0, 0, 1), 80); b[0] = 1; return b; })())], ["-j", "DNAT", "--to-destination", "10.0.0.1"]],
    ["an unknown target", [counter(), xtTarget("SNAT", 2, new Uint8Array(40))], ["-j", "SNAT", "?options"]],
  ])("%s: spelled as iptables-save would, equal to nothing", (_name, exprs, tokens) => {
    const rule = decodeXtRule(NFPROTO_IPV4, exprs);
    expect(ruleArgs(4, rule)).toEqual(tokens);
    expect(sameRule(rule, rule)).toBe(false);
    expect(encodeXtRule(4, rule)).toBeUndefined();
  });
});
