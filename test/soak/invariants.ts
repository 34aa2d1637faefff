/**
 * The invariant checker: the host state a plugin can change, as sorted lines, and the difference
 * between two snapshots. Compared: links (name, kind, master), addresses, routes (both families),
 * `iptables-save` and `ip6tables-save` (every table, counters dropped), `nft list ruleset`, the
 * host-local dataDir (reservation files and their content) and the runtime's result cache.
 * `lock` and `last_reserved_ip.*` are bookkeeping that survives a DEL by design and is left out;
 * so are bridges, their addresses and routes (a bridge outlives its last port in both).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { exec } from "../harness.ts";

export type Snapshot = Record<string, string[]>;

async function lines(argv: string[]): Promise<string[]> {
  const r = await exec(argv);
  return r.code === 0 ? r.stdout.split("\n") : [`(${argv[0]} failed: ${r.stderr.trim()})`];
}

async function json<T>(argv: string[]): Promise<T[]> {
  const r = await exec(argv);
  if (r.code !== 0 || r.stdout.trim() === "") return [];
  return JSON.parse(r.stdout) as T[];
}

interface LinkJson {
  ifname: string;
  master?: string;
  linkinfo?: { info_kind?: string };
}
interface AddrJson {
  ifname: string;
  addr_info: { local: string; prefixlen: number; scope: string }[];
}
interface RouteJson {
  dst: string;
  gateway?: string;
  dev?: string;
}

function files(root: string): string[] {
  const out: string[] = [];
  const visit = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      const st = statSync(path, { throwIfNoEntry: false });
      if (st === undefined) continue;
      if (st.isDirectory()) visit(path);
      else if (name !== "lock" && !name.startsWith("last_reserved_ip.")) {
        const content = st.isFile() ? readFileSync(path, "utf8").replace(/\s+/g, " ") : `(${st.isFIFO() ? "fifo" : "special"})`;
        out.push(`${relative(root, path)} ${content}`);
      }
    }
  };
  visit(root);
  return out;
}

export async function snapshot(dirs: { dataDir: string; cacheDir: string }): Promise<Snapshot> {
  const links = await json<LinkJson>(["ip", "-j", "-d", "link", "show"]);
  const addrs = await json<AddrJson>(["ip", "-j", "addr", "show"]);
  const routes = [...(await json<RouteJson>(["ip", "-j", "-4", "route", "show"])), ...(await json<RouteJson>(["ip", "-j", "-6", "route", "show"]))];
  const firewall = (text: string[]) => text.filter((l) => l !== "" && !l.startsWith("#")).map((l) => l.replace(/ \[\d+:\d+\]$/, ""));
  // Bridges (with their gateway addresses and subnet routes) stay after the last DEL by design,
  // in both implementations: they are not attachment state.
  const bridges = new Set(links.filter((l) => l.linkinfo?.info_kind === "bridge").map((l) => l.ifname));
  const snap: Snapshot = {
    links: links.filter((l) => !bridges.has(l.ifname)).map((l) => `${l.ifname} ${l.linkinfo?.info_kind ?? "-"} ${l.master ?? "-"}`),
    addrs: addrs
      .filter((a) => !bridges.has(a.ifname))
      .flatMap((a) => a.addr_info.filter((i) => i.scope !== "link").map((i) => `${a.ifname} ${i.local}/${i.prefixlen}`)),
    routes: routes.filter((r) => !bridges.has(r.dev ?? "")).map((r) => `${r.dst} ${r.gateway ?? "-"} ${r.dev ?? "-"}`),
    iptables: firewall(await lines(["iptables-save"])),
    ip6tables: firewall(await lines(["ip6tables-save"])),
    nft: (await lines(["nft", "list", "ruleset"])).filter((l) => l.trim() !== "").map((l) => l.replace(/counter packets \d+ bytes \d+/, "counter")),
    dataDir: files(dirs.dataDir),
    cache: files(dirs.cacheDir).map((l) => l.split(" ")[0] ?? ""),
  };
  for (const k of Object.keys(snap)) snap[k]?.sort();
  return snap;
}

/** `+ kind: line` for what appeared, `- kind: line` for what vanished; empty when equal. */
export function diff(before: Snapshot, after: Snapshot): string[] {
  const out: string[] = [];
  for (const kind of Object.keys(before)) {
    const a = before[kind] ?? [];
    const b = after[kind] ?? [];
    const count = (xs: string[]) => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());
    const ca = count(a);
    const cb = count(b);
    for (const [x, n] of cb) for (let i = ca.get(x) ?? 0; i < n; i++) out.push(`+ ${kind}: ${x}`);
    for (const [x, n] of ca) for (let i = cb.get(x) ?? 0; i < n; i++) out.push(`- ${kind}: ${x}`);
  }
  return out;
}

/** Only what appeared: a failed call is judged by what it added (a container netns torn down
 * meanwhile may take an earlier case's leftovers away at any moment). */
export function added(before: Snapshot, after: Snapshot): string[] {
  return diff(before, after).filter((l) => l.startsWith("+ "));
}
