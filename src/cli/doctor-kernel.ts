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
export function driverCheck(p: ProcRoot, name: string, release: string): Check {
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

/**
 * Every x64 build of tscni (Bun 1.4 ships one x86-64 runtime; the baseline package is an alias)
 * needs SSE4.2 (Nehalem, 2008): it runs on an emulated Nehalem and dies with SIGILL on an emulated
 * Core 2 (test/release/targets.test.ts). AVX2 code is chosen at run time where the CPU has it.
 */
export function cpuCheck(p: ProcRoot, arch: string, installed: InstalledProbe): Check {
  if (arch !== "x64") return ok("cpu-level", `${arch}: no CPU level requirement`);
  const fix = "no x64 build of tscni runs without SSE4.2 (CPUs before 2008): run this node's pods elsewhere";
  if (installed === "sigill") return error("cpu-level", "the installed tscni dies with SIGILL (illegal instruction): this CPU lacks what its build needs", fix);
  const flags = (readText(`${p.proc}/cpuinfo`) ?? "").split("\n").find((l) => l.startsWith("flags"));
  if (flags === undefined) return warning("cpu-level", "cannot read the CPU flags: cannot tell whether tscni's x64 build (SSE4.2) runs here", fix);
  if (/\bsse4_2\b/.test(flags)) return ok("cpu-level", "CPU has SSE4.2: the x64 builds run");
  if (installed === "ran") return ok("cpu-level", "CPU lacks SSE4.2, yet the installed tscni runs");
  return warning("cpu-level", "this CPU lacks SSE4.2: no x64 build of tscni runs here", fix);
}
