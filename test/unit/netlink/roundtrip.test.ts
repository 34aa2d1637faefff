/**
 * The types the encoders take are the types the decoders give back, for the same kernel object:
 * encode → decode returns what was written, and a recorded golden decoded and encoded again is
 * byte-equal to what iproute2 sent.
 */
import { describe, expect, test } from "bun:test";
import { encodeMessage, type Message, parseMessages, type Request, RTM_NEWLINK, RTM_SETLINK } from "../../../src/netlink/index.ts";
import type { BridgeData } from "../../../src/netlink/kinds/bridge.ts";
import { bridgeAddRequest, decodeLink, linkSetRequest, vlanAddRequest } from "../../../src/netlink/link.ts";
import { decodePort, type PortSettings, portSetRequest, portVlanRequest } from "../../../src/netlink/port.ts";
import { masked, received, sentBytes, sentMessage } from "./golden.ts";

function asKernelSees(r: Request): Message {
  const m = parseMessages(encodeMessage(r, 1, 0))[0];
  if (m === undefined) throw new Error("encoder produced no message");
  return m;
}

const golden = (group: string, name: string, type: number): string => masked(sentBytes(group, name, type));
const enc = (r: Request): string => masked(encodeMessage(r, 0, 0));

describe("bridge device data (IFLA_INFO_DATA of kind bridge)", () => {
  const cases: BridgeData[] = [
    { vlanFiltering: true },
    { vlanFiltering: false, vlanDefaultPvid: 0 },
    { vlanDefaultPvid: 4094 },
    { stpState: 1 },
    { vlanFiltering: true, vlanDefaultPvid: 7, stpState: 2 },
  ];
  test.each(cases)("written %j reads back the same", (data) => {
    const link = decodeLink(asKernelSees(bridgeAddRequest({ name: "br0", mtu: 1400, mac: "02:00:00:00:00:0a", ...data })));
    expect(link).toMatchObject({ name: "br0", mtu: 1400, mac: "02:00:00:00:00:0a", kind: "bridge" });
    expect(link.bridge).toEqual(data);
  });

  test("no data written: no IFLA_INFO_DATA, nothing read", () => {
    expect(decodeLink(asKernelSees(bridgeAddRequest({ name: "br0" }))).bridge).toBeUndefined();
  });

  test("iproute2's add-bridge-full golden, decoded then encoded, is the same bytes", () => {
    const link = decodeLink(sentMessage("link", "add-bridge-full", RTM_NEWLINK));
    const again = bridgeAddRequest({ name: link.name, mtu: link.mtu, mac: link.mac, ...link.bridge });
    expect(enc(again)).toBe(golden("link", "add-bridge-full", RTM_NEWLINK));
  });

  test("what the kernel reports for a bridge can be written back and reads the same", () => {
    const br = received("link", "dump")
      .filter((m) => m.type === RTM_NEWLINK)
      .map(decodeLink)
      .find((l) => l.name === "br0");
    // The recording kernel has no VLAN filtering, so it reports no vlan_default_pvid.
    expect(br?.bridge).toEqual({ vlanFiltering: false, stpState: 0 });
    const reported = br?.bridge ?? {};
    expect(decodeLink(asKernelSees(bridgeAddRequest({ name: "br0", ...reported }))).bridge).toEqual(reported);
  });
});

describe("vlan device data", () => {
  test("vlanId written is vlanId read, parent in IFLA_LINK", () => {
    const link = decodeLink(asKernelSees(vlanAddRequest({ name: "eth0.42", parent: 3, vlanId: 42 })));
    expect(link).toMatchObject({ name: "eth0.42", kind: "vlan", vlanId: 42, link: 3 });
  });

  test("iproute2's add-vlan golden, decoded then encoded, is the same bytes", () => {
    const link = decodeLink(sentMessage("link", "add-vlan", RTM_NEWLINK));
    const { vlanId, link: parent } = link;
    if (vlanId === undefined || parent === undefined) throw new Error("golden lacks vlan id or parent");
    const again = vlanAddRequest({ name: link.name, parent, vlanId, mtu: link.mtu });
    expect(enc(again)).toBe(golden("link", "add-vlan", RTM_NEWLINK));
  });
});

describe("link changes", () => {
  test("mtu, mac, master and name written are read back", () => {
    const changes = { mtu: 1280, mac: "02:00:00:00:00:0c", master: 2, name: "v9" };
    expect(decodeLink(asKernelSees(linkSetRequest(5, { ...changes, up: true })))).toMatchObject({ index: 5, up: true, ...changes });
  });
});

describe("bridge port settings and VLANs (AF_BRIDGE)", () => {
  const settings: PortSettings[] = [
    { hairpin: true },
    { hairpin: false, isolated: true },
    { learning: false },
    { hairpin: true, learning: true, isolated: false },
  ];
  test.each(settings)("settings %j read back the same", (s) => {
    const port = decodePort(asKernelSees(portSetRequest(4, s)));
    expect(port).toBeDefined();
    const { hairpin, learning, isolated } = port ?? {};
    const read: PortSettings = {};
    if (hairpin !== undefined) read.hairpin = hairpin;
    if (learning !== undefined) read.learning = learning;
    if (isolated !== undefined) read.isolated = isolated;
    expect(read).toEqual(s);
  });

  test("iproute2's hairpin and isolated goldens, decoded then encoded, are the same bytes", () => {
    for (const name of ["hairpin-on", "isolated-on", "learning-off"]) {
      const port = decodePort(sentMessage("port", name, RTM_SETLINK));
      if (port === undefined) throw new Error(`${name}: not an AF_BRIDGE message`);
      const { hairpin, learning, isolated } = port;
      expect(enc(portSetRequest(port.index, { hairpin, learning, isolated }))).toBe(golden("port", name, RTM_SETLINK));
    }
  });

  test("a VLAN entry written is the entry read, flags explicit", () => {
    const vlan = { vid: 300, pvid: true, untagged: false };
    expect(decodePort(asKernelSees(portVlanRequest("add", 4, vlan)))?.vlans).toEqual([vlan]);
    const [read] = decodePort(sentMessage("port", "vlan-add-pvid", RTM_SETLINK))?.vlans ?? [];
    if (read === undefined) throw new Error("golden lacks a VLAN entry");
    expect(enc(portVlanRequest("add", 4, read))).toBe(golden("port", "vlan-add-pvid", RTM_SETLINK));
  });
});
