import { describe, expect, test } from "bun:test";
import { linkwatchPending } from "../../fixtures/bridge/support.ts";

describe("snapshot waits only for a carrier change linkwatch has not published yet", () => {
  test("UP with LOWER_UP but NO-CARRIER is pending", () => {
    expect(linkwatchPending([{ ifname: "eth0", flags: ["NO-CARRIER", "BROADCAST", "MULTICAST", "UP", "LOWER_UP"] }])).toBe(true);
  });
  test("UP without LOWER_UP but not yet NO-CARRIER (a carrier lost, not yet published) is pending", () => {
    expect(linkwatchPending([{ ifname: "br0", flags: ["BROADCAST", "MULTICAST", "UP"] }])).toBe(true);
  });
  test("settled states are not pending: running, down, no carrier at all", () => {
    expect(linkwatchPending([{ ifname: "eth0", flags: ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"] }])).toBe(false);
    expect(linkwatchPending([{ ifname: "eth0", flags: ["BROADCAST", "MULTICAST"] }])).toBe(false);
    expect(linkwatchPending([{ ifname: "veth1", flags: ["NO-CARRIER", "BROADCAST", "MULTICAST", "UP"] }])).toBe(false);
    expect(linkwatchPending([])).toBe(false);
  });
});
