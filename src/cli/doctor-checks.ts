/**
 * The `tscni doctor` checks that look at kernel state a runtime leaves behind: firewall objects
 * no cache entry owns, duplicated jump rules, a bridge name taken by another kind of device, and
 * bin dirs where tscni's plugin names are held by something else. All read-only.
 */
import { lstatSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { goField } from "../cni/index.ts";
import { attachmentKeys, type FirewallEntry, type FirewallSnapshot, firewallDuplicates, firewallEntries } from "../firewall/index.ts";
import { Rtnl } from "../netlink/index.ts";
import type { CachedAttachment, NetworkList } from "../runtime/index.ts";

export interface Finding {
  check: string;
  level: "ok" | "warn" | "error";
  detail: string;
}

function describe(e: FirewallEntry): string {
  const what = e.backend === "iptables" ? `${e.kind} chain ${e.key} (${e.where})` : `nft ${e.kind} rules ${e.key} (${e.where})`;
  return e.comment !== "" && e.comment !== e.key ? `${what}, comment ${JSON.stringify(e.comment)}` : what;
}

/** Masquerade/portmap objects without a cache entry, and repeated jumps into CNI chains. */
export function firewallFindings(snap: FirewallSnapshot, cached: readonly CachedAttachment[]): Finding[] {
  const f: Finding[] = [];
  for (const p of snap.problems) f.push({ check: "chains", level: "warn", detail: `could not read the firewall: ${p}` });
  const owned = new Set(cached.flatMap((a) => attachmentKeys(a.network, a.containerId, a.ifname)));
  const entries = firewallEntries(snap);
  const stale = entries.filter((e) => !owned.has(e.key));
  for (const e of stale) {
    f.push({ check: "chains", level: "warn", detail: `stale ${describe(e)}: no libcni cache entry owns it (see: tscni gc)` });
  }
  const dups = firewallDuplicates(snap);
  for (const d of dups) {
    f.push({ check: "chains", level: "warn", detail: `duplicate rule in ${d.where} ${d.chain} (${d.count}×): ${d.rule}` });
  }
  if (stale.length === 0 && dups.length === 0 && snap.problems.length === 0) {
    f.push({ check: "chains", level: "ok", detail: `${entries.length} CNI firewall objects, each owned by a cached attachment` });
  }
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
export function linkFindings(configured: ReadonlySet<string>): Finding[] {
  const f: Finding[] = [];
  try {
    using nl = Rtnl.open();
    for (const name of [...new Set(["cni0", ...configured])].sort()) {
      const link = nl.linkFind(name);
      if (link === undefined) continue;
      if (link.kind === "bridge") {
        f.push({ check: "link", level: "ok", detail: `${name}: bridge` });
        continue;
      }
      const used = configured.has(name);
      f.push({
        check: "link",
        level: used ? "error" : "warn",
        detail: `${name} is a ${link.kind ?? "device without a link kind"}, not a bridge${used ? ": bridge ADD will fail" : ": a bridge network named so would fail"}`,
      });
    }
  } catch (e) {
    f.push({ check: "link", level: "warn", detail: `could not list links: ${(e as Error).message}` });
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
export function binDirFindings(dirs: readonly string[], plugins: readonly string[], binary: string): Finding[] {
  const f: Finding[] = [];
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
        f.push({ check: "install", level: "error", detail: `${p} points at ${binary}, which is missing in ${dir}` });
      } else if (installed && !isTscni(p, dir, binary)) {
        const target = st.isSymbolicLink() ? ` (→ ${readlinkSync(p)})` : "";
        f.push({ check: "install", level: "warn", detail: `${p} is not tscni${target}: a mixed install (tscni install --force replaces it)` });
      }
    }
  }
  return f;
}
