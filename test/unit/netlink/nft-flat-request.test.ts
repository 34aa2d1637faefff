/**
 * The nf_tables reads, deletes and iptables-nft table/chain creations written by flat-request.ts
 * must be the very bytes the generic request() + Writer path writes: same header fields, same
 * attribute lengths, same zero padding, for names of every length remainder and in UTF-8.
 */
import { describe, expect, test } from "bun:test";
import { NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL } from "../../../src/netlink/constants.ts";
import { encodeMessage, type Request } from "../../../src/netlink/message.ts";
import {
  NFT_MSG_DELCHAIN,
  NFT_MSG_DELRULE,
  NFT_MSG_DELTABLE,
  NFT_MSG_GETCHAIN,
  NFT_MSG_GETGEN,
  NFT_MSG_GETRULE,
  NFT_MSG_GETTABLE,
  NFT_MSG_NEWCHAIN,
  NFT_MSG_NEWTABLE,
  NFTA_CHAIN_NAME,
  NFTA_CHAIN_TABLE,
  NFTA_RULE_CHAIN,
  NFTA_RULE_HANDLE,
  NFTA_RULE_TABLE,
  NFTA_TABLE_NAME,
} from "../../../src/netlink/nft/constants.ts";
import { be64Bytes } from "../../../src/netlink/nft/expr.ts";
import {
  chainDumpRequest,
  chainGetRequest,
  delChainRequest,
  delRuleRequest,
  delTableRequest,
  flushChainRequest,
  getGenRequest,
  request,
  ruleDumpRequest,
  ruleGetRequest,
  tableGetRequest,
} from "../../../src/netlink/nft/messages.ts";
import { encodeMessages } from "../../../src/netlink/nft/flat-request.ts";
import { xtTableRequest, xtUserChainRequest } from "../../../src/netlink/nft/xt-messages.ts";

const NAMES = ["nat", "OUTPUT", "CNI-HOSTPORT-DNAT", "CNI-DN-518b65ca6c87d4b7da513", "a", "ab", "abc", "abcd", "é-chain", "x".repeat(300)];
const HANDLES = [0n, 1n, 40n, 0xffffffffn, 0x0123456789abcdefn];

function same(got: Request, want: Request): void {
  expect(got.type).toBe(want.type);
  expect(got.flags).toBe(want.flags);
  expect([...got.body]).toEqual([...want.body]);
}

describe("flat nf_tables requests", () => {
  test("reads: the bytes request() and Writer write", () => {
    same(getGenRequest(), request(NFT_MSG_GETGEN, 0, 0));
    for (const family of [2, 10]) {
      for (const table of NAMES) {
        same(tableGetRequest(family, table), request(NFT_MSG_GETTABLE, family, 0, (w) => w.attrString(NFTA_TABLE_NAME, table)));
        same(chainDumpRequest(family, table), request(NFT_MSG_GETCHAIN, family, 0, (w) => w.attrString(NFTA_CHAIN_TABLE, table)));
        same(ruleDumpRequest(family, table), request(NFT_MSG_GETRULE, family, 0, (w) => w.attrString(NFTA_RULE_TABLE, table)));
        for (const chain of NAMES) {
          same(chainGetRequest(family, table, chain), request(NFT_MSG_GETCHAIN, family, 0, (w) => w.attrString(NFTA_CHAIN_TABLE, table).attrString(NFTA_CHAIN_NAME, chain)));
          same(ruleDumpRequest(family, table, chain), request(NFT_MSG_GETRULE, family, 0, (w) => w.attrString(NFTA_RULE_TABLE, table).attrString(NFTA_RULE_CHAIN, chain)));
          for (const h of HANDLES) {
            same(
              ruleGetRequest(family, table, chain, h),
              request(NFT_MSG_GETRULE, family, 0, (w) => w.attrString(NFTA_RULE_TABLE, table).attrString(NFTA_RULE_CHAIN, chain).attrBytes(NFTA_RULE_HANDLE, be64Bytes(h))),
            );
          }
        }
      }
    }
  });

  test("deletes and iptables-nft creations: the bytes request() and Writer write", () => {
    for (const family of [2, 10]) {
      for (const table of NAMES) {
        same(delTableRequest(family, table), request(NFT_MSG_DELTABLE, family, NLM_F_ACK, (w) => w.attrString(NFTA_TABLE_NAME, table)));
        same(xtTableRequest(family, table), request(NFT_MSG_NEWTABLE, family, NLM_F_CREATE | NLM_F_ACK, (w) => w.attrString(NFTA_TABLE_NAME, table)));
        for (const chain of NAMES) {
          const names = (w: Parameters<NonNullable<Parameters<typeof request>[3]>>[0]) => w.attrString(NFTA_CHAIN_TABLE, table).attrString(NFTA_CHAIN_NAME, chain);
          same(delChainRequest(family, table, chain), request(NFT_MSG_DELCHAIN, family, NLM_F_ACK, names));
          same(xtUserChainRequest(family, table, chain), request(NFT_MSG_NEWCHAIN, family, NLM_F_EXCL | NLM_F_ACK, names));
          same(flushChainRequest(family, table, chain), request(NFT_MSG_DELRULE, family, NLM_F_ACK, (w) => w.attrString(NFTA_RULE_TABLE, table).attrString(NFTA_RULE_CHAIN, chain)));
          for (const h of HANDLES) {
            same(
              delRuleRequest(family, table, chain, h),
              request(NFT_MSG_DELRULE, family, NLM_F_ACK, (w) => w.attrString(NFTA_RULE_TABLE, table).attrString(NFTA_RULE_CHAIN, chain).attrBytes(NFTA_RULE_HANDLE, be64Bytes(h))),
            );
          }
        }
      }
    }
  });

  test("a batch's messages: the bytes encodeMessage writes for each, one after another", () => {
    const reqs = [getGenRequest(), chainGetRequest(2, "nat", "abc"), delRuleRequest(10, "nat", "é-chain", 40n), { type: 0x10, flags: 1, body: new Uint8Array(0) }, { type: 0xa03, flags: 0x405, body: Uint8Array.from([1, 2, 3, 4, 5]) }];
    for (const seq0 of [0, 1, 0x7fffffff, 0xfffffff0]) {
      const msgs = reqs.map((req, i) => ({ req, flags: req.flags | (i % 2 === 0 ? NLM_F_ACK : 0), seq: (seq0 + i) >>> 0 }));
      const want: number[] = [];
      for (const m of msgs) want.push(...encodeMessage({ ...m.req, flags: m.flags }, m.seq));
      expect([...encodeMessages(msgs)]).toEqual(want);
    }
    expect(encodeMessages([]).byteLength).toBe(0);
  });
});
