/** The pure parts of `tscni gc`'s firewall sweep and `tscni doctor`'s chain checks, plus the TTY progress line. */
import { describe, expect, test } from "bun:test";
import { duplicateChecks } from "../../../src/cli/doctor-checks.ts";
import { planFirewallGc } from "../../../src/cli/firewall-gc.ts";
import { printGc, type GcAction } from "../../../src/cli/gc-output.ts";
import { progressOn } from "../../../src/cli/progress.ts";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ToolResult } from "../../../src/firewall/exec.ts";
import { allBackends, type FirewallSnapshot } from "../../../src/firewall/index.ts";
import { iptablesView } from "../../../src/firewall/iptables-view.ts";
import { nftablesView } from "../../../src/firewall/nftables-view.ts";
import { parseIptablesSave } from "../../../src/firewall/iptables.ts";
import { masqChainName, masqComment, nftMasqComment, nftMasqInstanceHash, portmapDnatChainName, portmapDnatComment } from "../../../src/firewall/names.ts";
import { parseNftList } from "../../../src/firewall/nftables.ts";

const q = (s: string): string => JSON.stringify(s);

function natSave(attachments: [string, string, string][], extra: string[] = []): string {
  const lines = ["*nat", ":POSTROUTING ACCEPT [0:0]", ":CNI-HOSTPORT-DNAT - [0:0]"];
  for (const [net, cid, ip] of attachments) {
    const m = masqChainName(net, cid);
    const d = portmapDnatChainName(net, cid);
    lines.push(`:${m} - [0:0]`, `:${d} - [0:0]`);
    lines.push(`-A POSTROUTING -s ${ip}/32 -m comment --comment ${q(masqComment(net, cid))} -j ${m}`);
    lines.push(`-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment ${q(portmapDnatComment(net, cid))} -m multiport --dports 80 -j ${d}`);
  }
  return [...lines, ...extra, "COMMIT", ""].join("\n");
}

function nftMasq(attachments: [string, string, string][]): string {
  const rules = attachments.map(([net, cid, ip], i) => `\t\tip saddr ${ip} masquerade comment ${q(nftMasqComment(net, "eth0", cid))} # handle ${i + 10}`);
  return ["table inet cni_plugins_masquerade { # handle 1", "\tchain masq_checks { # handle 2", ...rules, "\t}", "}"].join("\n");
}

function nftPortmap(ids: string[]): string {
  const rules = ids.map((id, i) => `\t\ttcp dport 80 dnat to 10.0.0.1:80 comment ${q(id)} # handle ${i + 10}`);
  return ["table ip cni_hostport { # handle 1", "\tchain hostports { # handle 2", ...rules, "\t}", "}"].join("\n");
}

function snapshot(att: [string, string, string][], portmapIds: string[] = [], extra: string[] = []): FirewallSnapshot {
  return {
    views: [
      iptablesView(new Map([[4, parseIptablesSave(natSave(att, extra))]])),
      nftablesView(
        new Map([
          ["inet cni_plugins_masquerade", parseNftList(nftMasq(att))],
          ["ip cni_hostport", parseNftList(nftPortmap(portmapIds))],
        ]),
      ),
    ],
  };
}

/**
 * Applies a GC plan through a fake tool runner that answers reads with the same state the plan
 * was made from (no netlink: a fake runner turns it off), and returns what was written, per tool.
 */
async function applied(plan: ReturnType<typeof planFirewallGc>, att: [string, string, string][], portmapIds: string[] = []): Promise<string[]> {
  const writes: string[] = [];
  const run = async (argv: readonly string[], stdin?: string): Promise<ToolResult> => {
    if (stdin !== undefined) writes.push(`${argv.at(-1) === "-" ? "nft" : "restore"}:\n${stdin}`);
    const listed = argv.includes("list") ? (argv.includes("cni_hostport") ? nftPortmap(portmapIds) : nftMasq(att)) : "";
    return { code: 0, stdout: argv.some((a) => a.endsWith("-save")) ? natSave(att) : listed, stderr: "" };
  };
  const failed = await plan.apply({ run, lockPath: join(mkdtempSync(join(tmpdir(), "tscni-gc-")), "fw.lock") });
  expect([...failed.values()]).toEqual([]);
  return writes;
}

const ATT: [string, string, string][] = [
  ["net", "ghost", "10.0.0.5"],
  ["net", "keep", "10.0.0.6"],
  ["other", "ghost", "10.1.0.5"],
];

describe("gc: firewall plan", () => {
  test("frees this network's objects of non-kept containers only", async () => {
    const plan = planFirewallGc(snapshot(ATT), [{ network: "net", keep: [{ containerId: "keep", ifname: "eth0" }] }]);
    expect(plan.items.map((i) => [i.network, i.entry.backend, i.entry.kind, i.entry.key, i.containerId])).toEqual([
      ["net", "iptables", "masquerade", masqChainName("net", "ghost"), "ghost"],
      ["net", "iptables", "portmap", portmapDnatChainName("net", "ghost"), "ghost"],
      ["net", "nftables", "masquerade", nftMasqInstanceHash("net", "eth0", "ghost"), "ghost"],
    ]);
    // One batch per iptables family and one nft transaction, removing exactly those objects.
    const writes = await applied(plan, ATT);
    expect(writes).toHaveLength(2);
    const [restore, nft] = writes;
    for (const chain of [masqChainName("net", "ghost"), portmapDnatChainName("net", "ghost")]) expect(restore).toContain(`-X ${chain}\n`);
    for (const chain of [masqChainName("net", "keep"), masqChainName("other", "ghost")]) expect(restore).not.toContain(chain);
    expect(nft).toStartWith("nft:\n");
    expect(nft?.match(/^delete rule .*$/gm)).toEqual(["delete rule inet cni_plugins_masquerade masq_checks handle 10"]);
  });

  test("a container kept without ifname keeps its nft masquerade rules, matched on the comment's ID", () => {
    const plan = planFirewallGc(snapshot(ATT), [{ network: "net", keep: [{ containerId: "keep", ifname: "" }] }]);
    expect(plan.items.map((i) => i.containerId)).toEqual(["ghost", "ghost", "ghost"]);
    // "keep2" is not "keep": an uncut comment's ID must match exactly.
    const other = planFirewallGc(snapshot(ATT), [{ network: "net", keep: [{ containerId: "keep2", ifname: "" }] }]);
    expect(other.items.filter((i) => i.entry.backend === "nftables").map((i) => i.containerId).sort()).toEqual(["ghost", "keep"]);
  });

  test("a cut comment keeps every container ID it could be a prefix of", () => {
    const long = "c".repeat(64);
    const net = "n".repeat(40);
    const snap = snapshot([[net, long, "10.0.0.7"]]);
    expect(nftMasqComment(net, "eth0", long)).not.toContain(long);
    expect(planFirewallGc(snap, [{ network: net, keep: [{ containerId: long, ifname: "" }] }]).items).toEqual([]);
    expect(planFirewallGc(snap, [{ network: net, keep: [{ containerId: "other", ifname: "" }] }]).items).toHaveLength(3);
  });

  test("nft portmap rules: only when asked, and only for IDs kept nowhere", async () => {
    const snap = snapshot([], ["ghost", "keep"]);
    expect(planFirewallGc(snap, [{ network: "net", keep: [] }]).items).toEqual([]);
    const plan = planFirewallGc(snap, [{ network: "net", keep: [] }], new Set(["keep"]));
    expect(plan.items.map((i) => [i.network, i.entry.where, i.containerId])).toEqual([["*", "ip cni_hostport", "ghost"]]);
    const writes = await applied(plan, [], ["ghost", "keep"]);
    expect(writes.map((w) => w.match(/^delete rule .*$/gm))).toEqual([["delete rule ip cni_hostport hostports handle 10"]]);
  });

  test("human output: the same plan lines in a dry run and after --apply; a network named tscni reads as a network", async () => {
    // Each backend words its own entries; a real run has loaded them all when it read the firewall.
    await allBackends();
    const actions = (): GcAction[] => [
      {
        network: "tscni",
        kind: "remove-firewall",
        containerId: "ghost",
        firewall: { backend: "iptables", kind: "masquerade", where: "ipv4", name: "CNI-x" },
        done: false,
      },
      { network: "*", kind: "remove-firewall", containerId: "g", firewall: { backend: "nftables", kind: "portmap", where: "ip cni_hostport", name: "g" }, done: false },
      { network: "tscni", kind: "keep-young", containerId: "c", ifname: "eth0", ip: "10.0.0.9", evidence: "reserved", done: false },
    ];
    const print = (apply: boolean) => {
      const o = { out: "", err: "" };
      printGc({ apply, json: false, graceSeconds: 600, out: (t) => void (o.out += t), err: (t) => void (o.err += t) }, actions());
      return o;
    };
    const dry = print(false);
    expect(dry.out).toBe(
      'remove  network "tscni": iptables masquerade chain CNI-x (ipv4) of ghost\n' +
        "remove  all networks: nft portmap rules of g (ip cni_hostport)\n" +
        'keep    network "tscni": 10.0.0.9 of c:eth0: reserved within the 600 s grace period\n',
    );
    expect(dry.err).toBe("dry run: nothing changed (use --apply to do the above)\n");
    expect(print(true)).toEqual({ out: dry.out, err: "" });
    for (const line of dry.out.split("\n")) expect(line).not.toStartWith("tscni:");
  });
});

describe("doctor: chains", () => {
  test("duplicate jumps are warned about with a fix", () => {
    const att: [string, string, string][] = [["net", "keep", "10.0.0.6"]];
    const dup = `-A POSTROUTING -s 10.0.0.6/32 -m comment --comment ${q(masqComment("net", "keep"))} -j ${masqChainName("net", "keep")}`;
    const withDup = snapshot(att, [], [dup]);
    const f = duplicateChecks(withDup);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ id: "duplicate-rule", severity: "warning" });
    expect(f[0]?.detail).toStartWith("duplicate rule in ipv4 POSTROUTING (2×): -s 10.0.0.6/32");
    expect(f[0]?.fix).not.toBe("");
    expect(duplicateChecks(snapshot(att))).toEqual([{ id: "duplicate-rule", severity: "ok", detail: "no repeated jump into a CNI chain", fix: "" }]);
  });

  test("unreadable tools are a warning, not silence", () => {
    const f = duplicateChecks({ views: [iptablesView(new Map(), ["iptables-save: permission denied"]), nftablesView(new Map())] });
    expect(f).toEqual([expect.objectContaining({ id: "firewall-read", severity: "warning", detail: "could not read the firewall: iptables-save: permission denied" })]);
  });
});

describe("progress", () => {
  test("silent unless stderr is a TTY", () => {
    let written = "";
    const p = progressOn({ isTTY: false, write: (t: string) => (written += t) });
    p.update("x");
    p.done();
    expect(written).toBe("");
  });

  test("one rate-limited line, cut to the terminal width, erased at the end", () => {
    let written = "";
    let t = 0;
    const p = progressOn({ isTTY: true, columns: 12, write: (s: string) => (written += s) }, () => t);
    p.update("gc net (1/3)");
    p.update("dropped: too soon");
    t = 1000;
    p.update("gc net (2/3)");
    p.done();
    expect(written).toBe("\r\x1b[2Kgc net (1/…\r\x1b[2Kgc net (2/…\r\x1b[2K");
  });
});
