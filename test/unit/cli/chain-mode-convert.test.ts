import { describe, expect, test } from "bun:test";
import { fromChainMode, isChainMode, toChainMode } from "../../../src/cli/chain-mode-convert.ts";

const list = {
  cniVersion: "1.0.0",
  name: "containerd-net",
  disableGC: true,
  plugins: [
    { type: "bridge", bridge: "cni0", ipam: { type: "host-local" } },
    { type: "portmap", capabilities: { portMappings: true, ips: false } },
    { type: "bandwidth", capabilities: { bandwidth: true, portMappings: true } },
  ],
};

describe("chain-mode conversion", () => {
  test("one tscni-chain entry carrying the members, declaring each capability some member declares as true", () => {
    const chain = toChainMode(list);
    expect(chain).toEqual({
      cniVersion: "1.0.0",
      name: "containerd-net",
      disableGC: true,
      plugins: [{ type: "tscni-chain", capabilities: { portMappings: true, bandwidth: true }, plugins: list.plugins }],
    });
    expect(isChainMode(chain)).toBe(true);
    expect(isChainMode(list)).toBe(false);
  });

  test("back to the plain list, equal to the original", () => {
    expect(fromChainMode(toChainMode(list))).toEqual(list);
  });

  test("members without capabilities give a chain without a capabilities key", () => {
    expect(toChainMode({ name: "n", plugins: [{ type: "loopback" }] })).toEqual({ name: "n", plugins: [{ type: "tscni-chain", plugins: [{ type: "loopback" }] }] });
  });

  test("refusals: already in chain mode, not in chain mode, no plugins", () => {
    expect(() => toChainMode(toChainMode(list))).toThrow("already in chain mode");
    expect(() => fromChainMode(list)).toThrow("not in chain mode");
    expect(() => toChainMode({ name: "n", plugins: [] })).toThrow("non-empty `plugins`");
    expect(() => toChainMode({ name: "n" })).toThrow("non-empty `plugins`");
  });
});
