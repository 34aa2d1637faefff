/**
 * loopback through its symlink where tscni deliberately differs from v1.9.1 (docs/compatibility.md):
 * the plugin's own netns is refused before anything changes (v1.9.1 acts first, then reports code
 * 8). Everything v1.9.1 can answer (results per version, DEL/CHECK, GC/STATUS, bad input) is
 * compared live in test/differential/loopback.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { ipJson, requireIsolatedHost, runCni, tscni } from "../harness.ts";

requireIsolatedHost();

interface IpLink {
  ifname: string;
  flags: string[];
}

describe("the plugin's own netns", () => {
  test("the plugin's own netns is refused (code 8) and left untouched", async () => {
    const hostLo = async () => (await ipJson<IpLink[]>(["link", "show", "lo"]))[0]?.flags;
    const before = await hostLo();
    const r = await runCni(tscni("loopback"), {
      command: "DEL",
      containerId: "ctr1",
      netns: `/proc/${process.pid}/ns/net`,
      ifname: "eth0",
      path: "/opt/cni/bin",
      stdin: { cniVersion: "1.0.0", name: "lo-net", type: "loopback" },
    });
    expect(r.json).toEqual({ code: 8, msg: "plugin's netns and netns from CNI_NETNS should not be the same" });
    expect(await hostLo()).toEqual(before);
  });
});
