/**
 * Which tables an `iptables` works on, read from its link chain alone (no exec): the netlink path
 * serves only the nft flavour; legacy nodes (x_tables, not nf_tables) keep the tools.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { flavourOf, resolveIptables } from "../../../src/firewall/exec.ts";

describe("iptables flavour", () => {
  test.each([
    ["iptables", "xtables-nft-multi", "nft"],
    ["iptables", "xtables-legacy-multi", "legacy"],
    ["iptables", "xtables-multi", "legacy"],
    ["iptables-nft", "iptables-nft", "nft"],
    ["ip6tables-legacy", "ip6tables-legacy", "legacy"],
    ["iptables", "iptables", "unknown"],
  ] as const)("%s -> %s is %s", (name, real, flavour) => {
    expect(flavourOf(name, real)).toBe(flavour);
  });

  test.each([
    ["xtables-nft-multi", "nft"],
    ["xtables-legacy-multi", "legacy"],
  ] as const)("an iptables on PATH linked (as update-alternatives does) to %s", (multi, flavour) => {
    const dir = mkdtempSync(join(tmpdir(), "tscni-flavour-"));
    try {
      writeFileSync(join(dir, multi), "", { mode: 0o755 });
      symlinkSync(join(dir, multi), join(dir, `iptables-${flavour}`));
      symlinkSync(join(dir, `iptables-${flavour}`), join(dir, "iptables"));
      const saved = process.env.PATH;
      process.env.PATH = dir;
      try {
        expect(resolveIptables(4)?.flavour).toBe(flavour);
      } finally {
        process.env.PATH = saved;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
