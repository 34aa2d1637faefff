import { describe, expect, test } from "bun:test";
import { bridgeAddRequest, decodeLink, linkDelRequest, linkDumpRequest, linkGetByIndexRequest, linkGetByNameRequest, linkSetRequest, vethAddRequest, vlanAddRequest } from "../../../src/netlink/link.ts";
import { encodeMessage, parseError, RTM_DELLINK, RTM_GETLINK, RTM_NEWLINK, NLMSG_ERROR, NLMSG_DONE } from "../../../src/netlink/index.ts";
import type { Request } from "../../../src/netlink/index.ts";
import { masked, received, sentBytes, sentMessage } from "./golden.ts";

const enc = (r: Request): string => masked(encodeMessage(r, 0, 0));
const golden = (name: string, type: number): string => masked(sentBytes("link", name, type));

// Indexes in the recordings: lo=1, br0=2, v1=3, v0=4 (see record.ts setup VETH).
describe("link requests equal iproute2's bytes, and decode back", () => {
  test("ip link show dev lo (RTM_GETLINK by name)", () => {
    // iproute2 resolves the name with family 0, ext mask VF|SKIP_STATS, then IFLA_IFNAME.
    const msgs = sentBytes("link", "set-up", RTM_GETLINK);
    expect(enc(linkGetByNameRequest("v0"))).toBe(masked(msgs));
  });

  test("RTM_GETLINK by index", () => {
    expect(enc(linkGetByIndexRequest(4))).toBe(golden("set-address", RTM_GETLINK));
  });

  test("ip link show (dump)", () => {
    expect(enc(linkDumpRequest())).toBe(golden("dump", RTM_GETLINK));
  });

  test("ip link add br0 type bridge", () => {
    expect(enc(bridgeAddRequest({ name: "br0" }))).toBe(golden("add-bridge", RTM_NEWLINK));
    expect(decodeLink(sentMessage("link", "add-bridge", RTM_NEWLINK))).toMatchObject({ name: "br0", kind: "bridge" });
  });

  test("bridge with mtu, address, vlan_filtering, vlan_default_pvid", () => {
    const spec = { name: "br0", mtu: 1400, mac: "02:00:00:00:00:0a", vlanFiltering: true, vlanDefaultPvid: 1 };
    expect(enc(bridgeAddRequest(spec))).toBe(golden("add-bridge-full", RTM_NEWLINK));
    expect(decodeLink(sentMessage("link", "add-bridge-full", RTM_NEWLINK))).toMatchObject({
      name: "br0",
      mtu: 1400,
      mac: "02:00:00:00:00:0a",
      kind: "bridge",
      bridge: { vlanFiltering: true, vlanDefaultPvid: 1 },
    });
  });

  test("a bridge's data, decoded on first read, is an ordinary property: listed, serialised, assignable", () => {
    const link = decodeLink(sentMessage("link", "add-bridge-full", RTM_NEWLINK));
    expect(Object.keys(link)).toContain("bridge");
    expect(JSON.parse(JSON.stringify(link)).bridge).toEqual({ vlanFiltering: true, vlanDefaultPvid: 1 });
    expect({ ...link }.bridge).toEqual({ vlanFiltering: true, vlanDefaultPvid: 1 });
    link.bridge = { stpState: 1 };
    expect(link.bridge).toEqual({ stpState: 1 });
    link.bridge = undefined;
    expect(link.bridge).toBeUndefined();
    // A link of another kind has none.
    expect(Object.keys(decodeLink(sentMessage("link", "add-vlan", RTM_NEWLINK)))).not.toContain("bridge");
  });

  test("veth with the peer created in another netns by fd (one RTM_NEWLINK)", () => {
    // iproute2 opened /run/netns/c1 as fd 4 in that recording.
    const spec = {
      name: "veth0",
      mtu: 1400,
      mac: "02:00:00:00:00:0a",
      peer: { name: "eth0", mtu: 1400, mac: "02:00:00:00:00:0b", netnsFd: 4 },
    };
    expect(enc(vethAddRequest(spec))).toBe(golden("add-veth-peer-netns", RTM_NEWLINK));
    expect(decodeLink(sentMessage("link", "add-veth-peer-netns", RTM_NEWLINK))).toMatchObject({ name: "veth0", kind: "veth", mtu: 1400 });
  });

  test("vlan on a parent", () => {
    const spec = { name: "v0.100", parent: 3, vlanId: 100, mtu: 1400 };
    expect(enc(vlanAddRequest(spec))).toBe(golden("add-vlan", RTM_NEWLINK));
    expect(decodeLink(sentMessage("link", "add-vlan", RTM_NEWLINK))).toMatchObject({ name: "v0.100", kind: "vlan", vlanId: 100, link: 3 });
  });

  const sets: [string, number, Parameters<typeof linkSetRequest>[1]][] = [
    ["set-up", 4, { up: true }],
    ["set-down", 4, { up: false }],
    ["set-mtu", 4, { mtu: 1400 }],
    ["set-master", 3, { master: 2 }],
    ["set-nomaster", 4, { master: null }],
    ["set-name", 3, { name: "v9" }],
    ["set-address", 4, { mac: "02:00:00:00:00:0b" }],
    ["set-promisc", 2, { promisc: true }],
    ["set-netns", 3, { netnsFd: 4 }],
  ];
  for (const [name, index, changes] of sets) {
    test(`ip link ${name}`, () => {
      expect(enc(linkSetRequest(index, changes))).toBe(golden(name, RTM_NEWLINK));
    });
  }

  test("decode of set requests", () => {
    expect(decodeLink(sentMessage("link", "set-up", RTM_NEWLINK))).toMatchObject({ index: 4, up: true });
    expect(decodeLink(sentMessage("link", "set-master", RTM_NEWLINK))).toMatchObject({ index: 3, master: 2 });
    expect(decodeLink(sentMessage("link", "set-name", RTM_NEWLINK))).toMatchObject({ index: 3, name: "v9" });
  });

  test("ip link del", () => {
    expect(enc(linkDelRequest(4))).toBe(golden("del", RTM_DELLINK));
  });
});

describe("kernel replies decode", () => {
  test("RTM_NEWLINK for lo", () => {
    const reply = received("link", "get-lo").filter((m) => m.type === RTM_NEWLINK).at(-1);
    expect(reply).toBeDefined();
    if (!reply) return;
    expect(decodeLink(reply)).toEqual({
      index: 1,
      name: "lo",
      flags: 0x10049, // UP|LOOPBACK|RUNNING|LOWER_UP
      up: true,
      mtu: 65536,
      mac: "00:00:00:00:00:00",
      operstate: "unknown",
      promiscuity: 0,
      type: 772,
    });
  });

  test("multipart dump ends in NLMSG_DONE and decodes bridge, veth and port", () => {
    const msgs = received("link", "dump");
    const links = msgs.filter((m) => m.type === RTM_NEWLINK);
    expect(links.every((m) => (m.flags & 0x2) !== 0)).toBe(true); // NLM_F_MULTI
    expect(msgs.at(-1)?.type).toBe(NLMSG_DONE);
    const byName = new Map(links.map(decodeLink).map((l) => [l.name, l]));
    expect(byName.get("br0")).toMatchObject({ index: 2, kind: "bridge", up: true, bridge: { vlanFiltering: false } });
    expect(byName.get("v0")).toMatchObject({ index: 4, kind: "veth", slaveKind: "bridge", master: 2, link: 3, operstate: "down" });
    expect(byName.get("v1")).toMatchObject({ index: 3, kind: "veth", link: 4 });
  });

  test("NLMSG_ERROR with extended ack", () => {
    const err = received("link", "mtu-too-big").filter((m) => m.type === NLMSG_ERROR).at(-1);
    expect(err).toBeDefined();
    if (!err) return;
    expect(parseError(err)).toEqual({
      errno: 22,
      extack: "mtu greater than device maximum",
      requestType: RTM_NEWLINK,
      requestSeq: err.seq,
    });
  });

  test("NLMSG_ERROR EEXIST without ext-ack, and a capped ACK", () => {
    const err = received("link", "add-exists").filter((m) => m.type === NLMSG_ERROR).at(-1);
    expect(err && parseError(err).errno).toBe(17);
    const ack = received("link", "add-bridge").filter((m) => m.type === NLMSG_ERROR).at(-1);
    expect(ack && parseError(ack)).toMatchObject({ errno: 0, requestType: RTM_NEWLINK });
  });
});
