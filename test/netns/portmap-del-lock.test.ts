/**
 * portmap DEL (iptables layout, in-process on this nf_tables node) of a container that owns no
 * chain ends after one lookup and takes no firewall lock (src/firewall/apply.ts): containerd's
 * chain DELs every pod's portmap, almost none with mappings, and those DELs must not queue behind
 * a firewall writer. A DEL that finds the container's chains still waits for the lock, then
 * removes them.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { holdLock } from "../fixtures/hold-lock.ts";
import { distDir, mustExec, requireIsolatedHost, runCni, tempDir, tempNetns, tscni } from "../harness.ts";

requireIsolatedHost();
setDefaultTimeout(60_000);

const natRules = async (): Promise<string> => (await mustExec(["iptables-save", "-t", "nat"])).replace(/^#.*\n/gm, "");

describe("portmap DEL and the firewall lock", () => {
  const conf = (netns: string, mappings: readonly Record<string, unknown>[]): Record<string, unknown> => ({
    cniVersion: "1.0.0",
    name: "pm-del-lock",
    type: "portmap",
    runtimeConfig: { portMappings: mappings },
    prevResult: {
      cniVersion: "1.0.0",
      interfaces: [{ name: "eth0", sandbox: netns }],
      ips: [{ interface: 0, address: "10.97.0.5/24" }],
    },
  });

  test("a DEL that finds nothing of the container's completes while another process holds the lock", async () => {
    using dir = tempDir("tscni-pm-del-lock-");
    await using ns = await tempNetns();
    const env = { TSCNI_FIREWALL_LOCK: join(dir.path, "fw.lock") };
    const call = { command: "DEL", containerId: "pm-del-nothing", ifname: "eth0", netns: ns.path, path: distDir, env };
    const before = await natRules();
    const release = await holdLock(env.TSCNI_FIREWALL_LOCK);
    try {
      const none = await runCni(tscni("portmap"), { ...call, stdin: conf(ns.path, []) });
      expect(none.stderr).toBe("");
      expect(none.code).toBe(0);
      const withMappings = await runCni(tscni("portmap"), { ...call, stdin: conf(ns.path, [{ hostPort: 18080, containerPort: 80, protocol: "udp" }]) });
      expect(withMappings.code).toBe(0);
    } finally {
      await release();
    }
    expect(await natRules()).toBe(before);
  });

  test("a DEL that finds the container's chains waits for the lock, then removes them", async () => {
    using dir = tempDir("tscni-pm-del-lock-");
    await using ns = await tempNetns();
    const env = { TSCNI_FIREWALL_LOCK: join(dir.path, "fw.lock") };
    const call = { containerId: "pm-del-owned", ifname: "eth0", netns: ns.path, path: distDir, env };
    const before = await natRules();
    const add = await runCni(tscni("portmap"), { ...call, command: "ADD", stdin: conf(ns.path, [{ hostPort: 18081, containerPort: 80, protocol: "tcp" }]) });
    expect(add.code).toBe(0);
    const added = await natRules();
    expect(added).toContain("CNI-DN-");
    const release = await holdLock(env.TSCNI_FIREWALL_LOCK);
    let released = false;
    const del = runCni(tscni("portmap"), { ...call, command: "DEL", stdin: conf(ns.path, []) }).then((r) => ({ r, released }));
    await Bun.sleep(500);
    expect(await natRules()).toBe(added);
    released = true;
    await release();
    const { r, released: afterRelease } = await del;
    expect(r.code).toBe(0);
    expect(afterRelease).toBe(true);
    const after = await natRules();
    expect(after).not.toContain("CNI-DN-");
    expect(after).not.toContain("CNI-SN-");
    expect(after).not.toContain("pm-del-owned");
    // The shared chains stay, as the reference leaves them; nothing else changed.
    expect(before.split("\n").every((line) => after.includes(line))).toBe(true);
  });
});
