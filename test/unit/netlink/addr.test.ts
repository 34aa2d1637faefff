import { describe, expect, test } from "bun:test";
import { addrAddRequest, addrDelRequest, addrDumpRequest, decodeAddr } from "../../../src/netlink/addr.ts";
import { AF_INET, AF_INET6, encodeMessage, IFA_F_NODAD, NLMSG_DONE, RTM_DELADDR, RTM_GETADDR, RTM_NEWADDR } from "../../../src/netlink/index.ts";
import type { Request } from "../../../src/netlink/index.ts";
import { masked, received, sentBytes, sentMessage } from "./golden.ts";

const enc = (r: Request): string => masked(encodeMessage(r, 0, 0));
const golden = (name: string, type: number): string => masked(sentBytes("addr", name, type));

// In the addr recordings v1 is ifindex 2 and v0 is 3.
describe("address requests equal iproute2's bytes", () => {
  test("ip addr add 10.1.3.4/24 brd + (broadcast derived like the reference)", () => {
    expect(enc(addrAddRequest(2, "10.1.3.4/24"))).toBe(golden("add-v4", RTM_NEWADDR));
    expect(decodeAddr(sentMessage("addr", "add-v4", RTM_NEWADDR))).toMatchObject({
      family: AF_INET,
      index: 2,
      cidr: "10.1.3.4/24",
      broadcast: "10.1.3.255",
    });
  });
  test("ip addr add fd00:3::4/64 nodad", () => {
    expect(enc(addrAddRequest(2, "fd00:3::4/64", { flags: IFA_F_NODAD }))).toBe(golden("add-v6-nodad", RTM_NEWADDR));
    expect(decodeAddr(sentMessage("addr", "add-v6-nodad", RTM_NEWADDR))).toMatchObject({ family: AF_INET6, cidr: "fd00:3::4/64", flags: IFA_F_NODAD });
  });
  test("ip addr del v4 / v6", () => {
    expect(enc(addrDelRequest(3, "10.1.2.3/24"))).toBe(golden("del-v4", RTM_DELADDR));
    expect(enc(addrDelRequest(3, "fd00:1::2/64"))).toBe(golden("del-v6", RTM_DELADDR));
  });
  test("ip -4|-6 addr show dev (kernel-filtered dump)", () => {
    expect(enc(addrDumpRequest(AF_INET, 3))).toBe(golden("dump-v4", RTM_GETADDR));
    expect(enc(addrDumpRequest(AF_INET6, 3))).toBe(masked(sentBytes("addr", "dump-v6", RTM_GETADDR)));
  });
});

describe("kernel address dumps decode", () => {
  test("IPv4", () => {
    const msgs = received("addr", "dump-v4");
    expect(msgs.filter((m) => m.type === RTM_NEWADDR).map(decodeAddr)).toEqual([
      {
        family: AF_INET,
        index: 3,
        prefixLen: 24,
        flags: 0x80, // permanent
        scope: 0,
        ip: "10.1.2.3",
        label: "v0",
        cidr: "10.1.2.3/24",
        tentative: false,
        dadFailed: false,
      },
    ]);
    expect(msgs.some((m) => m.type === NLMSG_DONE)).toBe(true);
  });
  test("IPv6 (nodad address and link-local)", () => {
    const addrs = received("addr", "dump-v6").filter((m) => m.type === RTM_NEWADDR).map(decodeAddr);
    expect(addrs.map((a) => [a.cidr, a.scope, a.flags])).toEqual([
      ["fd00:1::2/64", 0, 0x82],
      [addrs[1]?.cidr ?? "", 253, 0xc0], // fe80::… from the random MAC, still tentative
    ]);
    expect(addrs[1]?.tentative).toBe(true);
    expect(addrs[1]?.cidr.startsWith("fe80::")).toBe(true);
  });
});
