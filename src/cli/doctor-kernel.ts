/**
 * Kernel preflight: the bridge netfilter hooks (kubeadm refuses a node without them), IP
 * forwarding, the bridge and veth drivers, and the CPU level the binary needs.
 */
import { existsSync, readFileSync } from "node:fs";
import { type Check, error, ok, type ProcRoot, warning } from "./doctor-check.ts";

export function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function bridgeNfCall(p: ProcRoot, family: "iptables" | "ip6tables"): Check {
  const id = `bridge-nf-call-${family}`;
  const key = `net.bridge.bridge-nf-call-${family}`;
  const value = readText(`${p.proc}/sys/net/bridge/bridge-nf-call-${family}`)?.trim();
  if (value === undefined) {
    return error(id, `${key} does not exist: br_netfilter is not loaded, so bridged pod traffic bypasses ${family} (Services break)`, "modprobe br_netfilter && echo br_netfilter > /etc/modules-load.d/k8s.conf");
  }
  if (value !== "1") {
    return error(id, `${key} = ${value}: bridged pod traffic bypasses ${family} (Services break)`, `sysctl -w ${key}=1 && echo ${key}=1 >> /etc/sysctl.d/k8s.conf`);
  }
  return ok(id, `${key} = 1`);
}

export function netfilterChecks(p: ProcRoot): Check[] {
  const loaded = existsSync(`${p.proc}/sys/net/bridge`);
  return [
    loaded
      ? ok("br-netfilter", "br_netfilter is active (net.bridge.* sysctls present)")
      : error("br-netfilter", "br_netfilter is not loaded", "modprobe br_netfilter && echo br_netfilter > /etc/modules-load.d/k8s.conf"),
    bridgeNfCall(p, "iptables"),
    bridgeNfCall(p, "ip6tables"),
  ];
}

export function forwardingCheck(p: ProcRoot): Check {
  const v = readText(`${p.proc}/sys/net/ipv4/ip_forward`)?.trim();
  if (v === "1") return ok("ip-forward", "net.ipv4.ip_forward = 1");
  return warning(
    "ip-forward",
    `net.ipv4.ip_forward = ${v ?? "?"}: pods cannot reach beyond the node until a bridge network with isGateway turns it on at its first ADD`,
    "sysctl -w net.ipv4.ip_forward=1 && echo net.ipv4.ip_forward=1 >> /etc/sysctl.d/k8s.conf",
  );
}

/** Loaded, built in, or loadable on demand (the kernel autoloads link kinds by alias). */
export function driverCheck(p: ProcRoot, name: "bridge" | "veth", release: string): Check {
  const id = `kernel-${name}`;
  const modules = readText(`${p.proc}/modules`);
  if (modules === undefined) return ok(id, `${name}: built in (this kernel has no loadable modules)`);
  if (modules.split("\n").some((l) => l.startsWith(`${name} `))) return ok(id, `${name}: loaded`);
  const lists = `/lib/modules/${release}`;
  const mentions = (file: string): boolean => (readText(`${lists}/${file}`) ?? "").split("\n").some((l) => l.split(":")[0]?.endsWith(`/${name}.ko`) || l.split(":")[0]?.includes(`/${name}.ko.`) === true);
  if (mentions("modules.builtin")) return ok(id, `${name}: built in`);
  if (mentions("modules.dep")) return ok(id, `${name}: not loaded yet, loads on demand at the first ADD`);
  return warning(id, `${name}: not loaded, not built in, and not in ${lists}: ADD will fail`, `install the kernel modules package for ${release}, then modprobe ${name}`);
}

/** How the installed binary answered `version`: "sigill" = it died of an illegal instruction. */
export type InstalledProbe = "ran" | "sigill" | "absent";

/** Bun's default x64 build needs AVX2 (Haswell); without it the binary dies with SIGILL. */
export function cpuCheck(p: ProcRoot, arch: string, installed: InstalledProbe): Check {
  if (arch !== "x64") return ok("cpu-level", `${arch}: no CPU level requirement`);
  const fix = "install the x64-baseline build of tscni";
  if (installed === "sigill") return error("cpu-level", "the installed tscni dies with SIGILL: it is the standard x64 build, which needs AVX2", fix);
  const flags = (readText(`${p.proc}/cpuinfo`) ?? "").split("\n").find((l) => l.startsWith("flags"));
  if (flags === undefined) return warning("cpu-level", "cannot read the CPU flags: cannot tell whether the standard x64 build runs here", fix);
  if (/\bavx2\b/.test(flags)) return ok("cpu-level", "CPU has AVX2: every x64 build runs");
  if (installed === "ran") return ok("cpu-level", "CPU lacks AVX2; the installed tscni runs (x64-baseline build)");
  return warning("cpu-level", "this CPU lacks AVX2: only the x64-baseline build of tscni runs here", fix);
}
