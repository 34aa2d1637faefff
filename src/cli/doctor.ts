/**
 * `tscni doctor`: what this node has and lacks for the configured networks. Each finding is
 * ok / warn / error with one line of advice; `--json` for machines. Exit 1 on any error.
 */
import { existsSync, lstatSync, readFileSync, readlinkSync } from "node:fs";
import { cachedAttachments, findInPath, scanConfDir } from "../runtime/index.ts";
import { readFirewall, type FirewallSnapshot } from "../firewall/index.ts";
import { binDirFindings, bridgeNames, type Finding, firewallFindings, linkFindings } from "./doctor-checks.ts";
import { hostLocalDirs, readReservations } from "./gc-ipam.ts";
import { BINARY_NAME } from "./install.ts";
import { binDirs, cacheDir as resolveCacheDir, confDir as resolveConfDir, type Env } from "./options.ts";
import { type PluginValidator, validateFiles } from "./validate.ts";

export type { Finding } from "./doctor-checks.ts";

const PLUGIN_NAMES = ["bridge", "host-local", "loopback", "portmap"] as const;

export interface DoctorOptions {
  confDir?: string;
  binDir?: string;
  cacheDir?: string;
  json: boolean;
  env: Env;
  validators: Readonly<Record<string, PluginValidator>>;
  out: (text: string) => void;
  /** Injected by tests. */
  readFirewall?: () => Promise<FirewallSnapshot>;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
}

function firstLine(argv: string[]): string | undefined {
  try {
    const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
    if (r.exitCode !== 0) return undefined;
    return (r.stdout.toString() || r.stderr.toString()).split("\n")[0]?.trim();
  } catch {
    return undefined;
  }
}

function kernelFeature(name: string): boolean {
  return existsSync(`/sys/module/${name}`) || (read("/proc/modules") ?? "").split("\n").some((l) => l.startsWith(`${name} `));
}

export async function diagnose(o: DoctorOptions): Promise<Finding[]> {
  const f: Finding[] = [];
  const confDir = resolveConfDir(o.confDir, o.env);
  const bins = binDirs(o.binDir, o.env);

  const report = validateFiles(scanConfDir(confDir), o.validators);
  if (report.files.length === 0) f.push({ check: "config", level: "error", detail: `no network configuration in ${confDir}` });
  for (const file of report.files) {
    const bad = file.errors.length > 0 || file.plugins.some((p) => p.status === "error");
    const why = [...file.errors, ...file.plugins.flatMap((p) => p.problems.map((m) => `plugins[${p.index}] ${p.type}: ${m}`))];
    f.push({
      check: "config",
      level: file.role === "broken" || bad ? "error" : file.role === "shadowed" ? "warn" : "ok",
      detail:
        file.role === "broken"
          ? `${file.file}: cannot be loaded: ${why.join("; ")}`
          : `${file.file}: network ${JSON.stringify(file.network)}${file.role === "shadowed" ? ` ignored (defined first in ${file.shadowedBy})` : ""}${bad ? `: ${why.join("; ")}` : ""}`,
    });
  }

  const types = new Set(scanConfDir(confDir).flatMap((s) => s.list?.plugins.map((p) => p.type) ?? []));
  for (const t of [...types].sort()) {
    try {
      const path = findInPath(t, bins);
      let via = "";
      try {
        if (lstatSync(path).isSymbolicLink() && readlinkSync(path) === BINARY_NAME) via = " (tscni)";
      } catch {
        // not a link
      }
      f.push({ check: "plugin", level: "ok", detail: `${t}: ${path}${via}` });
    } catch (e) {
      f.push({ check: "plugin", level: "error", detail: `${t}: ${(e as Error).message}` });
    }
  }
  f.push(...binDirFindings(bins, PLUGIN_NAMES, BINARY_NAME));

  for (const mod of ["bridge", "veth"]) {
    const has = kernelFeature(mod);
    f.push({ check: "kernel", level: has ? "ok" : "warn", detail: `${mod}: ${has ? "available" : "not loaded (it may still load on demand)"}` });
  }
  const fwd = read("/proc/sys/net/ipv4/ip_forward");
  f.push({
    check: "sysctl",
    level: fwd === "1" ? "ok" : "warn",
    detail: `net.ipv4.ip_forward = ${fwd ?? "?"}${fwd === "1" ? "" : " (bridge with isGateway turns it on at ADD; containers cannot reach beyond the host until then)"}`,
  });
  const ipt = firstLine(["iptables", "--version"]);
  f.push({
    check: "firewall",
    level: ipt === undefined ? "warn" : "ok",
    detail: ipt === undefined ? "iptables: not found" : `iptables: ${ipt}${ipt.includes("legacy") ? " (legacy flavour)" : ipt.includes("nf_tables") ? " (nft flavour)" : ""}`,
  });
  const nft = firstLine(["nft", "--version"]);
  f.push({ check: "firewall", level: nft === undefined ? "warn" : "ok", detail: nft === undefined ? "nft: not found" : `nft: ${nft}` });
  if (ipt === undefined && nft === undefined) {
    f.push({ check: "firewall", level: "error", detail: "neither iptables nor nft: ipMasq and portmap cannot work" });
  }

  const cached = cachedAttachments(resolveCacheDir(o.cacheDir, o.env));
  const lists = scanConfDir(confDir).flatMap((s) => (s.list ? [s.list] : []));
  f.push(...linkFindings(bridgeNames(lists)));
  f.push(...firewallFindings(await (o.readFirewall ?? readFirewall)(), cached));
  for (const s of scanConfDir(confDir)) {
    if (s.list === undefined) continue;
    for (const dir of hostLocalDirs(s.list)) {
      if (!existsSync(dir)) continue;
      const live = new Set(
        cached.filter((a) => a.network === s.list?.name && a.netns !== "" && existsSync(a.netns)).map((a) => a.containerId),
      );
      const all = readReservations(dir);
      const stale = all.filter((x) => !live.has(x.r.containerId)).map((x) => `${x.r.ip} (${x.r.containerId})`);
      const shown = stale.length > 5 ? [...stale.slice(0, 5), "…"] : stale;
      f.push({
        check: "ipam",
        level: stale.length > 0 ? "warn" : "ok",
        detail: `${dir}: ${all.length} reservations${stale.length > 0 ? `, ${stale.length} without a live cached attachment: ${shown.join(", ")} (see: tscni gc --from-netns-dir /run/netns)` : ""}`,
      });
    }
  }
  return f;
}

export async function doctorCommand(o: DoctorOptions): Promise<number> {
  const findings = await diagnose(o);
  if (o.json) o.out(`${JSON.stringify({ findings }, null, 2)}\n`);
  else {
    const mark = { ok: "✓", warn: "!", error: "✗" } as const;
    for (const x of findings) o.out(`${mark[x.level]} ${x.check.padEnd(8)} ${x.detail}\n`);
  }
  return findings.some((x) => x.level === "error") ? 1 : 0;
}
