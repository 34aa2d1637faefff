/**
 * portmap's route lookup (`ip route get`, then the link's name) against iproute2's recorded
 * bytes and the kernel's answers (test/fixtures/netlink/conntrack-route.json).
 */
import { describe, expect, test } from "bun:test";
import type { Transport } from "../../../src/netlink/index.ts";
import { Errno } from "../../../src/sys/index.ts";
import { AF_INET, AF_INET6, encodeMessage, isNetlinkErrno, NetlinkError, RTM_GETROUTE, RTM_NEWROUTE, Rtnl } from "../../../src/netlink/index.ts";
import { decodeRoute, routeGetRequest } from "../../../src/netlink/route.ts";
import { datagrams, masked, received, sentBytes } from "./golden.ts";

/** Replays the recording's kernel datagrams in order, with the request's seq and our port id. */
class Replay implements Transport {
  readonly portId = 77;
  #queue: Uint8Array[] = [];
  #replies: Uint8Array[];

  constructor(name: string) {
    this.#replies = datagrams("conntrack-route", name, "recv");
  }
  send(d: Uint8Array): void {
    const seq = new DataView(d.buffer, d.byteOffset).getUint32(8, true);
    const next = this.#replies.shift();
    if (next === undefined) return;
    const c = Uint8Array.from(next);
    new DataView(c.buffer).setUint32(8, seq, true);
    new DataView(c.buffer).setUint32(12, this.portId, true);
    this.#queue.push(c);
  }
  receive(): Uint8Array | undefined {
    return this.#queue.shift();
  }
  close(): void {}
}

describe("ip route get", () => {
  test("requests equal iproute2's (v4 asks RTM_F_LOOKUP_TABLE, v6 no flags)", () => {
    expect(masked(encodeMessage(routeGetRequest("10.1.2.5"), 0))).toBe(masked(sentBytes("conntrack-route", "get-v4", RTM_GETROUTE)));
    expect(masked(encodeMessage(routeGetRequest("fd00:1::5"), 0))).toBe(masked(sentBytes("conntrack-route", "get-v6", RTM_GETROUTE)));
  });

  test("the kernel's answers decode: oif 3 (v0) and the source address", () => {
    const v4 = received("conntrack-route", "get-v4").find((m) => m.type === RTM_NEWROUTE);
    expect(v4 && decodeRoute(v4)).toEqual({ family: AF_INET, dst: "10.1.2.5/32", table: 254, protocol: 0, scope: 0, type: 1, oif: 3, prefsrc: "10.1.2.3" });
    const v6 = received("conntrack-route", "get-v6").find((m) => m.type === RTM_NEWROUTE);
    expect(v6 && decodeRoute(v6)).toMatchObject({ family: AF_INET6, dst: "fd00:1::5/128", oif: 3, prefsrc: "fd00:1::2" });
  });

  test("Rtnl.routeGet + linkGet give the interface name, as portmap asks", () => {
    using nl = Rtnl.over(new Replay("get-v4"));
    const oif = nl.routeGet("10.1.2.5").oif ?? 0;
    expect(nl.linkGet(oif).name).toBe("v0");
  });

  test("no route: the kernel's ENETUNREACH surfaces as a NetlinkError", () => {
    using nl = Rtnl.over(new Replay("get-unreachable"));
    let caught: unknown;
    try {
      nl.routeGet("192.0.2.1");
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(NetlinkError);
    expect(isNetlinkErrno(caught, Errno.ENETUNREACH)).toBe(true);
  });
});
