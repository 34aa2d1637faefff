import { describe, expect, test } from "bun:test";
import { masqChainName, masqComment, nftMasqComment, nftMasqInstanceHash, portmapDnatChainName, portmapDnatComment, portmapLegacySnatChainName, spoofCheckNames } from "../../../src/firewall/names.ts";

// Checklist Appendix A, pinned here for speed; test/netns/firewall.test.ts derives the DNAT and
// masquerade chain names and the nft masquerade comment from what v1.9.1 creates, live, every run.
const LONG_ID =
  "icee6giejonei6sohng6ahngee7laquohquee9shiGo7fohferakah3Feiyoolu2pei7ciPhoh7shaoX6vai3vuf0ahfaeng8yohb9ceu0daez5hashee8ooYai5wa3y";

describe("Appendix A name vectors", () => {
  test("bridge iptables masq chain", () => {
    expect(masqChainName("mynet", "ctr1")).toBe("CNI-5145007e2a8415ce07579739");
  });

  test("bridge nft masq comment prefixes and full comment", () => {
    expect(nftMasqInstanceHash("gw", "eth0", "c1")).toBe("f59af5949ab80a7e-f4d01f2ef4b92245");
    expect(nftMasqInstanceHash("unit-test", "eth0", "one")).toBe("6fd94d501e58f0aa-287fc69eff0574a2");
    expect(nftMasqComment("gw", "eth0", "c1")).toBe("f59af5949ab80a7e-f4d01f2ef4b92245, net: gw, if: eth0, id: c1");
  });

  test("portmap DNAT chains", () => {
    expect(portmapDnatChainName("test", "ctr1")).toBe("CNI-DN-3a53437c165fe05c780a9");
    expect(portmapDnatChainName("testNetName", LONG_ID)).toBe("CNI-DN-bfd599665540dd91d5d28");
    expect(portmapDnatChainName("test", LONG_ID)).toBe("CNI-DN-67e92b96e692a494b6b85");
  });

  test("portmap legacy SNAT chain uses the same hash under CNI-SN-", () => {
    const sn = portmapLegacySnatChainName("testNetName", LONG_ID);
    expect(sn).toBe("CNI-SN-bfd599665540dd91d5d28");
    expect(sn).toHaveLength(28);
  });

  test("macspoofchk names", () => {
    expect(spoofCheckNames("dummy-0", "eth0")).toEqual({
      chain: "cni-br-iface-dummy-0-eth0",
      macChain: "cni-br-iface-dummy-0-eth0-mac",
      comment: "macspoofchk-dummy-0-eth0",
    });
  });
});

describe("comments", () => {
  test("bridge masq comment uses Go %q", () => {
    expect(masqComment("mynet", "ctr1")).toBe('name: "mynet" id: "ctr1"');
    expect(masqComment('a"b', "c\\d")).toBe('name: "a\\"b" id: "c\\\\d"');
  });

  test("portmap dnat comment is trimmed to 253 bytes plus ...", () => {
    expect(portmapDnatComment("test", "ctr1")).toBe('dnat name: "test" id: "ctr1"');
    const long = portmapDnatComment("n", "x".repeat(300));
    expect(long).toHaveLength(256);
    expect(long.endsWith("...")).toBe(true);
    expect(portmapDnatComment("n", "x".repeat(255 - 'dnat name: "n" id: ""'.length))).toHaveLength(255);
  });

  test("nft masq comment strips quotes and is cut to 128 bytes", () => {
    const c = nftMasqComment('n"et', "eth0", "c".repeat(200));
    expect(c.includes('"')).toBe(false);
    expect(Buffer.byteLength(c)).toBe(128);
    expect(c.startsWith(`${nftMasqInstanceHash('n"et', "eth0", "c".repeat(200))}, net: net, if: eth0, id: ccc`)).toBe(true);
  });
});
