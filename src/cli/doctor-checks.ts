/**
 * The `tscni doctor` checks that look at state a runtime leaves behind: duplicated jump rules, a
 * bridge name taken by another kind of device, and bin dirs where tscni's plugin names are held by
 * something else. All read-only.
 */
import { lstatSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import type { PluginDescription } from "../container/index.ts";
import { type FirewallSnapshot, snapshotDuplicates, snapshotForeign, snapshotProblems } from "../firewall/index.ts";
import { Rtnl } from "../netlink/index.ts";
import { type Check, error, ok, warning } from "./doctor-check.ts";

/** Repeated jumps into CNI chains (an ADD that ran twice, or two implementations racing), and foreign objects in ours. */
export function duplicateChecks(snap: FirewallSnapshot): Check[] {
  const f: Check[] = snapshotProblems(snap).map((p) => warning("firewall-read", `could not read the firewall: ${p}`, "run tscni doctor as root; check that iptables-save / nft work"));
  for (const d of snapshotDuplicates(snap)) {
    f.push(warning("duplicate-rule", `duplicate rule in ${d.where} ${d.chain} (${d.count}×): ${d.rule}`, d.fix));
  }
  // Not ours, so never deleted or rewritten by tscni: the operator decides.
  for (const what of snapshotForeign(snap)) f.push(warning("firewall-foreign", what, "tscni leaves it alone; remove it, or move it out of the CNI chains and tables"));
  if (f.length === 0) f.push(ok("duplicate-rule", "no repeated jump into a CNI chain"));
  return f;
}

/**
 * Host devices a plugin would attach to: the configured networks' (each description) and each
 * tscni plugin's default (its description of an empty config), by name.
 */
export function hostDevices(configured: Iterable<PluginDescription>, defaults: Iterable<PluginDescription>): Map<string, { kind: string; configured: boolean }> {
  const out = new Map<string, { kind: string; configured: boolean }>();
  for (const d of defaults) for (const x of d.devices) out.set(x.name, { kind: x.kind, configured: false });
  for (const d of configured) for (const x of d.devices) out.set(x.name, { kind: x.kind, configured: true });
  return out;
}

/** A host device name held by a device of another kind makes every ADD fail (defaults: only would). */
export function linkChecks(devices: ReadonlyMap<string, { kind: string; configured: boolean }>): Check[] {
  const f: Check[] = [];
  try {
    using nl = Rtnl.open();
    for (const name of [...devices.keys()].sort()) {
      const want = devices.get(name)!;
      const link = nl.linkFind(name);
      if (link === undefined) continue;
      if (link.kind === want.kind) {
        f.push(ok(`${want.kind}-link`, `${name}: ${want.kind}`));
        continue;
      }
      const detail = `${name} is a ${link.kind ?? "device without a link kind"}, not a ${want.kind}${want.configured ? `: ${want.kind} ADD will fail` : `: a ${want.kind} network named so would fail`}`;
      const fix = `ip link delete ${name} (if nothing uses it), or name another ${want.kind} in the network config`;
      f.push(want.configured ? error(`${want.kind}-link`, detail, fix) : warning(`${want.kind}-link`, detail, fix));
    }
  } catch (e) {
    f.push(warning("bridge-link", `could not list links: ${(e as Error).message}`, "run tscni doctor as root"));
  }
  return f;
}

/** Whether `path` is tscni's binary in `dir`: a link to it, or the same file. */
function isTscni(path: string, dir: string, binary: string): boolean {
  try {
    if (lstatSync(path).isSymbolicLink() && readlinkSync(path) === binary) return true;
    const a = statSync(path);
    const b = statSync(join(dir, binary));
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}

/** In a dir tscni is installed in, plugin names held by another program mean a mixed install. */
export function binDirChecks(dirs: readonly string[], plugins: readonly string[], binary: string): Check[] {
  const f: Check[] = [];
  for (const dir of dirs) {
    const self = join(dir, binary);
    let installed = false;
    try {
      installed = statSync(self).isFile();
    } catch {
      // tscni not here
    }
    for (const name of plugins) {
      const p = join(dir, name);
      let st;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      if (st.isSymbolicLink() && readlinkSync(p) === binary && !installed) {
        f.push(error("install", `${p} points at ${binary}, which is missing in ${dir}`, `tscni install --dir ${dir}`));
      } else if (installed && !isTscni(p, dir, binary)) {
        const target = st.isSymbolicLink() ? ` (→ ${readlinkSync(p)})` : "";
        f.push(warning("install", `${p} is not tscni${target}: a mixed install`, `tscni install --dir ${dir} --force (moves the other program aside)`));
      }
    }
  }
  return f;
}
