import { describe, expect, test } from "bun:test";
import { AF_INET, AF_INET6, encodeMessage, RT_SCOPE_LINK, RTM_DELROUTE, RTM_GETROUTE, RTM_NEWROUTE, RTPROT_STATIC } from "../../../src/netlink/index.ts";
import type { Request } from "../../../src/netlink/index.ts";
import { decodeRoute, routeAddRequest, routeDelRequest, routeDumpRequest } from "../../../src/netlink/route.ts";
import { masked, received, sentBytes, sentMessage } from "./golden.ts";

const enc = (r: Request): string => masked(encodeMessage(r, 0, 0));
const golden = (name: string, type: number): string => masked(sentBytes("route", name, type));

// v0 is ifindex 3 in the route recordings.
describe("route requests equal iproute2's bytes", () => {
  test("v4 via gw, metric, mtu, advmss, proto static", () => {
    const spec = { dst: "10.2.0.0/16", gw: "10.1.2.1", oif: 3, priority: 100, mtu: 1400, advmss: 1360, protocol: RTPROT_STATIC };
    expect(enc(routeAddRequest(spec))).toBe(golden("add-v4", RTM_NEWROUTE));
    expect(decodeRoute(sentMessage("route", "add-v4", RTM_NEWROUTE))).toEqual({
      family: AF_INET,
      dst: "10.2.0.0/16",
      gw: "10.1.2.1",
      oif: 3,
      table: 254,
      priority: 100,
      scope: 0,
      protocol: RTPROT_STATIC,
      type: 1,
      mtu: 1400,
      advmss: 1360,
    });
  });
  test("v4 default", () => {
    expect(enc(routeAddRequest({ gw: "10.1.2.1", oif: 3 }))).toBe(golden("add-v4-default", RTM_NEWROUTE));
    expect(decodeRoute(sentMessage("route", "add-v4-default", RTM_NEWROUTE)).dst).toBe("0.0.0.0/0");
    // A result's default route names its dst (configureIface): the same bytes, no RTA_DST.
    expect(enc(routeAddRequest({ dst: "0.0.0.0/0", gw: "10.1.2.1", oif: 3 }))).toBe(golden("add-v4-default", RTM_NEWROUTE));
  });
  test("a /0 dst is a default route of its family, whatever host bits its text carries", () => {
    expect(enc(routeAddRequest({ dst: "10.9.9.9/0", gw: "10.1.2.1", oif: 3 }))).toBe(golden("add-v4-default", RTM_NEWROUTE));
    const v6 = decodeRoute({ type: RTM_NEWROUTE, flags: 0, seq: 0, pid: 0, payload: encodeMessage(routeAddRequest({ dst: "::/0", gw: "fd00:1::1", oif: 3 }), 0, 0).subarray(16) });
    expect(v6).toMatchObject({ family: AF_INET6, dst: "::/0", gw: "fd00:1::1", oif: 3 });
    expect(enc(routeAddRequest({ dst: "fd00:2::5/0", gw: "fd00:1::1", oif: 3 }))).toBe(enc(routeAddRequest({ dst: "::/0", gw: "fd00:1::1", oif: 3 })));
  });
  test("v4 scope link in table 100", () => {
    expect(enc(routeAddRequest({ dst: "10.3.0.0/16", oif: 3, scope: RT_SCOPE_LINK, table: 100 }))).toBe(golden("add-v4-link-scope", RTM_NEWROUTE));
  });
  test("append (NLM_F_APPEND, ECMP)", () => {
    expect(enc(routeAddRequest({ dst: "10.4.0.0/16", gw: "10.1.2.1", oif: 3 }, "append"))).toBe(golden("append-v4", RTM_NEWROUTE));
  });
  test("v6 via gw with metric", () => {
    expect(enc(routeAddRequest({ dst: "fd00:2::/64", gw: "fd00:1::1", oif: 3, priority: 1024 }))).toBe(golden("add-v6", RTM_NEWROUTE));
  });
  test("del v4 / v6", () => {
    expect(enc(routeDelRequest({ dst: "10.2.0.0/16", gw: "10.1.2.1", oif: 3, priority: 100 }))).toBe(golden("del-v4", RTM_DELROUTE));
    expect(enc(routeDelRequest({ dst: "fd00:2::/64", gw: "fd00:1::1", oif: 3, priority: 1024 }))).toBe(golden("del-v6", RTM_DELROUTE));
  });
  test("dump table main v4 / v6", () => {
    expect(enc(routeDumpRequest(AF_INET))).toBe(golden("dump-v4", RTM_GETROUTE));
    expect(enc(routeDumpRequest(AF_INET6))).toBe(golden("dump-v6", RTM_GETROUTE));
  });
});

describe("kernel route dumps decode", () => {
  test("v4: connected route and the static one with metrics", () => {
    const routes = received("route", "dump-v4").filter((m) => m.type === RTM_NEWROUTE).map(decodeRoute);
    expect(routes).toEqual([
      { family: AF_INET, dst: "10.1.2.0/24", table: 254, protocol: 2, scope: 253, type: 1, prefsrc: "10.1.2.3", oif: 3 },
      { family: AF_INET, dst: "10.2.0.0/16", gw: "10.1.2.1", oif: 3, table: 254, priority: 100, protocol: 4, scope: 0, type: 1, mtu: 1400, advmss: 1360 },
    ]);
  });
  test("v6: includes the gateway route", () => {
    const routes = received("route", "dump-v6").filter((m) => m.type === RTM_NEWROUTE).map(decodeRoute);
    expect(routes).toContainEqual({ family: AF_INET6, dst: "fd00:2::/64", gw: "fd00:1::1", oif: 3, table: 254, priority: 1024, protocol: 3, scope: 0, type: 1 });
  });
});
