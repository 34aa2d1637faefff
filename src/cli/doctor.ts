/**
 * `tscni doctor`: a kubeadm-style preflight for CNI on this node. Every check is read-only and
 * yields ok / warning / error with a one-line fix; people see `[ERROR id]: …` and `[WARNING id]:
 * …` lines, machines `--json`. Exit 1 when any check is an error.
 */
import { existsSync } from "node:fs";
import { release } from "node:os";
import { allBackends, type FirewallSnapshot, readFirewall } from "../firewall/index.ts";
import { cachedAttachments, scanConfDir } from "../runtime/index.ts";
import { agentChecks } from "./doctor-agent.ts";
import { chainModeChecks } from "./chain-mode.ts";
import { type Check, error, ok, type ProcRoot, warning } from "./doctor-check.ts";
import { binDirChecks, duplicateChecks, hostDevices, linkChecks } from "./doctor-checks.ts";
import { describeLists } from "./gc-ipam.ts";
import { NOTHING, type PluginLookup } from "../container/index.ts";
import { installedTscni, pluginChecks } from "./doctor-install.ts";
import { exhaustionChecks } from "./doctor-ipam.ts";
import { cpuCheck, driverCheck, forwardingCheck, netfilterChecks } from "./doctor-kernel.ts";
import { runtimeEnvChecks } from "./doctor-runtime-env.ts";
import { staleChecks } from "./doctor-stale.ts";
import { BINARY_NAME } from "./install.ts";
import { jsonDocument } from "./json.ts";
import { binDirs, cacheDir as resolveCacheDir, confDir as resolveConfDir, type Env } from "./options.ts";
import { validateScans } from "./validate.ts";

export type { Check } from "./doctor-check.ts";

export interface DoctorOptions {
  confDir?: string;
  binDir?: string;
  cacheDir?: string;
  netnsDir?: string;
  json: boolean;
  env: Env;
  /** The plugin names the binary answers to: each must be linked in the bin dir. */
  pluginNames: readonly string[];
  /** The registry's entries, by plugin type. */
  registry: PluginLookup;
  out: (text: string) => void;
  /** Injected by tests. */
  readFirewall?: () => Promise<FirewallSnapshot>;
  /** Injected by tests: where /proc is (CPU flags and runtime processes they cannot create). */
  proc?: ProcRoot;
}

/** Each backend's tool, and the backend bridge ipMasq and portmap pick when their config names none. */
async function firewallToolChecks(): Promise<Check[]> {
  const all = await allBackends();
  const found = all.map((b) => ({ b, version: b.version() }));
  const checks = found.map(({ b, version }) =>
    version === undefined ? warning(b.tool, `${b.tool}: not found`, `apt-get install ${b.install.package} (needed by ${b.install.neededBy})`) : ok(b.tool, version),
  );
  const usable = found.filter((f) => f.version !== undefined).map((f) => f.b);
  const [first, chosen] = [found[0]?.b, usable[0]];
  if (first === undefined || chosen === undefined) {
    const tools = found.map((f) => f.b.tool).join(" nor ");
    checks.push(error("firewall-tool", `neither ${tools}: ipMasq and portmap cannot work`, `apt-get install ${first?.install.package ?? "iptables"}`));
  } else {
    const others = all.filter((b) => b !== chosen).map((b) => b.name).join(", ");
    const skipped = all.slice(0, all.indexOf(chosen)).map((b) => b.name).join(", ");
    checks.push(ok("firewall-backend", chosen === first ? `backend: ${chosen.name} (${others} only where configured)` : `backend: ${chosen.name} (${skipped} is not usable here)`));
  }
  return checks;
}

async function configChecks(confDir: string, plugins: PluginLookup): Promise<Check[]> {
  const fix = `tscni validate --conf-dir ${confDir}`;
  if (!existsSync(confDir)) return [error("config", `conf dir ${confDir} does not exist`, `create it and install a network (tscni install --conf-dir ${confDir} --default-network CIDR)`)];
  // The dir named, so cross-file findings say where ("defined 2 times in /etc/cni/net.d").
  const report = await validateScans([{ dir: confDir, files: scanConfDir(confDir) }], plugins);
  if (report.files.length === 0) return [error("config", `no network configuration in ${confDir}`, `tscni install --conf-dir ${confDir} --default-network CIDR`)];
  return report.files.map((file) => {
    const why = [...file.errors, ...file.plugins.flatMap((p) => p.problems.map((m) => `plugins[${p.index}] ${p.type}: ${m}`))];
    if (file.role === "broken") return error("config", `${file.file}: cannot be loaded: ${why.join("; ")}`, fix);
    const name = `${file.file}: network ${JSON.stringify(file.network)}`;
    if (why.length > 0) return error("config", `${name}: ${why.join("; ")}`, fix);
    // A shadowed file is reported once, by the cross-file duplicate-name finding.
    return ok("config", name);
  }).concat(report.crossFile.map((c) => (c.level === "error" ? error : warning)(`config-${c.id}`, c.message, fix)));
}

export async function diagnose(o: DoctorOptions): Promise<Check[]> {
  const proc = o.proc ?? { proc: "/proc" };
  const confDir = resolveConfDir(o.confDir, o.env);
  const cacheDir = resolveCacheDir(o.cacheDir, o.env);
  const bins = binDirs(o.binDir, o.env);
  const lists = existsSync(confDir) ? scanConfDir(confDir).flatMap((s) => (s.list ? [s.list] : [])) : [];
  const unique = lists.filter((l, i) => lists.findIndex((m) => m.name === l.name) === i);
  const installed = await installedTscni(bins);
  const snapshot = await (o.readFirewall ?? readFirewall)();
  const cached = cachedAttachments(cacheDir);
  const described = await describeLists(unique, o.registry);
  const defaults = await Promise.all(o.pluginNames.map(async (n) => (await (await o.registry(n))?.describe({})) ?? NOTHING));
  return [
    ...netfilterChecks(proc),
    forwardingCheck(proc),
    ...[...new Set(defaults.flatMap((d) => d.drivers ?? []))].map((driver) => driverCheck(proc, driver, release())),
    cpuCheck(proc, process.arch, installed.probe),
    ...(await firewallToolChecks()),
    ...installed.checks,
    ...binDirChecks(bins, o.pluginNames, BINARY_NAME),
    ...(await configChecks(confDir, o.registry)),
    ...(existsSync(confDir) ? chainModeChecks(confDir, o.pluginNames) : []),
    ...pluginChecks(lists.flatMap((l) => l.plugins.map((p) => p.type)), bins, o.pluginNames),
    ...linkChecks(hostDevices(described.values(), defaults)),
    ...duplicateChecks(snapshot),
    ...staleChecks(unique, described, cached, cacheDir, snapshot, o.netnsDir ?? "/run/netns"),
    ...exhaustionChecks(described),
    ...runtimeEnvChecks(proc),
    ...agentChecks(o.env),
  ];
}

export function renderChecks(checks: readonly Check[]): string {
  const lines: string[] = [];
  for (const c of checks) {
    if (c.severity === "ok") continue;
    lines.push(`[${c.severity === "error" ? "ERROR" : "WARNING"} ${c.id}]: ${c.detail}`, `\tfix: ${c.fix}`);
  }
  const errors = checks.filter((c) => c.severity === "error").length;
  const warnings = checks.filter((c) => c.severity === "warning").length;
  lines.push(
    errors + warnings === 0
      ? `all ${checks.length} checks passed`
      : `${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"} in ${checks.length} checks (tscni doctor --json lists every check)`,
  );
  return `${lines.join("\n")}\n`;
}

export async function doctorCommand(o: DoctorOptions): Promise<number> {
  const checks = await diagnose(o);
  const failed = checks.some((c) => c.severity === "error");
  o.out(o.json ? jsonDocument({ ok: !failed, checks }) : renderChecks(checks));
  return failed ? 1 : 0;
}
