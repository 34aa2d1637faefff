import { describe, expect, test } from "bun:test";
import { encodeMessage, RTM_DELLINK, RTM_GETLINK, RTM_NEWLINK, RTM_SETLINK } from "../../../src/netlink/index.ts";
import type { Request } from "../../../src/netlink/index.ts";
import { decodePort, portDumpRequest, portSetRequest, portVlanRequest } from "../../../src/netlink/port.ts";
import { masked, received, sentBytes, sentMessage } from "./golden.ts";

const enc = (r: Request): string => masked(encodeMessage(r, 0, 0));
const golden = (name: string, type: number): string => masked(sentBytes("port", name, type));

// v0 is ifindex 4 in the recordings, br0 is 2.
describe("bridge port requests equal iproute2's `bridge` bytes", () => {
  test("hairpin on (IFLA_PROTINFO|NLA_F_NESTED { IFLA_BRPORT_MODE })", () => {
    expect(enc(portSetRequest(4, { hairpin: true }))).toBe(golden("hairpin-on", RTM_SETLINK));
    expect(decodePort(sentMessage("port", "hairpin-on", RTM_SETLINK))).toMatchObject({ index: 4, hairpin: true });
  });
  test("isolated on", () => {
    expect(enc(portSetRequest(4, { isolated: true }))).toBe(golden("isolated-on", RTM_SETLINK));
    expect(decodePort(sentMessage("port", "isolated-on", RTM_SETLINK))).toMatchObject({ isolated: true });
  });
  test("learning off", () => {
    expect(enc(portSetRequest(4, { learning: false }))).toBe(golden("learning-off", RTM_SETLINK));
    expect(decodePort(sentMessage("port", "learning-off", RTM_SETLINK))).toMatchObject({ learning: false });
  });
  test("bridge link show (AF_BRIDGE dump) and bridge vlan show", () => {
    expect(enc(portDumpRequest())).toBe(golden("show", RTM_GETLINK));
    expect(enc(portDumpRequest(true))).toBe(golden("vlan-show", RTM_GETLINK));
  });
  test("vlan add pvid untagged master", () => {
    expect(enc(portVlanRequest("add", 4, { vid: 100, pvid: true, untagged: true }))).toBe(golden("vlan-add-pvid", RTM_SETLINK));
    expect(decodePort(sentMessage("port", "vlan-add-pvid", RTM_SETLINK))?.vlans).toEqual([{ vid: 100, pvid: true, untagged: true }]);
  });
  test("vlan add tagged", () => {
    expect(enc(portVlanRequest("add", 4, { vid: 200 }))).toBe(golden("vlan-add-tagged", RTM_SETLINK));
    expect(decodePort(sentMessage("port", "vlan-add-tagged", RTM_SETLINK))?.vlans).toEqual([{ vid: 200, pvid: false, untagged: false }]);
  });
  test("vlan del", () => {
    expect(enc(portVlanRequest("del", 4, { vid: 100 }))).toBe(golden("vlan-del", RTM_DELLINK));
  });
});

describe("kernel AF_BRIDGE replies decode", () => {
  test("port state and settings", () => {
    const ports = received("port", "show")
      .filter((m) => m.type === RTM_NEWLINK)
      .flatMap((m) => decodePort(m) ?? []);
    expect(ports).toEqual([
      { index: 4, name: "v0", master: 2, state: "disabled", hairpin: true, learning: true, isolated: true, vlans: [] },
    ]);
  });
});
