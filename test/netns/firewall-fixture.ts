/**
 * Shared by the firewall kernel tests: one container netns per file (opened before, closed after
 * the tests), a private firewall lock, and the ruleset as `nft list ruleset` prints it (iptables-nft
 * tables included, since they are nf_tables too).
 */
import { afterAll, beforeAll } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mustExec, type TempNetns, tempNetns } from "../harness.ts";

export interface FirewallFixture {
  readonly work: string;
  readonly env: Record<string, string>;
  /** The container netns path; valid inside tests. */
  netns(): string;
}

export function firewallFixture(prefix: string): FirewallFixture {
  const work = mkdtempSync(join(tmpdir(), prefix));
  let ns: TempNetns | undefined;
  beforeAll(async () => {
    ns = await tempNetns();
  });
  afterAll(async () => {
    await ns?.[Symbol.asyncDispose]();
  });
  return {
    work,
    env: { TSCNI_FIREWALL_LOCK: join(work, "fw.lock") },
    netns: () => {
      if (!ns) throw new Error("netns not ready");
      return ns.path;
    },
  };
}

export async function ruleset(): Promise<string> {
  return mustExec(["nft", "list", "ruleset"]);
}

export async function flushRuleset(): Promise<void> {
  await mustExec(["nft", "flush", "ruleset"]);
}

/** A container with one IPv4 and one IPv6 address on eth0: the prevResult the nft portmap tests pass. */
export const DUAL_STACK_PREV_RESULT = {
  cniVersion: "1.0.0",
  interfaces: [{ name: "eth0", sandbox: "/x" }],
  ips: [
    { address: "10.0.0.2/24", interface: 0 },
    { address: "fd00::2/64", interface: 0 },
  ],
};
