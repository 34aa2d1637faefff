/**
 * The `tscni doctor` checks that look at state a runtime leaves behind: duplicated jump rules, a
 * bridge name taken by another kind of device, and bin dirs where tscni's plugin names are held by
 * something else. All read-only.
 */
import { lstatSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { goField } from "../cni/index.ts";
import { type FirewallSnapshot, snapshotDuplicates, snapshotForeign, snapshotProblems } from "../firewall/index.ts";
import { Rtnl } from "../netlink/index.ts";
import type { NetworkList } from "../runtime/index.ts";
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

/** Bridge names of the configured networks (the bridge plugin's default is cni0). */
export function bridgeNames(lists: readonly NetworkList[]): Set<string> {
  const names = new Set<string>();
  for (const l of lists) {
    for (const p of l.plugins) {
      if (p.type !== "bridge") continue;
      const b = goField(p.raw, "bridge");
      names.add(typeof b === "string" && b !== "" ? b : "cni0");
    }
  }
  return names;
}

/** A configured bridge name (or cni0) held by a device that is not a bridge makes every ADD fail. */
export function linkChecks(configured: ReadonlySet<string>): Check[] {
  const f: Check[] = [];
  try {
    using nl = Rtnl.open();
    for (const name of [...new Set(["cni0", ...configured])].sort()) {
      const link = nl.linkFind(name);
      if (link === undefined) continue;
      if (link.kind === "bridge") {
        f.push(ok("bridge-link", `${name}: bridge`));
        continue;
      }
      const used = configured.has(name);
      const detail = `${name} is a ${link.kind ?? "device without a link kind"}, not a bridge${used ? ": bridge ADD will fail" : ": a bridge network named so would fail"}`;
      const fix = `ip link delete ${name} (if nothing uses it), or name another bridge in the network config`;
      f.push(used ? error("bridge-link", detail, fix) : warning("bridge-link", detail, fix));
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
