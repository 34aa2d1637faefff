/**
 * The iptables layout's expressions are written straight as bytes (xt.ts); the generic builder
 * (ExprBuilder, then exprWire's encoder) writes the same expression attribute by attribute. Both
 * must give the same bytes, and the bytes must read back as the builder's attributes, for every
 * builder and the values around each field's edges.
 */
import { describe, expect, test } from "bun:test";
import {
  NF_ACCEPT,
  NFT_CMP_EQ,
  NFT_CMP_NEQ,
  NFT_JUMP,
  NFT_META_L4PROTO,
  NFT_META_MARK,
  NFT_REG_1,
  NFT_REG_VERDICT,
  NFT_RETURN,
  NFTA_BITWISE_DREG,
  NFTA_BITWISE_LEN,
  NFTA_BITWISE_MASK,
  NFTA_BITWISE_SREG,
  NFTA_BITWISE_XOR,
  NFTA_CMP_DATA,
  NFTA_CMP_OP,
  NFTA_CMP_SREG,
  NFTA_COUNTER_BYTES,
  NFTA_COUNTER_PACKETS,
  NFTA_IMMEDIATE_DATA,
  NFTA_IMMEDIATE_DREG,
  NFTA_MATCH_INFO,
  NFTA_MATCH_NAME,
  NFTA_MATCH_REV,
  NFTA_META_DREG,
  NFTA_META_KEY,
  NFTA_PAYLOAD_BASE,
  NFTA_PAYLOAD_DREG,
  NFTA_PAYLOAD_LEN,
  NFTA_PAYLOAD_OFFSET,
  NFTA_TARGET_INFO,
  NFTA_TARGET_NAME,
  NFTA_TARGET_REV,
} from "../../../src/netlink/nft/constants.ts";
import { type Expr, type ExprAttr, ExprBuilder } from "../../../src/netlink/nft/expr.ts";
import { exprWire } from "../../../src/netlink/nft/expr-wire.ts";
import { bitwiseMask, cmp, counter, metaLoad, payloadLoad, verdict, xtMatch, xtTarget } from "../../../src/netlink/nft/xt.ts";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** The generic path's bytes (a fresh object, so exprWire encodes it) and attributes. */
function same(wired: Expr, generic: Expr): void {
  expect(wired.wire).toBeDefined();
  expect(hex(exprWire(wired))).toBe(hex(exprWire({ name: generic.name, attrs: generic.attrs })));
  expect(wired.name).toBe(generic.name);
  const spell = (list: readonly ExprAttr[]): string[] => list.map((a) => `${a.type} ${a.nested} ${hex(a.data)}`);
  expect(spell(wired.attrs)).toEqual(spell(generic.attrs));
}

const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (seed * 31 + i * 7) & 0xff);
const NAMES = ["", "a", "ab", "abc", "abcd", "comment", "MASQUERADE", "CNI-HOSTPORT-DNAT", "CNI-DN-1d5486e6900122c71e282", "é-ü", "x".repeat(28)];

describe("xt.ts expressions are the generic builder's bytes", () => {
  test("meta and payload loads", () => {
    for (const key of [NFT_META_L4PROTO, NFT_META_MARK, 0, 255, 0x7fffffff]) {
      same(metaLoad(key), new ExprBuilder("meta").u32(NFTA_META_KEY, key).u32(NFTA_META_DREG, NFT_REG_1).build());
    }
    for (const [base, offset, len] of [[1, 12, 4], [1, 16, 3], [1, 8, 16], [2, 2, 2], [0, 0, 1], [2, 255, 255]] as const) {
      const g = new ExprBuilder("payload").u32(NFTA_PAYLOAD_DREG, NFT_REG_1).u32(NFTA_PAYLOAD_BASE, base).u32(NFTA_PAYLOAD_OFFSET, offset).u32(NFTA_PAYLOAD_LEN, len).build();
      same(payloadLoad(base, offset, len), g);
    }
  });

  test("compares and masks over every data length up to 17 bytes", () => {
    for (let n = 0; n <= 17; n++) {
      const d = bytes(n, n);
      for (const op of [NFT_CMP_EQ, NFT_CMP_NEQ]) same(cmp(op, d), new ExprBuilder("cmp").u32(NFTA_CMP_SREG, NFT_REG_1).u32(NFTA_CMP_OP, op).value(NFTA_CMP_DATA, d).build());
      const g = new ExprBuilder("bitwise")
        .u32(NFTA_BITWISE_SREG, NFT_REG_1)
        .u32(NFTA_BITWISE_DREG, NFT_REG_1)
        .u32(NFTA_BITWISE_LEN, n)
        .value(NFTA_BITWISE_MASK, d)
        .value(NFTA_BITWISE_XOR, new Uint8Array(n))
        .build();
      same(bitwiseMask(d), g);
    }
  });

  test("counter and verdicts (codes below zero, chain names of every length remainder)", () => {
    same(counter(), new ExprBuilder("counter").u64(NFTA_COUNTER_BYTES, 0n).u64(NFTA_COUNTER_PACKETS, 0n).build());
    for (const code of [NF_ACCEPT, 0, NFT_RETURN, NFT_JUMP, -1, 0x7fffffff, -0x80000000]) {
      same(verdict(code), new ExprBuilder("immediate").u32(NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT).verdict(NFTA_IMMEDIATE_DATA, code).build());
    }
    for (const chain of NAMES) {
      same(verdict(NFT_JUMP, chain), new ExprBuilder("immediate").u32(NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT).verdict(NFTA_IMMEDIATE_DATA, NFT_JUMP, chain).build());
    }
  });

  test("xt matches and targets: names and info blobs of every length remainder", () => {
    for (const name of NAMES) {
      for (const n of [0, 1, 2, 3, 4, 8, 24, 40, 48, 256, 296]) {
        for (const rev of [0, 1, 2, 0xffffffff]) {
          const info = bytes(n, rev + n);
          same(xtMatch(name, rev, info), new ExprBuilder("match").string(NFTA_MATCH_NAME, name).u32(NFTA_MATCH_REV, rev).bytes(NFTA_MATCH_INFO, info).build());
          same(xtTarget(name, rev, info), new ExprBuilder("target").string(NFTA_TARGET_NAME, name).u32(NFTA_TARGET_REV, rev).bytes(NFTA_TARGET_INFO, info).build());
        }
      }
    }
  });
});
