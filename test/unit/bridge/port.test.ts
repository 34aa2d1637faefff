/**
 * setupPort enslaves the host end only when it is not the bridge's port yet: the container's veth
 * is created with its master (one RTM_NEWLINK), and a second RTM_SETLINK for the same master was
 * one wasted round trip per ADD. The vlan gateway's veth is created without one and still needs it.
 */
import { describe, expect, test } from "bun:test";
import type { Link, Rtnl } from "../../../src/netlink/index.ts";
import { setupPort, waitPortUp } from "../../../plugins/bridge/port.ts";

/** Records the link changes setupPort asks for; it reads nothing back for these requests. */
function recorder(): { nl: Rtnl; calls: string[] } {
  const calls: string[] = [];
  const nl = {
    linkSet: (index: number, change: object) => calls.push(`linkSet ${index} ${JSON.stringify(change)}`),
    portSet: (index: number, change: object) => calls.push(`portSet ${index} ${JSON.stringify(change)}`),
  } as unknown as Rtnl;
  return { nl, calls };
}

const bridge = { index: 3, name: "cni0" } as Link;
const req = { hairpin: false, isolated: false, vlan: 0, trunk: [], preserveDefaultVlan: true };

describe("setupPort", () => {
  test("a host end created with the bridge as master is not enslaved again", () => {
    const { nl, calls } = recorder();
    setupPort(nl, { index: 7, name: "veth1", master: 3 } as Link, bridge, req);
    expect(calls.filter((c) => c.startsWith("linkSet"))).toEqual([]);
    expect(calls).toHaveLength(2);
  });

  test("a link without that master is enslaved first", () => {
    for (const master of [undefined, 9]) {
      const { nl, calls } = recorder();
      setupPort(nl, { index: 7, name: "veth1", master } as Link, bridge, req);
      expect(calls[0]).toBe(`linkSet 7 {"master":3}`);
      expect(calls).toHaveLength(3);
    }
  });
});

describe("waitPortUp's first read", () => {
  const up = { index: 7, name: "veth1", master: 3, operstate: "up", port: { state: "forwarding", hairpin: true, isolated: false } } as Link;

  test("is handed to firstRead (bridge ADD checks a default port's settings there) and, ready, ends the wait without a watch", async () => {
    const asked: (number | string)[] = [];
    const nl = {
      linkFind: (key: number | string) => {
        asked.push(key);
        return up;
      },
      watchLinks: () => {
        throw new Error("no watch when the first read is ready");
      },
    } as unknown as Rtnl;
    const seen: Link[] = [];
    expect(await waitPortUp(nl, 7, (link) => seen.push(link))).toBe(up);
    expect(seen).toEqual([up]);
    expect(asked).toEqual([7]);
  });

  test("with a default port request, firstRead's setupPort writes only what the kernel shows on", async () => {
    const { nl, calls } = recorder();
    const reads = { ...nl, linkFind: () => up } as unknown as Rtnl;
    await waitPortUp(reads, "veth1", (link) => setupPort(nl, link, bridge, req));
    expect(calls).toEqual([`portSet 7 {"hairpin":false}`]);
  });
});
