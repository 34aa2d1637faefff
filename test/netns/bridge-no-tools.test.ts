/**
 * bridge ipMasq DEL and GC where no firewall tool exists (the agent's image runs gc there) for a
 * pod whose ADD ran on the host with iptables-nft: the rules are in nf_tables, so they are removed
 * over netlink without the tool and DEL/GC exit 0. Before, DEL exited 0 but left the rules behind.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { distDir, exec, requireIsolatedHost, tempDir, tempNetns } from "../harness.ts";
import { TS } from "../fixtures/bridge/support.ts";
import { hostLocal, nftRuleset, reservations } from "./bridge-fixture.ts";

requireIsolatedHost();
setDefaultTimeout(60_000);

const data = tempDir("tscni-bridge-no-tools-");
afterAll(() => data[Symbol.dispose]());
const noTools = join(data.path, "empty-bin");
mkdirSync(noTools);

const conf = {
  cniVersion: "1.0.0",
  name: "notools",
  type: "bridge",
  bridge: "nt0",
  isGateway: true,
  ipMasq: true,
  ipam: hostLocal(data.path, ["10.77.0.0/24"]),
};

const SYSTEM = "/usr/sbin:/usr/bin:/sbin:/bin";
const call = (command: string, netns: string, stdin: object, path = noTools) =>
  exec([TS.bridge], {
    stdin: JSON.stringify(stdin),
    env: { PATH: path, CNI_COMMAND: command, CNI_CONTAINERID: "ctr-nt", CNI_NETNS: netns, CNI_IFNAME: "eth0", CNI_PATH: distDir },
  });

describe("bridge ipMasq DEL and GC without iptables or nft on PATH", () => {
  test("DEL frees the address, removes the rule and exits 0", async () => {
    await using ns = await tempNetns();
    const add = await call("ADD", ns.path, conf, SYSTEM);
    expect(add.stdout).not.toContain("\"code\"");
    expect(add.code).toBe(0);
    expect(await nftRuleset()).toContain("10.77.0.0/24");
    expect(reservations(data.path, "notools").length).toBe(1);
    const del = await call("DEL", ns.path, conf);
    expect(del.stdout + del.stderr).toBe("");
    expect(del.code).toBe(0);
    expect(reservations(data.path, "notools")).toEqual([]);
    expect(await nftRuleset()).not.toContain("10.77.0.0/24");
  });

  test("GC of an attachment not in the valid list exits 0 and leaves no rule", async () => {
    await using ns = await tempNetns();
    expect((await call("ADD", ns.path, conf, SYSTEM)).code).toBe(0);
    const gc = await call("GC", ns.path, { ...conf, cniVersion: "1.1.0", "cni.dev/valid-attachments": [] });
    expect(gc.stdout + gc.stderr).toBe("");
    expect(gc.code).toBe(0);
    expect(await nftRuleset()).not.toContain("10.77.0.0/24");
  });
});
