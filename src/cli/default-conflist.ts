/**
 * The default network `tscni install --default-network CIDR…` writes: loopback, then a bridge
 * with host-local addresses from the given CIDRs (v4, v6 or both), then portmap — the shape of
 * containerd's default conflist with loopback chained first. It runs at spec 1.1.0 where the
 * runtime's libcni knows `cniVersions`, and 1.0.0 everywhere else.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ipaddr from "ipaddr.js";

export const DEFAULT_CONFLIST = "10-tscni.conflist";
export const DEFAULT_NETWORK_NAME = "tscni";
export const GENERATED_MARK = "tscni install";

export interface DefaultNetworkOptions {
  cidrs: readonly string[];
  name?: string;
  bridge?: string;
}

/** The CIDR in canonical network form ("10.88.0.5/16" → "10.88.0.0/16"), or an error naming it. */
export function networkCidr(text: string): { cidr: string; v6: boolean } {
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(text);
  } catch {
    throw new Error(`--default-network ${JSON.stringify(text)} is not a CIDR (e.g. 10.88.0.0/16 or fd00:88::/64)`);
  }
  const [addr, bits] = parsed;
  const v6 = addr.kind() === "ipv6";
  const net = v6 ? ipaddr.IPv6.networkAddressFromCIDR(text) : ipaddr.IPv4.networkAddressFromCIDR(text);
  const max = v6 ? 128 : 32;
  if (max - bits < 2) throw new Error(`--default-network ${text} is too small for a bridge gateway and containers`);
  return { cidr: `${net.toString()}/${bits}`, v6 };
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
        bridge: o.bridge ?? "cni0",
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

export interface WriteConflistOptions extends DefaultNetworkOptions {
  confDir: string;
  force: boolean;
  dryRun: boolean;
  suffix: string;
  log: (line: string) => void;
}

/** Writes the default conflist atomically; a foreign file of that name is kept unless forced. */
export function writeDefaultConflist(o: WriteConflistOptions): string {
  const path = join(o.confDir, DEFAULT_CONFLIST);
  const text = renderConflist(o);
  const act = (line: string, fn: () => void): void => {
    o.log(`${o.dryRun ? "would " : ""}${line}`);
    if (!o.dryRun) fn();
  };
  if (existsSync(path) && !isGenerated(path)) {
    if (!o.force) throw new Error(`${path} exists and was not written by tscni; use --force to move it aside`);
    act(`move ${path} aside to ${path}.${o.suffix}`, () => renameSync(path, `${path}.${o.suffix}`));
  }
  act(`write ${path}`, () => {
    const tmp = join(o.confDir, `.${DEFAULT_CONFLIST}.tmp-${process.pid}`);
    writeFileSync(tmp, text, { mode: 0o644 });
    renameSync(tmp, path);
  });
  if (o.dryRun) for (const l of text.trimEnd().split("\n")) o.log(`  ${l}`);
  return path;
}

export function removeDefaultConflist(o: { confDir: string; dryRun: boolean; log: (line: string) => void }): void {
  const path = join(o.confDir, DEFAULT_CONFLIST);
  if (!existsSync(path)) return;
  if (!isGenerated(path)) {
    o.log(`keep ${path} (not written by tscni)`);
    return;
  }
  o.log(`${o.dryRun ? "would " : ""}remove ${path}`);
  if (!o.dryRun) rmSync(path);
}
