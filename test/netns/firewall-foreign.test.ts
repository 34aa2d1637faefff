/**
 * Bad kernel state in the plugins' firewall objects: a foreign rule inside one of our chains, a
 * rule with an expression tscni's decoder does not know, a chain named like ours (or in our
 * table) that another tool created. Each is read as foreign: `tscni doctor` names it and changes
 * nothing, and `tscni gc --apply` leaves it (and the chain or instance holding it) alone while it
 * still removes a plain stale attachment next to it.
 */
import { expect, test } from "bun:test";
import { mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { masqChainName, masqComment, nftMasqComment, nftMasqInstanceHash } from "../../src/firewall/names.ts";
import { exec, mustExec, NETNS_TIMEOUT, referenceDir, requireIsolatedHost, SYSTEM_PATH, tempDir, tscni } from "../harness.ts";

requireIsolatedHost();

interface Check {
  id: string;
  severity: string;
  detail: string;
  fix: string;
}

const env = { env: { PATH: SYSTEM_PATH } };
const ipt = (...args: string[]): Promise<string> => mustExec(["iptables", "-t", "nat", ...args]);

/** A masquerade chain as bridge ipMasq leaves it for `cid` on `network` (fnet), plus `extra` rules inside. */
async function masqChain(cid: string, ip: string, extra: string[][] = [], network = "fnet"): Promise<string> {
  const chain = masqChainName(network, cid);
  const note = ["-m", "comment", "--comment", masqComment(network, cid)];
  await ipt("-N", chain);
  await ipt("-A", chain, "-d", "10.88.0.0/24", ...note, "-j", "ACCEPT");
  await ipt("-A", chain, "!", "-d", "224.0.0.0/4", ...note, "-j", "MASQUERADE");
  for (const rule of extra) await ipt("-A", chain, ...rule);
  await ipt("-A", "POSTROUTING", "-s", `${ip}/32`, ...note, "-j", chain);
  return chain;
}

/** An nft masquerade instance for `cid` (eth0) on `network` (fnet), with `stmt` before its masquerade. */
async function masqInstance(cid: string, ip: string, stmt = "", network = "fnet"): Promise<string> {
  await mustExec(["nft", `add rule inet cni_plugins_masquerade masq_checks ip saddr ${ip} ${stmt} masquerade comment "${nftMasqComment(network, "eth0", cid)}"`]);
  return nftMasqInstanceHash(network, "eth0", cid);
}

test(
  "foreign rules, unreadable rules and other tools' chains: doctor names each, gc leaves them",
  async () => {
    using d = tempDir();
    const confDir = join(d.path, "net.d");
    const dataDir = join(d.path, "data");
    mkdirSync(confDir);
    mkdirSync(join(dataDir, "fnet"), { recursive: true });
    writeFileSync(
      join(confDir, "10-fnet.conflist"),
      JSON.stringify({ cniVersion: "1.0.0", name: "fnet", plugins: [{ type: "bridge", bridge: "fbr0", ipMasq: true, ipam: { type: "host-local", ranges: [[{ subnet: "10.88.0.0/24" }]], dataDir } }] }),
    );

    // iptables: a plain stale chain, one with a rule someone else added, one with a match tscni cannot read,
    // and a chain named like a portmap chain that nothing jumps to.
    const plain = await masqChain("plain", "10.88.0.2");
    const withForeign = await masqChain("foreign", "10.88.0.3", [["-d", "192.0.2.1/32", "-j", "ACCEPT"]]);
    const withUnknown = await masqChain("unknown", "10.88.0.4", [["-m", "comment", "--comment", masqComment("fnet", "unknown"), "-m", "limit", "--limit", "1/s", "-j", "ACCEPT"]]);
    const orphan = "CNI-DN-0123456789abcdef01234";
    await ipt("-N", orphan);

    // nft: a plain stale instance, an instance with a statement tscni cannot read, an uncommented rule
    // in masq_checks and a chain of another tool in the plugins' table.
    await mustExec(["nft", "add table inet cni_plugins_masquerade; add chain inet cni_plugins_masquerade masq_checks; add chain inet cni_plugins_masquerade other_tool"]);
    const plainInstance = await masqInstance("plain", "10.88.0.2");
    const unknownInstance = await masqInstance("nftunknown", "10.88.0.5", "numgen inc mod 2 0");
    await mustExec(["nft", "add rule inet cni_plugins_masquerade masq_checks ip saddr 192.0.2.9 accept"]);

    // Long ago, so gc may judge them all.
    const then = new Date(Date.now() - 2 * 3600 * 1000);
    utimesSync(join(dataDir, "fnet"), then, then);
    const firewall = async (): Promise<string> => ((await mustExec(["iptables-save", "-t", "nat"])) + (await mustExec(["nft", "-a", "list", "ruleset"]))).replace(/^#.*\n/gm, "");
    const before = await firewall();

    const common = ["--conf-dir", confDir, "--bin-dir", referenceDir, "--cache-dir", join(d.path, "cache")];
    const doctor = await exec([tscni("tscni"), "doctor", "--json", ...common], env);
    expect(doctor.stderr).toBe("");
    const found = (JSON.parse(doctor.stdout) as { checks: Check[] }).checks.filter((c) => c.id === "firewall-foreign");
    expect(found.every((c) => c.severity === "warning" && c.fix !== "")).toBe(true);
    const details = found.map((c) => c.detail);
    expect(details).toHaveLength(6);
    expect(details).toEqual(
      expect.arrayContaining([
        `ipv4 nat ${withForeign}: a rule not written by the plugin: -d 192.0.2.1/32 -j ACCEPT`,
        expect.stringMatching(new RegExp(`^ipv4 nat ${withUnknown}: a rule tscni cannot read: .*\\?limit -j ACCEPT$`)),
        `ipv4 nat chain ${orphan}: named like the plugins' chains, but no CNI rule jumps to it`,
        "inet cni_plugins_masquerade: chain other_tool is not the plugins'",
        expect.stringMatching(/^inet cni_plugins_masquerade masq_checks: a rule not written by the plugins \(handle \d+\): ip saddr 192\.0\.2\.9 accept$/),
        expect.stringMatching(new RegExp(`^inet cni_plugins_masquerade masq_checks: a rule tscni cannot read \\(handle \\d+\\): .*\\?numgen.*${unknownInstance}`)),
      ]),
    );
    // The plain stale objects are stale, not foreign.
    for (const name of [plain, plainInstance]) expect(details.filter((x) => x.includes(name))).toEqual([]);
    expect(await firewall()).toBe(before);

    // gc: only the plain stale chain and instance go; everything holding something foreign stays as it was.
    const gc = await exec([tscni("tscni"), "gc", ...common, "--valid", "nobody:eth0", "--apply"], env);
    expect(gc.stderr).toBe("");
    expect(gc.code).toBe(0);
    expect(gc.stdout.split("\n").filter((l) => l.startsWith("remove")).sort()).toEqual([
      `remove  network "fnet": iptables masquerade chain ${plain} (ipv4) of plain`,
      `remove  network "fnet": nft masquerade rules ${plainInstance} (inet cni_plugins_masquerade) of plain`,
    ]);
    const after = await firewall();
    expect(after).not.toContain(plain);
    expect(after).not.toContain(plainInstance);
    for (const kept of [withForeign, "192.0.2.1/32", withUnknown, "--limit 1/sec", `:${orphan}`, "chain other_tool", unknownInstance, "ip saddr 192.0.2.9 accept"]) {
      expect({ kept, present: after.includes(kept) }).toEqual({ kept, present: true });
    }
  },
  NETNS_TIMEOUT,
);

test(
  "the bridge plugin's own GC verb leaves a chain or instance holding something foreign, too",
  async () => {
    using d = tempDir();
    const plain = await masqChain("plain", "10.89.0.2", [], "gnet");
    const withForeign = await masqChain("foreign", "10.89.0.3", [["-d", "192.0.2.7/32", "-j", "ACCEPT"]], "gnet");
    await mustExec(["nft", "add table inet cni_plugins_masquerade; add chain inet cni_plugins_masquerade masq_checks"]);
    const plainInstance = await masqInstance("plain", "10.89.0.2", "", "gnet");
    const unknownInstance = await masqInstance("nftunknown", "10.89.0.5", "numgen inc mod 2 0", "gnet");
    const conf = {
      cniVersion: "1.1.0",
      name: "gnet",
      type: "bridge",
      bridge: "gbr0",
      ipMasq: true,
      ipam: { type: "host-local", ranges: [[{ subnet: "10.89.0.0/24" }]], dataDir: join(d.path, "data") },
      "cni.dev/valid-attachments": [],
    };
    const r = await exec([tscni("bridge")], { stdin: JSON.stringify(conf), env: { PATH: SYSTEM_PATH, CNI_COMMAND: "GC", CNI_PATH: join(tscni("bridge"), "..") } });
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 0, stdout: "" });
    const after = (await mustExec(["iptables-save", "-t", "nat"])) + (await mustExec(["nft", "list", "ruleset"]));
    expect({ plain: after.includes(plain), plainInstance: after.includes(plainInstance) }).toEqual({ plain: false, plainInstance: false });
    for (const kept of [`-A ${withForeign} -d 192.0.2.7/32 -j ACCEPT`, `-j ${withForeign}`, unknownInstance]) {
      expect({ kept, present: after.includes(kept) }).toEqual({ kept, present: true });
    }
  },
  NETNS_TIMEOUT,
);
