/**
 * Every transform applied before comparing tscni's output with a live oracle's (v1.9.1 first,
 * Debian's v1.1.1 in swap tests). Each one names the reason; nothing else is ever rewritten, so a
 * wrong address, gateway, route or chain still shows up as a difference
 * (test/unit/differential/normalize.test.ts proves that). Results, errors and VERSION documents
 * are compared as text, so key order and field presence count.
 *
 *  1. About text (no CNI_COMMAND, on stderr): the first line names the build ("CNI loopback plugin
 *     v1.9.1" vs "CNI loopback plugin tscni v0.1.0 (commit …)"). → the version after "plugin" is
 *     replaced by @VERSION@; the protocol-version line is compared as is.
 *  2. Random names, numbered instead of blanked: within one scenario, each random MAC becomes
 *     MAC1, MAC2, … and each `veth<8 hex>` becomes VETH1, VETH2, … in order of first appearance
 *     (results first, then the state read after the same step). So a result that reports the
 *     bridge's old MAC, or a DEL that removes another container's veth, still differs. MACs the
 *     test chose (config, CNI_ARGS) and fixed ones (00:…, ff:…, 01:80:c2:…) stay literal. The
 *     random peer name in "peer provided (\"veth…\") already exists" is never created → VETH?.
 *  3. Scenario paths: each container netns path (/proc/<pid>/ns/net) → @NETNS<n>@, and the
 *     CNI_PATH each implementation was given → @CNI_PATH@ ("failed to find plugin … in path
 *     [...]"): the oracle is given its own directory, tscni its dist/ (host-local in-process).
 *  4. Volatile link fields (`ip -j -d link`): ifindex and the netns id (allocated by the kernel
 *     on first use, only its presence is kept), every `*_timer` (bridge and port timers tick), and
 *     bridge_id/root_id (the bridge MAC again, unpadded). link_index becomes `peer`, the name of
 *     the link it points at as "<netns>/<ifname>" (host, ctr0, …; a veth's peer is the link in
 *     another snapshot that points back), so veth peer pairing is compared by name. operstate
 *     LOWERLAYERDOWN counts as DOWN: the kernel's linkwatch moves a port whose peer is down from
 *     DOWN to LOWERLAYERDOWN up to a second later (the flags, NO-CARRIER included, stay compared).
 *  5. Addresses (`ip -j addr`): a lifetime is "forever" or "finite ~<minutes>" (a finite one
 *     counts down between the snapshots). `dadfailed` is kept everywhere, `tentative` on a
 *     container's global addresses (the plugin owns their DAD: off, or waited for); it is dropped
 *     in the host netns and on link-local addresses, whose DAD the kernel runs on its own clock
 *     once the link has carrier (neither implementation waits for it). IPv6 link-local addresses
 *     are EUI-64 of the link's MAC → `fe80::eui64(MACn)` (numbered as 2), others → `fe80::LL`.
 *  6. Routes of every table (`table all`: main, local, any a route's `table` names), sorted (the
 *     dump order of same-prefix routes follows random link-local addresses). Dropped: the
 *     local-table IPv6 routes the kernel adds when the DAD of 5 ends (host: type local and
 *     anycast; container: those of link-local addresses), and the `linkdown` flag, which mirrors
 *     the device's carrier (in the link snapshot) and is updated asynchronously by linkwatch.
 *  7. `iptables-save`/`ip6tables-save`, every table: comment lines (timestamps) dropped, counters
 *     zeroed; chain declarations sorted and `-A` lines grouped by chain in name order (iptables-nft
 *     lists user chains in creation order, which a runtime cannot observe); rule order within a
 *     chain is kept. A table with no rule and only built-in ACCEPT chains is dropped (as in 8).
 *  8. `nft -j list ruleset`: metainfo, handles and counter values dropped; objects sorted by
 *     family/table/chain/name, rules kept in chain order. A `nat` table with no chain at all is
 *     dropped: v1.9.1 leaves empty `ip nat`/`ip6 nat` tables behind as a side effect of asking
 *     iptables (bridge DEL with the nftables backend, portmap DEL of an IPv4-only pod), tscni
 *     does not; an empty table matches no packet (docs/compatibility.md).
 *  9. Sysctls: every net.ipv4.conf and net.ipv6.conf key of every interface, and ip_forward (a
 *     superset of what v1.9.1's bridge opens: strace -e openat of its ADD/CHECK/DEL shows
 *     ip_forward, ipv6 forwarding, arp_notify, accept_dad, accept_ra, enhanced_dad, disable_ipv6,
 *     keep_addr_on_down; portmap adds route_localnet); values compared as is (names renamed by 2).
 * 10. host-local: the leftover list of "failed to allocate all requested IPs:" comes from a Go map
 *     (random order): the IPs are compared as a sorted set; code and details exactly.
 * 11. Go json type-mismatch texts ("json: cannot unmarshal …") are compared exactly: code, msg and
 *     details (no transform; listed so nobody adds one).
 */

import type { BridgeNames } from "./scenario-names.ts";

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** 1: the build's version in the about text. */
export function normalizeAbout(stderr: string): string {
  return stderr.replace(/^(CNI \S+ plugin) .*$/m, "$1 @VERSION@");
}

/** One stdout document (result, error, VERSION) as text, with 2 and 3 applied when `names` is given. */
export function normalizeOutput(stdout: string, names?: BridgeNames): string {
  return names === undefined ? stdout : names.text(stdout);
}

// ---------------------------------------------------------------------------------------------
// Bridge and kernel state: 2–9 (the renaming of 2, 3 and 5 is BridgeNames, scenario-names.ts).

export interface NetnsSnapshot {
  /** `ip -j -d link show` */
  links: Json;
  /** `ip -j addr show` */
  addrs: Json;
  /** `ip -j -d route show table all` and the same for -6 */
  routes: Json;
  /** path:value lines of every interface's conf sysctls and ip_forward (9) */
  sysctls: string;
  /** `iptables-save` + `ip6tables-save`, every table (host only) */
  iptables?: string;
  /** `nft -j list ruleset` (host only) */
  nft?: Json;
}

const VOLATILE_LINK_KEYS = new Set(["ifindex", "bridge_id", "root_id"]);

function isObj(v: Json | undefined): v is { [k: string]: Json } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** 4: drops volatile keys at any depth; the netns id keeps only its presence. */
function stripLink(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripLink);
  if (!isObj(v)) return v;
  const out: { [k: string]: Json } = {};
  for (const [k, x] of Object.entries(v)) {
    if (VOLATILE_LINK_KEYS.has(k) || k.endsWith("_timer")) continue;
    out[k] = k === "link_netnsid" ? "NSID" : k === "operstate" && x === "LOWERLAYERDOWN" ? "DOWN" : stripLink(x);
  }
  return out;
}

const byJson = (a: Json, b: Json): number => {
  const [x, y] = [JSON.stringify(a), JSON.stringify(b)];
  return x < y ? -1 : x > y ? 1 : 0;
};

const ifname = (l: Json): string => (isObj(l) && typeof l.ifname === "string" ? l.ifname : "");

function linksOf(links: Json, names: BridgeNames): Json {
  const list = Array.isArray(links) ? links : [];
  // Name veths (2) in ifindex order before sorting, so a leftover veth gets a stable number.
  const renamed = list.map((l) => JSON.parse(names.text(JSON.stringify(stripLink(l)))) as Json);
  return renamed.sort((a, b) => ifname(a).localeCompare(ifname(b)));
}

/** 5: forever (Go's and the kernel's 0xffffffff), or finite to the minute. */
function lifetime(v: Json | undefined): Json {
  return typeof v !== "number" ? (v ?? null) : v === 0xffffffff ? "forever" : `finite ~${Math.round(v / 60)} min`;
}

function addrsOf(addrs: Json, names: BridgeNames, role: Role): Json {
  const out: { [k: string]: Json } = {};
  for (const l of Array.isArray(addrs) ? addrs : []) {
    if (!isObj(l)) continue;
    const info = Array.isArray(l.addr_info) ? l.addr_info : [];
    const rendered = info.filter(isObj).map((a) => {
      const { valid_life_time: v, preferred_life_time: p, tentative, ...rest } = a;
      const local = typeof rest.local === "string" && rest.local.startsWith("fe80:") ? names.linkLocal(rest.local) : rest.local;
      const kept = { ...rest, local: local ?? null, valid_life_time: lifetime(v), preferred_life_time: lifetime(p) };
      if (role === "container" && rest.scope !== "link" && tentative !== undefined) Object.assign(kept, { tentative });
      return JSON.parse(names.text(JSON.stringify(kept))) as Json;
    });
    out[names.text(ifname(l))] = rendered.sort(byJson);
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** 6: a local-table IPv6 route that appears when the kernel's own DAD (5) ends. */
function afterKernelDad(r: Json, role: Role): boolean {
  if (!isObj(r) || r.table !== "local" || typeof r.dst !== "string" || !r.dst.includes(":")) return false;
  if (role === "host") return r.type === "local" || r.type === "anycast";
  return r.type === "local" && r.dst.startsWith("fe80:");
}

function routesOf(routes: Json, names: BridgeNames, role: Role): Json {
  const list = (Array.isArray(routes) ? routes : []).filter((r) => !afterKernelDad(r, role));
  const noLinkdown = (r: Json): Json => (isObj(r) && Array.isArray(r.flags) ? { ...r, flags: r.flags.filter((f) => f !== "linkdown") } : r);
  return list.map((r) => JSON.parse(names.text(JSON.stringify(noLinkdown(r)))) as Json).sort(byJson);
}

/** 9: `path:value` lines → sorted `key=value` with interface names renamed. */
function sysctlsOf(text: string, names: BridgeNames): string[] {
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => names.text(l.replace(/^\/proc\/sys\//, "").replace(/:(?=[^:]*$)/, "=")))
    .sort();
}

/** 7: iptables-save text, as documented at the top. */
export function normalizeIptablesSave(text: string, names: BridgeNames): string[] {
  const out: string[] = [];
  let decls: string[] = [];
  let rules = new Map<string, string[]>();
  let table: string[] = [];
  const flush = (): void => {
    const body = [...decls.sort(), ...[...rules.keys()].sort().flatMap((chain) => rules.get(chain) ?? [])];
    const empty = rules.size === 0 && decls.every((d) => / ACCEPT \[0:0\]$/.test(d));
    if (!empty) out.push(...table, ...body, "COMMIT");
    decls = [];
    rules = new Map();
    table = [];
  };
  for (const raw of text.split("\n")) {
    if (raw === "" || raw.startsWith("#")) continue;
    const line = names.text(raw.replace(/\[\d+:\d+\]$/, "[0:0]"));
    if (line.startsWith(":")) decls.push(line);
    else if (line.startsWith("-A ")) {
      const chain = line.split(" ")[1] ?? "";
      rules.set(chain, [...(rules.get(chain) ?? []), line]);
    } else if (line === "COMMIT") flush();
    else table.push(line);
  }
  if (table.length + decls.length + rules.size > 0) flush();
  return out;
}

function stripNft(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripNft);
  if (!isObj(v)) return v;
  const out: { [k: string]: Json } = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === "handle") continue;
    out[k] = k === "counter" && isObj(x) ? { ...(stripNft(x) as object), packets: 0, bytes: 0 } : stripNft(x);
  }
  return out;
}

/** 8: `nft -j list ruleset` as documented at the top. */
export function normalizeNftRuleset(doc: Json, names: BridgeNames): Json {
  const items = isObj(doc) && Array.isArray(doc.nftables) ? doc.nftables : [];
  const tablesWithChains = new Set(
    items.filter((i) => isObj(i) && isObj(i.chain)).map((i) => {
      const c = (i as { chain: { family?: Json; table?: Json } }).chain;
      return `${String(c.family)} ${String(c.table)}`;
    }),
  );
  const seen = new Map<string, number>();
  const keyed: [string, Json][] = [];
  for (const item of items) {
    if (!isObj(item) || "metainfo" in item) continue;
    const [kind, body] = Object.entries(item)[0] ?? ["", null];
    if (!isObj(body)) continue;
    const s = (k: string): string => (typeof body[k] === "string" ? (body[k] as string) : "");
    let key: string;
    if (kind === "table" && s("name") === "nat" && !tablesWithChains.has(`${s("family")} nat`)) continue;
    if (kind === "table") key = `${s("family")} ${s("name")} 0`;
    else if (kind === "rule") {
      const chainKey = `${s("family")} ${s("table")} 2 ${s("chain")}`;
      const n = seen.get(chainKey) ?? 0;
      seen.set(chainKey, n + 1);
      key = `${chainKey} rule ${String(n).padStart(6, "0")}`;
    } else key = `${s("family")} ${s("table")} 1 ${kind} ${s("name")}`;
    keyed.push([key, JSON.parse(names.text(JSON.stringify(stripNft(item)))) as Json]);
  }
  return keyed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
}

/** Which netns a snapshot is of: the host runs its own DAD (5, 6); a container's is the plugin's. */
export type Role = "host" | "container";

/**
 * 4: every link's link_index as `peer` "<label>/<ifname>": in its own netns when it has no
 * link_netnsid, else the link in another snapshot that points back at it ("?" when none does:
 * its netns was not read).
 */
export function pairPeers(snaps: { label: string; links: Json }[]): Json[] {
  const objects = (links: Json): { [k: string]: Json }[] => (Array.isArray(links) ? links.filter(isObj) : []);
  return snaps.map(({ label, links }) =>
    objects(links).map((l) => {
      const { link_index: peerIndex, ...rest } = l;
      if (typeof peerIndex !== "number") return l;
      const where = "link_netnsid" in l ? snaps.filter((o) => o.label !== label) : snaps.filter((o) => o.label === label);
      const found = where.flatMap((o) =>
        objects(o.links)
          .filter((p) => p.ifindex === peerIndex && ("link_netnsid" in l ? p.link_index === l.ifindex : true))
          .map((p) => `${o.label}/${ifname(p)}`),
      );
      return { ...rest, peer: found.length === 1 ? (found[0] ?? "?") : "?" };
    }),
  );
}

/** 4–9 over one namespace's snapshot (its links paired by pairPeers first, when there are peers). */
export function normalizeNetnsSnapshot(s: NetnsSnapshot, names: BridgeNames, role: Role = "container"): Json {
  const out: { [k: string]: Json } = {
    links: linksOf(s.links, names),
    addrs: addrsOf(s.addrs, names, role),
    routes: routesOf(s.routes, names, role),
    sysctls: sysctlsOf(s.sysctls, names),
  };
  if (s.iptables !== undefined) out.iptables = normalizeIptablesSave(s.iptables, names);
  if (s.nft !== undefined) out.nft = normalizeNftRuleset(s.nft, names);
  return out;
}

// host-local (10)

export interface ErrorJson {
  code: number;
  msg: string;
  details?: string;
}

const LEFTOVER = "failed to allocate all requested IPs:";

/** Whether 10 applies to this oracle error (else the whole stdout is compared). */
export function normalisedError(ref: ErrorJson): boolean {
  return ref.msg.startsWith(LEFTOVER);
}

/** 10: the leftover IPs as a sorted set. */
const leftoverSet = (msg: string): string => msg.slice(LEFTOVER.length).trim().split(/\s+/).sort().join(" ");

/** Compares two error documents under 10; returns a description of the mismatch or "". */
export function errorMismatch(ref: ErrorJson, ours: ErrorJson): string {
  if (ref.code !== ours.code) return `code ${ref.code} vs ${ours.code}`;
  const bothLeftover = ref.msg.startsWith(LEFTOVER) && ours.msg.startsWith(LEFTOVER);
  if (bothLeftover ? leftoverSet(ref.msg) !== leftoverSet(ours.msg) : ref.msg !== ours.msg) {
    return `msg ${JSON.stringify(ref.msg)} vs ${JSON.stringify(ours.msg)}`;
  }
  if ((ref.details ?? "") !== (ours.details ?? "")) return `details ${ref.details} vs ${ours.details}`;
  return "";
}
