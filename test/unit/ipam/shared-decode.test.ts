/**
 * The host-local decode a bridge ADD's pre-check shares with the in-process host-local ADD: used
 * only for the very same stdin bytes and CNI_ARGS, once; anything else is decoded afresh.
 */
import { describe, expect, test } from "bun:test";
import { tempDir } from "../../harness.ts";
import { checkBridgeAdd } from "../../../plugins/bridge/config.ts";
import { ProblemList } from "../../../src/cni/index.ts";
import { hostLocalAdd } from "../../../src/ipam/host-local/plugin.ts";
import { loadHostLocalConfig } from "../../../src/ipam/host-local/config.ts";
import { shareHostLocalDecode } from "../../../src/ipam/host-local/shared-decode.ts";
import { cmdArgs } from "./helpers.ts";

const net = (dataDir: string, subnet: string): Record<string, unknown> => ({
  cniVersion: "1.1.0",
  name: "n",
  type: "bridge",
  ipam: { type: "host-local", dataDir, subnet },
});

const firstAddress = async (config: Record<string, unknown>, over: Parameters<typeof cmdArgs>[2] = {}): Promise<string | undefined> =>
  (await hostLocalAdd(cmdArgs("ADD", config, over))).ips?.[0]?.address;

describe("host-local decode shared by the bridge's pre-check", () => {
  test("the same bytes and CNI_ARGS take the shared decode, once", async () => {
    using tmp = tempDir();
    const a = net(tmp.path, "10.1.0.0/24");
    // A decode of another subnet offered under a's bytes: which range answers shows which decode ran.
    const other = loadHostLocalConfig(net(tmp.path, "10.9.0.0/24"), "");
    shareHostLocalDecode(cmdArgs("ADD", a).stdin, "", other);
    expect(await firstAddress(a, { containerId: "c1" })).toBe("10.9.0.2/24");
    expect(await firstAddress(a, { containerId: "c2" })).toBe("10.1.0.2/24");
  });

  test("a changed config or CNI_ARGS is decoded afresh", async () => {
    using tmp = tempDir();
    const a = net(tmp.path, "10.1.0.0/24");
    const other = loadHostLocalConfig(net(tmp.path, "10.9.0.0/24"), "");
    shareHostLocalDecode(cmdArgs("ADD", a).stdin, "", other);
    expect(await firstAddress(net(tmp.path, "10.1.1.0/24"), { containerId: "c1" })).toBe("10.1.1.2/24");
    shareHostLocalDecode(cmdArgs("ADD", a).stdin, "", other);
    expect(await firstAddress(a, { containerId: "c2", args: "IP=10.1.0.7" })).toBe("10.1.0.7/24");
  });

  test("bridge ADD's pre-check shares its decode for its own stdin only", async () => {
    using tmp = tempDir();
    const a = net(tmp.path, "10.1.0.0/24");
    const pre = cmdArgs("ADD", a);
    expect(checkBridgeAdd(a, "", ProblemList.strict(), pre.stdin)).toBeDefined();
    expect(await firstAddress(net(tmp.path, "10.1.2.0/24"), { containerId: "c1" })).toBe("10.1.2.2/24");
    expect(checkBridgeAdd(a, "", ProblemList.strict(), pre.stdin)).toBeDefined();
    expect(await firstAddress(a, { containerId: "c2", stdin: pre.stdin })).toBe("10.1.0.2/24");
  });

  test("a bad IPAM config fails the pre-check with host-local's message and shares nothing", async () => {
    using tmp = tempDir();
    const bad = net(tmp.path, "10.1.0.0/33");
    expect(() => checkBridgeAdd(bad, "", ProblemList.strict(), cmdArgs("ADD", bad).stdin)).toThrow("invalid CIDR address: 10.1.0.0/33");
    await expect(hostLocalAdd(cmdArgs("ADD", bad))).rejects.toThrow("invalid CIDR address: 10.1.0.0/33");
  });
});
