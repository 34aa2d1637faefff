/**
 * Foreign rules inside the plugins' iptables chains survive ADD, CHECK and DEL, on both writers:
 * iptables-nft (this machine: bridge and portmap write in-process over netlink) and
 * iptables-legacy (Debian's legacy tools first on PATH under the plain names: one
 * iptables-restore per family). Another tool appends a rule to a pod's masquerade chain and to its
 * portmap DNAT chain, and a rule with a match tscni cannot read; CHECK passes, a re-ADD keeps them,
 * DEL exits 0, removes every rule of the plugins' own inside the chains, keeps the foreign ones
 * with their chains and jumps and says so on stderr, and `tscni doctor` names each. Once the operator
 * removes them, DEL leaves nothing of the pod.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { masqChainName, masqComment, portmapDnatChainName } from "../../src/firewall/names.ts";
import { distDir, exec, mustExec, requireIsolatedHost, runCni, SYSTEM_PATH, tempDir, tempNetns, tscni } from "../harness.ts";

requireIsolatedHost();
setDefaultTimeout(120_000);

const work = tempDir("tscni-fw-foreign-writes-");
afterAll(() => work[Symbol.dispose]());

/** Legacy tools under the plain names, as `update-alternatives --set iptables …-legacy` leaves a node. */
function legacyPath(): string {
  const dir = join(work.path, "legacy-bin");
  mkdirSync(dir);
  for (const n of ["iptables", "iptables-save", "iptables-restore", "ip6tables", "ip6tables-save", "ip6tables-restore"]) {
    symlinkSync(`/usr/sbin/${n.replace(/^(ip6?tables)/, "$1-legacy")}`, join(dir, n));
  }
  return `${dir}:${SYSTEM_PATH}`;
}

const WRITERS = [
  { name: "iptables-nft, in-process netlink", tool: "iptables", path: () => SYSTEM_PATH, seq: 71 },
  { name: "iptables-legacy, iptables-restore", tool: "iptables-legacy", path: legacyPath, seq: 72 },
] as const;

describe.each(WRITERS)("$name", (w) => {
  const network = `ffw${w.seq}`;
  const cid = `pod-${w.seq}`;
  const masq = masqChainName(network, cid);
  const dn = portmapDnatChainName(network, cid);
  const save = async (): Promise<string[]> => (await mustExec([`${w.tool}-save`, "-t", "nat"])).split("\n").filter((l) => l.startsWith("-A "));
  const ipt = (...args: string[]): Promise<string> => mustExec([w.tool, "-t", "nat", ...args]);

  test("ADD, foreign rules in our chains, CHECK, re-ADD, DEL keeps theirs and removes ours; then DEL cleans", async () => {
    await using ns = await tempNetns({ lo: true });
    const PATH = w.path();
    const env = { PATH, TSCNI_FIREWALL_LOCK: join(work.path, `fw${w.seq}.lock`) };
    const call = { containerId: cid, ifname: "eth0", path: distDir, netns: ns.path, env };
    const bridgeConf = {
      cniVersion: "1.0.0",
      name: network,
      type: "bridge",
      bridge: `ffbr${w.seq}`,
      isGateway: true,
      ipMasq: true,
      ipam: { type: "host-local", ranges: [[{ subnet: `10.${w.seq}.0.0/24` }]], dataDir: join(work.path, `ipam${w.seq}`) },
    };
    const added = await runCni(tscni("bridge"), { ...call, command: "ADD", stdin: bridgeConf });
    expect(added.code).toBe(0);
    const pmConf = { cniVersion: "1.0.0", name: network, type: "portmap", runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }] }, prevResult: added.json };
    const pm = (command: string) => runCni(tscni("portmap"), { ...call, command, stdin: pmConf });
    const bridge = (command: string) => runCni(tscni("bridge"), { ...call, command, stdin: { ...bridgeConf, prevResult: added.json } });
    expect((await pm("ADD")).code).toBe(0);
    const ours = await save();
    expect(ours.filter((l) => l.startsWith(`-A ${masq} `))).toHaveLength(2);
    expect(ours.filter((l) => l.startsWith(`-A ${dn} `))).toHaveLength(3);

    const foreign = [
      `-A ${masq} -d 192.0.2.1/32 -j ACCEPT`,
      `-A ${dn} -p tcp -m tcp --dport 9 -j ACCEPT`,
    ];
    for (const rule of foreign) await ipt(...rule.split(" "));
    // The masquerade chain's own comment, but a match the model does not know.
    await ipt("-A", masq, "-m", "comment", "--comment", masqComment(network, cid), "-m", "limit", "--limit", "1/s", "-j", "ACCEPT");
    const theirs = (await save()).filter((l) => !ours.includes(l));
    expect(theirs).toHaveLength(3);

    for (const command of ["CHECK", "ADD", "CHECK"]) {
      const p = await pm(command);
      expect({ command, code: p.code, stderr: p.stderr }).toEqual({ command, code: 0, stderr: "" });
    }
    expect((await bridge("CHECK")).code).toBe(0);
    expect((await save()).filter((l) => theirs.includes(l))).toEqual(theirs);

    const pmDel = await pm("DEL");
    const brDel = await bridge("DEL");
    expect([pmDel.code, brDel.code]).toEqual([0, 0]);
    expect(pmDel.stderr).toContain(`tscni: kept foreign firewall rules: ipv4 nat chain ${dn}: holds rules the plugins did not write`);
    expect(brDel.stderr).toContain(`tscni: kept foreign firewall rules: ipv4 nat chain ${masq}: holds rules the plugins did not write`);
    const after = await save();
    // Theirs, exactly, inside our chains; of ours only the jumps that reach them.
    expect(after.filter((l) => l.startsWith(`-A ${masq} `) || l.startsWith(`-A ${dn} `))).toEqual(theirs);
    expect(after.filter((l) => l.endsWith(`-j ${masq}`))).toHaveLength(1);
    expect(after.filter((l) => l.endsWith(`-j ${dn}`))).toHaveLength(1);
    expect(after.some((l) => l.includes("-j DNAT") || l.includes("-j MASQUERADE -") || l.includes(`-d 10.${w.seq}.0.0/24`))).toBe(false);

    // doctor names each of them (read with the node's own tools on PATH, as the runtime's plugins were).
    const confDir = join(work.path, `conf${w.seq}`);
    mkdirSync(confDir);
    writeFileSync(join(confDir, "10-ffw.conflist"), JSON.stringify({ cniVersion: "1.0.0", name: network, plugins: [bridgeConf, { type: "portmap", capabilities: { portMappings: true } }] }));
    const doctor = await exec([tscni("tscni"), "doctor", "--json", "--conf-dir", confDir, "--bin-dir", distDir, "--cache-dir", join(work.path, `cache${w.seq}`)], { env: { PATH } });
    const checks = (JSON.parse(doctor.stdout) as { checks: { id: string; severity: string; detail: string }[] }).checks;
    // A foreign rule is a warning, never an error; the exit code is doctor's own verdict (1 only on an error).
    expect(doctor.code).toBe(checks.some((c) => c.severity === "error") ? 1 : 0);
    expect(checks.filter((c) => c.id === "firewall-foreign" && c.severity !== "warning")).toEqual([]);
    const named = checks.filter((c) => c.id === "firewall-foreign").map((c) => c.detail);
    expect(named).toEqual(
      expect.arrayContaining([
        `ipv4 nat ${masq}: a rule not written by the plugin: -d 192.0.2.1/32 -j ACCEPT`,
        expect.stringMatching(new RegExp(`^ipv4 nat ${masq}: a rule tscni cannot read: .*limit`)),
        `ipv4 nat ${dn}: a rule not written by the plugin: -p tcp -m tcp --dport 9 -j ACCEPT`,
      ]),
    );

    // The operator takes theirs out; the next DEL removes what is left of the pod.
    for (const chain of [masq, dn]) await ipt("-F", chain);
    const again = [await pm("DEL"), await bridge("DEL")];
    expect(again.map((r) => [r.code, r.stderr])).toEqual([
      [0, ""],
      [0, ""],
    ]);
    expect((await save()).filter((l) => l.includes(masq) || l.includes(dn))).toEqual([]);
    expect((await mustExec([`${w.tool}-save`, "-t", "nat"])).includes(`:${masq}`)).toBe(false);
  });
});
