/**
 * Every transform applied before comparing tscni's output with the reference's. Each one names
 * the reason; nothing else is ever rewritten, so a wrong address, gateway, route or chain still
 * shows up as a difference (test/unit/differential/normalize.test.ts proves that).
 *
 *  1. v1.1.1-vs-v1.9: VERSION. Debian's v1.1.1 says {"cniVersion":"1.0.0"} and lists versions up to
 *     1.0.0; v1.9 (our target) says 1.1.0 and lists 1.1.0 too. → replaced by the v1.9 document.
 *  2. v1.1.1-vs-v1.9: 1.x result key order. v1.1.1 prints struct order, v1.9 sorted keys. → results
 *     are compared as parsed JSON (order-free); tscni's exact bytes are pinned by golden tests.
 *  3. v1.1.1-vs-v1.9: empty dns. v1.1.1 always prints "dns": {} in 1.x-shaped results; v1.9 omits
 *     it. → an empty dns object is dropped from 1.x-shaped results: those labelled 1.x, and
 *     loopback's 1.x-style output labelled with a 0.x version (no ip4/ip6, no `version` in ips).
 *  5. v1.1.1-vs-v1.9: the supported-version list in "incompatible CNI versions" details ends at
 *     1.0.0 in v1.1.1 and at 1.1.0 in v1.9. → the v1.9 list is substituted. Likewise the 1.x
 *     family in "result type supports [1.0.0]" (prevResult family errors) → "[1.0.0 1.1.0]".
 *  4. Kernel-assigned values: MAC addresses and random host-side veth names differ per run.
 *     → "MAC" and "VETH" placeholders (only when the caller asks: bridge results).
 *
 * Bridge (test/differential/bridge*.test.ts) — `BridgeNames` replaces 4 for a whole scenario, and
 * `normalizeBridgeState` applies 6–12 to the kernel/firewall snapshot:
 *  4b. Random names, numbered instead of blanked: within one scenario, each random MAC becomes
 *     MAC1, MAC2, … and each `veth<8 hex>` becomes VETH1, VETH2, … in order of first appearance
 *     (results first, then the state read after the same step). So a result that reports the
 *     bridge's old MAC, or a DEL that removes another container's veth, still differs. MACs the
 *     test chose (config, CNI_ARGS) and fixed ones (00:…, ff:…, 01:80:c2:…) stay literal.
 *  5b. Scenario paths: each container netns path (/proc/<pid>/ns/net) → @NETNS<n>@, and the
 *     CNI_PATH each implementation was given → @CNI_PATH@ ("failed to find plugin … in path
 *     [...]"): the reference is given /usr/lib/cni, tscni its dist/ (so host-local runs in-process).
 *  6. Volatile link fields (`ip -j -d link`): ifindex, link_index and the netns id (allocated by
 *     the kernel on first use, only its presence is kept), every `*_timer` (bridge and port
 *     timers tick), and bridge_id/root_id (the bridge MAC again, unpadded).
 *  7. Addresses (`ip -j addr`): lifetimes of static addresses are constant but dropped with the
 *     rest of the per-address noise; `tentative` is dropped (IPv6 DAD is still running at
 *     snapshot time, a matter of milliseconds). IPv6 link-local addresses are EUI-64 of the
 *     link's MAC → `fe80::eui64(MACn)` (same numbering as 4b), others → `fe80::LL`.
 *  8. Routes: only the main table (local-table IPv6 routes appear when DAD ends). Sorted, since
 *     the dump order of same-prefix routes follows random link-local addresses. The `linkdown`
 *     route flag is dropped: it mirrors the device's carrier, which the link snapshot shows, and
 *     the kernel updates it asynchronously (linkwatch) when a bridge loses or gains its last port.
 *  9. `iptables-save`/`ip6tables-save -t nat`: comment lines (timestamps) dropped, counters
 *     zeroed; chain declarations sorted and `-A` lines grouped by chain in name order (iptables-nft
 *     lists user chains in creation order, which a runtime cannot observe); the order of rules
 *     within a chain is kept.
 * 10. `nft -j list ruleset`: metainfo, handles and counter values dropped; objects sorted by
 *     family/table/chain/name, rules kept in chain order.
 * 11. Sysctls: read for every interface; values compared as is (names renamed by 4b).
 * 12. v1.1.1-vs-v1.9 (bridge): applied to the reference's side only (`v111: true`), each turning
 *     what v1.1.1 does into what v1.9 does (checklist section in brackets):
 *     a. ADD with CNI_IFNAME already in the netns: v1.1.1 says `container veth name provided (eth0)
 *        already exists`, v1.9 `container veth name ("eth0") peer provided ("veth…") already
 *        exists` (§2.1.2 step 4). The random peer name in it is never created → `VETH?` (both).
 *     b. hairpin + promisc: v1.1.1 ends the message with ".", v1.9 does not (§2.1.1).
 *     c. CHECK of an IPAM route without gw: v1.1.1 also filters on the (nil) gateway and fails
 *        with `Expected Route {… GW:<nil>} not found in routing table`; v1.9 matches on dst only
 *        (§2.1.9 step 11). Applied only to CHECK steps right after a successful ADD (the route is
 *        there), which the test marks.
 *     d. keep_addr_on_down: v1.9 sets net/ipv6/conf/<if>/keep_addr_on_down=1 in the container
 *        before the first IPv6 address (§2.1.5); v1.1.1 does not → set to 1 for container
 *        interfaces that carry a global IPv6 address.
 *     e. veth txqlen: v1.1.1 creates both veth ends with IFLA_TXQLEN 0 (a zero LinkAttrs); v1.9
 *        sends none, so the kernel default (1000) applies (pkg/ip makeVethPair) → veth links
 *        without a txqlen get 1000.
 *     Keys v1.1.1 does not know (disableContainerInterface, vlanTrunk, portIsolation,
 *     ipMasqBackend) are not compared here; bridge-golden.test.ts checks them against v1.9
 *     fixtures. The reference's leaked veth after a failed ADD (Appendix B 11, fixed by tscni) is
 *     removed by the test before the state is read (bridge.test.ts, `play`).
 *
 * host-local (test/differential/host-local*.test.ts), applied to the reference's side:
 *  N1. 1.0.0 results: v1.1.1 prints Go struct order and always `"dns": {}`; v1.9 sorts keys and
 *      omits empty dns (checklist §0.2, §1.8). The reference's output is re-serialised that way.
 *  N2. File modes: v1.1.1 creates `<ip>` and `last_reserved_ip.N` 0644; v1.9 uses 0600 (§2.2.6).
 *      tscni must write 0600; the reference may show 0644 or 0600.
 *  N3. The leftover list of "failed to allocate all requested IPs:" comes from a Go map (random
 *      order): only the prefix is compared when more than one IP is left.
 *  N4. Go json type-mismatch texts ("json: cannot unmarshal …") are compared by code only; tscni
 *      names the JSON path in its own words (docs/compatibility.md). JSON syntax errors (code 6)
 *      are compared exactly: the dispatcher reproduces Go's wording.
 *  N5. Version errors (code 1): v1.1.1's details list ends at 1.0.0, v1.9's at 1.1.0 (§0.2); the
 *      message is compared, the details are not.
 */

import ipaddr from "ipaddr.js";
import { goMarshalIndent } from "../../src/cni/index.ts";
import type { FileState } from "../fixtures/host-local/support.ts";
import type { CniReply } from "../harness.ts";

export const V19_VERSION_DOC = {
  cniVersion: "1.1.0",
  supportedVersions: ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"],
};

export interface NormalizeOptions {
  /** Replace MACs and random veth names (bridge). */
  kernelNames?: boolean;
  /** 4b/5b: numbered MAC/veth placeholders and scenario paths, shared across one scenario. */
  names?: BridgeNames;
  /** 12: this output comes from Debian's v1.1.1 bridge; turn it into v1.9's. */
  v111?: boolean;
  /** 12c: this is a CHECK right after a successful ADD. */
  checkAfterAdd?: boolean;
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isVersionDoc(v: Json): boolean {
  return typeof v === "object" && v !== null && !Array.isArray(v) && "supportedVersions" in v;
}

function isOneXShaped(v: { [k: string]: Json }): boolean {
  if (typeof v.cniVersion === "string" && v.cniVersion.startsWith("1.")) return true;
  if ("ip4" in v || "ip6" in v) return false;
  const ips = Array.isArray(v.ips) ? v.ips : [];
  return ips.every((ip) => typeof ip === "object" && ip !== null && !Array.isArray(ip) && !("version" in ip));
}

const V111_LIST = '["0.1.0" "0.2.0" "0.3.0" "0.3.1" "0.4.0" "1.0.0"]';
const V19_LIST = '["0.1.0" "0.2.0" "0.3.0" "0.3.1" "0.4.0" "1.0.0" "1.1.0"]';

function v19Details(v: { [k: string]: Json }): { [k: string]: Json } {
  const out = { ...v };
  if (typeof out.msg === "string") out.msg = out.msg.replace("result type supports [1.0.0] but", "result type supports [1.0.0 1.1.0] but");
  if (out.msg === "incompatible CNI versions" && typeof out.details === "string") out.details = out.details.replace(V111_LIST, V19_LIST);
  return out;
}

function dropEmptyDns(v: { [k: string]: Json }): { [k: string]: Json } {
  const dns = v.dns;
  if (isOneXShaped(v) && typeof dns === "object" && dns !== null && !Array.isArray(dns)) {
    const empty = Object.values(dns).every((x) => x === "" || (Array.isArray(x) && x.length === 0));
    if (empty) {
      const { dns: _dns, ...rest } = v;
      return rest;
    }
  }
  return v;
}

function replaceKernelNames(text: string): string {
  return text.replace(/\b([0-9a-f]{2}:){5}[0-9a-f]{2}\b/gi, "MAC").replace(/\bveth[0-9a-f]{8}\b/g, "VETH");
}

/** Normalises one stdout document (result, error or VERSION) for comparison. */
export function normalizeOutput(stdout: string, opts: NormalizeOptions = {}): Json | string {
  let parsed: Json;
  let text = opts.kernelNames ? replaceKernelNames(stdout) : stdout;
  if (opts.names !== undefined) text = opts.names.text(text);
  try {
    parsed = JSON.parse(text) as Json;
  } catch {
    return stdout;
  }
  if (isVersionDoc(parsed)) return V19_VERSION_DOC;
  if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
    if (opts.v111) {
      const up = bridgeV111ToV19(parsed, opts.checkAfterAdd === true);
      if (up === "") return "";
      parsed = up;
    }
    return v19Details(dropEmptyDns(parsed));
  }
  return parsed;
}

/** 12a–c. Returns "" when v1.9 would have succeeded silently (12c). */
function bridgeV111ToV19(doc: { [k: string]: Json }, checkAfterAdd: boolean): { [k: string]: Json } | "" {
  if (typeof doc.msg !== "string") return doc;
  const exists = /^container veth name provided \((.*)\) already exists$/.exec(doc.msg);
  if (exists) return { ...doc, msg: `container veth name ("${exists[1]}") peer provided ("VETH?") already exists` };
  if (doc.msg === "cannot set hairpin mode and promiscuous mode at the same time.") return { ...doc, msg: doc.msg.slice(0, -1) };
  if (checkAfterAdd && /^Expected Route \{Dst:\{IP:\S+ Mask:[0-9a-f]+\} GW:<nil>\} not found in routing table$/.test(doc.msg)) return "";
  return doc;
}

// ---------------------------------------------------------------------------------------------
// Bridge: 4b, 5b, 6–12.

const MAC_RE = /\b(?:[0-9a-f]{2}:){5}[0-9a-f]{2}\b/gi;
const VETH_RE = /\bveth[0-9a-f]{8}\b/g;
const FIXED_MAC = /^(00:00:00:00:00:00|ff:ff:ff:ff:ff:ff|01:80:c2:00:00:[0-9a-f]{2}|33:33:.*|01:00:5e:.*)$/i;

/** 4b/5b: one per scenario run; the same instance must see results and state in step order. */
export class BridgeNames {
  private readonly macs = new Map<string, string>();
  private readonly veths = new Map<string, string>();
  private readonly keep = new Set<string>();
  private readonly paths: [string, string][] = [];

  /** MACs the test chose itself stay literal. */
  keepMac(mac: string): void {
    this.keep.add(mac.toLowerCase());
  }

  /** A literal path (netns, CNI_PATH) replaced by a placeholder wherever it appears. */
  path(literal: string, placeholder: string): void {
    this.paths.push([literal, placeholder]);
    this.paths.sort((a, b) => b[0].length - a[0].length);
  }

  mac(m: string): string {
    const k = m.toLowerCase();
    if (this.keep.has(k) || FIXED_MAC.test(k)) return k;
    let v = this.macs.get(k);
    if (v === undefined) this.macs.set(k, (v = `MAC${this.macs.size + 1}`));
    return v;
  }

  veth(name: string): string {
    let v = this.veths.get(name);
    if (v === undefined) this.veths.set(name, (v = `VETH${this.veths.size + 1}`));
    return v;
  }

  /** Applies 4b and 5b to any text (a result, an error, iptables-save output). */
  text(t: string): string {
    let out = t;
    for (const [lit, ph] of this.paths) out = out.replaceAll(lit, ph);
    out = out.replace(/(peer provided \(\\?")veth[0-9a-f]{8}(\\?"\))/g, "$1VETH?$2");
    return out.replace(MAC_RE, (m) => this.mac(m)).replace(VETH_RE, (m) => this.veth(m));
  }

  /** 7: an IPv6 link-local address as the MAC it was derived from (EUI-64), else fe80::LL. */
  linkLocal(addr: string): string {
    let bytes: number[];
    try {
      bytes = ipaddr.IPv6.parse(addr).toByteArray();
    } catch {
      return addr;
    }
    if (bytes[0] !== 0xfe || ((bytes[1] ?? 0) & 0xc0) !== 0x80) return addr;
    const iid = bytes.slice(8);
    if (iid[3] !== 0xff || iid[4] !== 0xfe) return "fe80::LL";
    const mac = [(iid[0] ?? 0) ^ 0x02, iid[1], iid[2], iid[5], iid[6], iid[7]]
      .map((b) => (b ?? 0).toString(16).padStart(2, "0"))
      .join(":");
    return `fe80::eui64(${this.mac(mac)})`;
  }
}

export interface NetnsSnapshot {
  /** `ip -j -d link show` */
  links: Json;
  /** `ip -j addr show` */
  addrs: Json;
  /** `ip -j -d route show` and `ip -j -d -6 route show` (main table) */
  routes: Json;
  /** path:value lines of the sysctls listed in checklist §4 */
  sysctls: string;
  /** `iptables-save -t nat` + `ip6tables-save -t nat` (host only) */
  iptables?: string;
  /** `nft -j list ruleset` (host only) */
  nft?: Json;
}

const VOLATILE_LINK_KEYS = new Set(["ifindex", "link_index", "bridge_id", "root_id"]);

function isObj(v: Json | undefined): v is { [k: string]: Json } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** 6: drops volatile keys at any depth; the netns id keeps only its presence. */
function stripLink(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripLink);
  if (!isObj(v)) return v;
  const out: { [k: string]: Json } = {};
  for (const [k, x] of Object.entries(v)) {
    if (VOLATILE_LINK_KEYS.has(k) || k.endsWith("_timer")) continue;
    out[k] = k === "link_netnsid" ? "NSID" : stripLink(x);
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
  // Name veths (4b) in ifindex order before sorting, so a leftover veth gets a stable number.
  const renamed = list.map((l) => JSON.parse(names.text(JSON.stringify(stripLink(l)))) as Json);
  return renamed.sort((a, b) => ifname(a).localeCompare(ifname(b)));
}

function addrsOf(addrs: Json, names: BridgeNames): Json {
  const out: { [k: string]: Json } = {};
  for (const l of Array.isArray(addrs) ? addrs : []) {
    if (!isObj(l)) continue;
    const info = Array.isArray(l.addr_info) ? l.addr_info : [];
    const rendered = info.filter(isObj).map((a) => {
      const { valid_life_time: _v, preferred_life_time: _p, tentative: _t, ...rest } = a;
      const local = typeof rest.local === "string" && rest.local.startsWith("fe80:") ? names.linkLocal(rest.local) : rest.local;
      return JSON.parse(names.text(JSON.stringify({ ...rest, local: local ?? null }))) as Json;
    });
    out[names.text(ifname(l))] = rendered.sort(byJson);
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

function routesOf(routes: Json, names: BridgeNames): Json {
  const list = Array.isArray(routes) ? routes : [];
  const noLinkdown = (r: Json): Json =>
    isObj(r) && Array.isArray(r.flags) ? { ...r, flags: r.flags.filter((f) => f !== "linkdown") } : r;
  return list.map((r) => JSON.parse(names.text(JSON.stringify(noLinkdown(r)))) as Json).sort(byJson);
}

/** 11: `path:value` lines → sorted `key=value` with interface names renamed. */
function sysctlsOf(text: string, names: BridgeNames): string[] {
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => names.text(l.replace(/^\/proc\/sys\//, "").replace(/:(?=[^:]*$)/, "=")))
    .sort();
}

/** 9: iptables-save text, as documented at the top. */
export function normalizeIptablesSave(text: string, names: BridgeNames): string[] {
  const out: string[] = [];
  let decls: string[] = [];
  let rules = new Map<string, string[]>();
  const flush = (): void => {
    out.push(...decls.sort());
    for (const chain of [...rules.keys()].sort()) out.push(...(rules.get(chain) ?? []));
    decls = [];
    rules = new Map();
  };
  for (const raw of text.split("\n")) {
    if (raw === "" || raw.startsWith("#")) continue;
    const line = names.text(raw.replace(/\[\d+:\d+\]$/, "[0:0]"));
    if (line.startsWith(":")) decls.push(line);
    else if (line.startsWith("-A ")) {
      const chain = line.split(" ")[1] ?? "";
      rules.set(chain, [...(rules.get(chain) ?? []), line]);
    } else {
      if (line === "COMMIT") flush();
      out.push(line);
    }
  }
  flush();
  return out;
}

function stripNft(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripNft);
  if (!isObj(v)) return v;
  const out: { [k: string]: Json } = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === "handle") continue;
    out[k] = k === "counter" && isObj(x) ? { packets: 0, bytes: 0 } : stripNft(x);
  }
  return out;
}

/** 10: `nft -j list ruleset` as documented at the top. */
export function normalizeNftRuleset(doc: Json, names: BridgeNames): Json {
  const items = isObj(doc) && Array.isArray(doc.nftables) ? doc.nftables : [];
  const seen = new Map<string, number>();
  const keyed: [string, Json][] = [];
  for (const item of items) {
    if (!isObj(item) || "metainfo" in item) continue;
    const [kind, body] = Object.entries(item)[0] ?? ["", null];
    if (!isObj(body)) continue;
    const s = (k: string): string => (typeof body[k] === "string" ? (body[k] as string) : "");
    let key: string;
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

/** 12d: keep_addr_on_down=1 on container interfaces with a global IPv6 address (v1.9). */
function v111ContainerSysctls(s: NetnsSnapshot): string {
  const withV6 = new Set<string>();
  for (const l of Array.isArray(s.addrs) ? s.addrs : []) {
    if (!isObj(l) || !Array.isArray(l.addr_info)) continue;
    if (l.addr_info.some((a) => isObj(a) && a.family === "inet6" && a.scope === "global")) withV6.add(ifname(l));
  }
  return s.sysctls
    .split("\n")
    .map((line) => {
      const m = /^\/proc\/sys\/net\/ipv6\/conf\/([^/]+)\/keep_addr_on_down:/.exec(line);
      return m && withV6.has(m[1] ?? "") ? line.replace(/:[^:]*$/, ":1") : line;
    })
    .join("\n");
}

/** 12e: veths made by v1.1.1 have txqlen 0 (not shown by ip); v1.9's have the kernel default. */
function v111Txqlen(links: Json): Json {
  if (!Array.isArray(links)) return links;
  return links.map((l) => {
    if (!isObj(l) || !isObj(l.linkinfo) || l.linkinfo.info_kind !== "veth" || "txqlen" in l) return l;
    return { ...l, txqlen: 1000 };
  });
}

/**
 * 6–11 over one namespace's snapshot; `v111`: configured by Debian's v1.1.1 (12d in a container,
 * 12e everywhere).
 */
export function normalizeNetnsSnapshot(s: NetnsSnapshot, names: BridgeNames, v111?: "host" | "container"): Json {
  const v111Container = v111 === "container";
  const out: { [k: string]: Json } = {
    links: linksOf(v111 === undefined ? s.links : v111Txqlen(s.links), names),
    addrs: addrsOf(s.addrs, names),
    routes: routesOf(s.routes, names),
    sysctls: sysctlsOf(v111Container ? v111ContainerSysctls(s) : s.sysctls, names),
  };
  if (s.iptables !== undefined) out.iptables = normalizeIptablesSave(s.iptables, names);
  if (s.nft !== undefined) out.nft = normalizeNftRuleset(s.nft, names);
  return out;
}

// host-local (N1–N5)

/** N2: the reference's 0644 data files count as the v1.9 0600. */
export function normaliseModes(s: Record<string, FileState>): Record<string, FileState> {
  return Object.fromEntries(
    Object.entries(s).map(([k, v]) => [k, { ...v, mode: !k.endsWith("/") && !k.endsWith("lock") && v.mode === 0o644 ? 0o600 : v.mode }]),
  );
}

function sortDeep(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(sortDeep);
  if (x === null || typeof x !== "object") return x;
  const o = x as Record<string, unknown>;
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, sortDeep(o[k])]));
}

const isEmptyDns = (d: unknown): boolean =>
  typeof d === "object" && d !== null && Object.values(d).every((v) => v === "" || (Array.isArray(v) && v.length === 0));

/** N1: the reference's 1.x result re-serialised the v1.9 way. Other output is returned as is. */
export function normaliseReferenceStdout(r: CniReply, version: string): string {
  if (r.code !== 0 || !version.startsWith("1.") || r.json === undefined) return r.stdout;
  const doc = { ...(r.json as Record<string, unknown>) };
  if (isEmptyDns(doc.dns)) delete doc.dns;
  return goMarshalIndent(sortDeep(doc));
}

export interface ErrorJson {
  code: number;
  msg: string;
  details?: string;
}

/** Compares two error documents under N3/N4; returns a description of the mismatch or "". */
export function errorMismatch(ref: ErrorJson, ours: ErrorJson): string {
  if (ref.code !== ours.code) return `code ${ref.code} vs ${ours.code}`;
  if (ref.msg.startsWith("json: cannot unmarshal")) return "";
  if (ref.code === 1) return ref.msg === ours.msg ? "" : `msg ${ref.msg} vs ${ours.msg}`;
  const leftover = "failed to allocate all requested IPs:";
  if (ref.msg.startsWith(leftover) && ref.msg.split(" ").length > 6) {
    return ours.msg.startsWith(leftover) && ours.msg.length === ref.msg.length ? "" : `msg ${ref.msg} vs ${ours.msg}`;
  }
  if (ref.msg !== ours.msg) return `msg ${JSON.stringify(ref.msg)} vs ${JSON.stringify(ours.msg)}`;
  if ((ref.details ?? "") !== (ours.details ?? "")) return `details ${ref.details} vs ${ours.details}`;
  return "";
}
