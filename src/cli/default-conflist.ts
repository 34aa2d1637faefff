/**
 * The default network `tscni install --default-network CIDR…` writes: loopback, then a bridge
 * with host-local addresses from the given CIDRs (v4, v6 or both), then portmap — the shape of
 * containerd's default conflist with loopback chained first. It runs at spec 1.1.0 where the
 * runtime's libcni knows `cniVersions`, and 1.0.0 everywhere else.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { bitLength, ipString, networkAddress, parseCIDRLiteral } from "../ip/index.ts";
import { type Caller, forceHint } from "./install-caller.ts";

export const DEFAULT_CONFLIST = "10-tscni.conflist";
export const DEFAULT_NETWORK_NAME = "tscni";
/** The bridge of the default network unless --bridge names another. */
export const DEFAULT_BRIDGE_NAME = "cni0";
export const GENERATED_MARK = "tscni install";

export interface DefaultNetworkOptions {
  cidrs: readonly string[];
  name?: string;
  bridge?: string;
}

/** The CIDR in canonical network form ("10.88.0.5/16" → "10.88.0.0/16"), or an error naming it. */
export function networkCidr(text: string): { cidr: string; v6: boolean } {
  // The parser host-local itself uses: what it would refuse is refused here, before anything is written.
  const parsed = parseCIDRLiteral(text);
  if (parsed === undefined) throw new Error(`--default-network ${JSON.stringify(text)} is not a CIDR (e.g. 10.88.0.0/16 or fd00:88::/64)`);
  const { ip, prefix: bits } = parsed;
  const v6 = ip.kind() === "ipv6";
  if (bitLength(ip) - bits < 2) throw new Error(`--default-network ${text} is too small for a bridge gateway and containers`);
  return { cidr: `${ipString(networkAddress(ip, bits))}/${bits}`, v6 };
}

export function defaultConflist(o: DefaultNetworkOptions): Record<string, unknown> {
  if (o.cidrs.length === 0) throw new Error("--default-network needs at least one CIDR");
  const nets = o.cidrs.map(networkCidr);
  const v4 = nets.filter((n) => !n.v6);
  const v6 = nets.filter((n) => n.v6);
  if (v4.length > 1 || v6.length > 1) throw new Error("--default-network takes at most one IPv4 and one IPv6 CIDR");
  const ranges = [...v4, ...v6].map((n) => [{ subnet: n.cidr }]);
  const routes = [...(v4.length > 0 ? [{ dst: "0.0.0.0/0" }] : []), ...(v6.length > 0 ? [{ dst: "::/0" }] : [])];
  return {
    cniVersion: "1.0.0",
    cniVersions: ["1.0.0", "1.1.0"],
    name: o.name ?? DEFAULT_NETWORK_NAME,
    generatedBy: GENERATED_MARK,
    plugins: [
      { type: "loopback" },
      {
        type: "bridge",
        bridge: o.bridge ?? DEFAULT_BRIDGE_NAME,
        isGateway: true,
        ipMasq: true,
        promiscMode: true,
        ipam: { type: "host-local", ranges, routes },
      },
      { type: "portmap", capabilities: { portMappings: true } },
    ],
  };
}

export function renderConflist(o: DefaultNetworkOptions): string {
  return `${JSON.stringify(defaultConflist(o), null, 2)}\n`;
}

function isGenerated(path: string): boolean {
  try {
    const v = JSON.parse(readFileSync(path, "utf8")) as { generatedBy?: unknown };
    return v.generatedBy === GENERATED_MARK;
  } catch {
    return false;
  }
}

export interface ConflistPlan {
  path: string;
  text: string;
  action: "write" | "keep" | "rewrite" | "replace-foreign";
  /** Network configs a runtime would load before ours (libcni reads the dir in name order). */
  earlier: string[];
}

/**
 * Checks only: what writing the default conflist would do. Refuses to rewrite a tscni conflist
 * with different content (another CIDR: pods would get addresses from a new range) or to replace
 * someone else's file unless forced.
 */
export function planConflist(o: DefaultNetworkOptions & { confDir: string; force: boolean; caller: Caller }): ConflistPlan {
  const path = join(o.confDir, DEFAULT_CONFLIST);
  const text = renderConflist(o);
  let names: string[] = [];
  try {
    names = readdirSync(o.confDir);
  } catch {
    names = [];
  }
  const earlier = names
    .filter((n) => /\.(conf|conflist|json)$/.test(n) && n < DEFAULT_CONFLIST)
    .sort()
    .map((n) => join(o.confDir, n));
  let action: ConflistPlan["action"] = "write";
  if (existsSync(path)) {
    if (!isGenerated(path)) action = "replace-foreign";
    else action = readFileSync(path, "utf8") === text ? "keep" : "rewrite";
  }
  if (action === "replace-foreign" && !o.force) {
    throw new Error(`${path} exists and was not written by tscni; ${forceHint(o.caller, "replace")} (it is moved aside and put back by uninstall)`);
  }
  if (action === "rewrite" && !o.force) {
    throw new Error(
      `${path} holds a different default network than requested (${differences(readFileSync(path, "utf8"), text)}); ` +
        `pods running on it keep their addresses only if the range stays: ${forceHint(o.caller, "rewrite")}`,
    );
  }
  return { path, text, action, earlier };
}

interface Shape {
  name?: string;
  plugins?: { type?: string; bridge?: string; ipam?: { ranges?: { subnet?: string }[][] } }[];
}

/** What the operator chose that differs between two default conflists, as "what: old → new". */
function differences(existing: string, requested: string): string {
  let old: Shape;
  try {
    old = JSON.parse(existing) as Shape;
  } catch {
    return "the file on disk is not JSON";
  }
  const want = JSON.parse(requested) as Shape;
  const ranges = (v: Shape): string => (v.plugins?.flatMap((p) => p.ipam?.ranges ?? []).flat() ?? []).map((r) => r.subnet ?? "?").join(", ");
  const bridge = (v: Shape): string | undefined => v.plugins?.find((p) => p.type === "bridge")?.bridge;
  const show = (v: string | undefined): string => (v === undefined ? "none" : JSON.stringify(v));
  const found = [
    old.name !== want.name ? `network name ${show(old.name)} → ${show(want.name)}` : "",
    ranges(old) !== ranges(want) ? `ranges ${ranges(old) || "none"} → ${ranges(want)}` : "",
    bridge(old) !== bridge(want) ? `bridge ${show(bridge(old))} → ${show(bridge(want))}` : "",
  ].filter((d) => d !== "");
  return found.length > 0 ? found.join(", ") : "the same name, ranges and bridge; other settings differ (written by another tscni version)";
}

/** Carries out a plan; returns the aside path when a foreign file was moved out of the way. */
export function applyConflist(
  plan: ConflistPlan,
  o: { dryRun: boolean; suffix: string; log: (line: string) => void; warn: (line: string) => void },
): string | undefined {
  const would = o.dryRun ? "would " : "";
  for (const e of plan.earlier) {
    o.warn(`warning: ${e} sorts before ${DEFAULT_CONFLIST}: a runtime that loads the first network config uses that one, not tscni's`);
  }
  if (plan.action === "keep") {
    o.log(`keep ${plan.path} (same content)`);
    return undefined;
  }
  let aside: string | undefined;
  if (plan.action === "replace-foreign") {
    aside = `${plan.path}.${o.suffix}`;
    o.log(`${would}move ${plan.path} aside to ${aside}`);
    if (!o.dryRun) renameSync(plan.path, aside);
  }
  o.log(`${would}${plan.action === "rewrite" ? "rewrite" : "write"} ${plan.path}`);
  if (o.dryRun) for (const l of plan.text.trimEnd().split("\n")) o.log(`  ${l}`);
  else {
    const tmp = join(dirname(plan.path), `.${DEFAULT_CONFLIST}.tmp-${process.pid}`);
    writeFileSync(tmp, plan.text, { mode: 0o644 });
    renameSync(tmp, plan.path);
  }
  return aside;
}

/** Removes the conflist tscni wrote and puts back what it had moved aside. */
export function removeDefaultConflist(o: {
  confDir: string;
  dryRun: boolean;
  asides: readonly { path: string; aside: string }[];
  log: (line: string) => void;
}): void {
  const path = join(o.confDir, DEFAULT_CONFLIST);
  const would = o.dryRun ? "would " : "";
  const aside = o.asides.find((a) => a.path === path && existsSync(a.aside));
  if (existsSync(path) && !isGenerated(path)) {
    o.log(`keep ${path} (not written by tscni)`);
    return;
  }
  if (aside !== undefined) {
    o.log(`${would}restore ${path} from ${aside.aside}`);
    if (!o.dryRun) renameSync(aside.aside, path);
  } else if (existsSync(path)) {
    o.log(`${would}remove ${path}`);
    if (!o.dryRun) rmSync(path);
  }
}
