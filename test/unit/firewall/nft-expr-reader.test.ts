/**
 * The statement reader both nft readers share (nft-expr-reader.ts), on expressions recorded from
 * the tools themselves (test/fixtures/netlink/nft.json): a rule shape tscni owns as nft 1.0.6 sent
 * it, and a foreign one iptables-nft 1.8.9 wrote (xt match and target, counter), then on shapes
 * only another tool writes (a source port, a masked IPv6 prefix, an interface wildcard, a dnat
 * without a port). Expected statements are written out by hand, never derived from the reader.
 */
import { describe, expect, test } from "bun:test";
import { NftExprReader, type NftStatementRead } from "../../../src/firewall/nft-expr-reader.ts";
import { NFPROTO_IPV6, NFT_CMP_EQ, NFT_CMP_NEQ, NFT_MSG_NEWRULE } from "../../../src/netlink/nft/constants.ts";
import { type Expr, ExprBuilder } from "../../../src/netlink/nft/expr.ts";
import { decodeRule, nftType } from "../../../src/netlink/nft/messages.ts";
import { received, sentBatch } from "../netlink/golden.ts";

/** The statements from the first expression on; `undefined` where one is not known (reading stops there). */
function statements(exprs: readonly Expr[]): (NftStatementRead | undefined)[] {
  const reader = new NftExprReader(exprs);
  const out: (NftStatementRead | undefined)[] = [];
  for (let i = 0; i < exprs.length; ) {
    const s = reader.at(i);
    out.push(s);
    if (s === undefined) break;
    i += s.used;
  }
  return out;
}

function nftSent(name: string): readonly Expr[] {
  const m = sentBatch("nft", name).find((x) => x.type === nftType(NFT_MSG_NEWRULE));
  const r = m && decodeRule(m);
  if (!r) throw new Error(`no NEWRULE in ${name}`);
  return r.exprs;
}

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

describe("a shape tscni owns, as nft 1.0.6 sent it", () => {
  test("ip daddr 192.168.1.5 udp dport 8081 dnat to 10.0.0.2:81", () => {
    expect(statements(nftSent("add-dnat-hostip-v4"))).toEqual([
      { kind: "address", field: "daddr", v6: false, addr: bytes(192, 168, 1, 5), prefix: 32, op: NFT_CMP_EQ, used: 2 },
      { kind: "l4proto", proto: 17, op: NFT_CMP_EQ, used: 2 },
      { kind: "port", field: "dport", port: 8081, op: NFT_CMP_EQ, used: 2 },
      { kind: "load", reg: 1, value: bytes(10, 0, 0, 2), used: 1 },
      { kind: "load", reg: 2, value: bytes(0, 81), used: 1 },
      { kind: "dnat", family: 2, addr: bytes(10, 0, 0, 2), port: 81, used: 1 },
    ]);
  });

  test("inet: the nfproto dependency, then a prefix compared with a bitwise mask (three expressions)", () => {
    expect(statements(nftSent("add-masq-return-v4"))).toEqual([
      { kind: "nfproto", family: 2, op: NFT_CMP_EQ, used: 2 },
      { kind: "address", field: "daddr", v6: false, addr: bytes(224, 0, 0, 0), prefix: 4, op: NFT_CMP_EQ, used: 3 },
      { kind: "verdict", word: "return", used: 1 },
    ]);
  });

  test("inet ip6: a /64 compared on its first 8 bytes reads back padded, != kept", () => {
    const [, , daddr] = statements(nftSent("add-masq-v6"));
    expect(daddr).toEqual({ kind: "address", field: "daddr", v6: true, addr: bytes(0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), prefix: 64, op: NFT_CMP_NEQ, used: 2 });
  });

  test("bridge: ether saddr, then a verdict", () => {
    expect(statements(nftSent("add-spoof-mac"))).toEqual([
      { kind: "ether", field: "saddr", mac: "02:00:00:00:00:01", op: NFT_CMP_EQ, used: 2 },
      { kind: "verdict", word: "return", used: 1 },
    ]);
  });
});

describe("foreign shapes", () => {
  test("iptables-nft's masquerade rule: the native prefix is read, its xt match is not a statement", () => {
    const rule = received("nft", "iptables-save-nat")
      .flatMap((m) => decodeRule(m) ?? [])
      .find((r) => r.exprs.map((e) => e.name).join(",") === "payload,bitwise,cmp,match,counter,target");
    expect(rule).toBeDefined();
    const reader = new NftExprReader(rule?.exprs ?? []);
    expect(reader.at(0)).toEqual({ kind: "address", field: "daddr", v6: false, addr: bytes(224, 0, 0, 0), prefix: 4, op: NFT_CMP_NEQ, used: 3 });
    expect(reader.at(3)).toBeUndefined(); // xt match
    expect(reader.at(4)).toEqual({ kind: "counter", used: 1 });
    expect(reader.at(5)).toBeUndefined(); // xt target MASQUERADE
  });

  const payload = (base: number, offset: number, len: number): Expr =>
    new ExprBuilder("payload").u32(1, 1).u32(2, base).u32(3, offset).u32(4, len).build();
  const cmp = (op: number, value: Uint8Array): Expr => new ExprBuilder("cmp").u32(1, 1).u32(2, op).value(3, value).build();
  const meta = (key: number): Expr => new ExprBuilder("meta").u32(2, key).u32(1, 1).build();
  const mask = (b: Uint8Array): Expr => new ExprBuilder("bitwise").u32(1, 1).u32(2, 1).u32(3, b.byteLength).value(4, b).value(5, new Uint8Array(b.byteLength)).build();

  test("ip6 saddr != 2001:db8::/20 (a mask across a byte), tcp sport != 22, iifname \"eth*\"", () => {
    const v6mask = bytes(0xff, 0xff, 0xf0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    const exprs = [
      payload(1, 8, 16),
      mask(v6mask),
      cmp(NFT_CMP_NEQ, bytes(0x20, 0x01, 0x0d, 0xb8 & 0xf0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
      meta(16),
      cmp(NFT_CMP_EQ, bytes(6)),
      payload(2, 0, 2),
      cmp(NFT_CMP_NEQ, bytes(0, 22)),
      meta(6),
      cmp(NFT_CMP_EQ, new TextEncoder().encode("eth")),
      new ExprBuilder("lookup").build(),
    ];
    expect(statements(exprs)).toEqual([
      { kind: "address", field: "saddr", v6: true, addr: bytes(0x20, 0x01, 0x0d, 0xb0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), prefix: 20, op: NFT_CMP_NEQ, used: 3 },
      { kind: "l4proto", proto: 6, op: NFT_CMP_EQ, used: 2 },
      { kind: "port", field: "sport", port: 22, op: NFT_CMP_NEQ, used: 2 },
      { kind: "iface", dir: "iif", name: "eth", wildcard: true, op: NFT_CMP_EQ, used: 2 },
      undefined,
    ]);
  });

  test("a transport match with a mask is no port; a meta key of no statement is not read", () => {
    const reader = new NftExprReader([payload(2, 2, 2), mask(bytes(0xff, 0)), cmp(NFT_CMP_EQ, bytes(1, 0)), meta(3), cmp(NFT_CMP_EQ, bytes(0, 0, 0, 1))]);
    expect(reader.at(0)).toBeUndefined();
    expect(reader.at(3)).toBeUndefined();
  });

  test("a dnat reads the registers loaded before it; without a port register it has no port", () => {
    const addr = bytes(0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9);
    const load = new ExprBuilder("immediate").u32(1, 1).value(2, addr).build();
    const nat = new ExprBuilder("nat").u32(1, 1).u32(2, NFPROTO_IPV6).u32(3, 1).build();
    const reader = new NftExprReader([load, nat]);
    expect(reader.at(1)).toBeUndefined(); // register 1 not read yet: nothing to map to
    expect(reader.at(0)).toEqual({ kind: "load", reg: 1, value: addr, used: 1 });
    expect(reader.at(1)).toEqual({ kind: "dnat", family: NFPROTO_IPV6, addr, used: 1 });
  });
});
