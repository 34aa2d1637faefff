/**
 * Shared helpers for the bridge kernel-state tests (test/netns/bridge*.test.ts): config builders,
 * one-call wrappers around the compiled `bridge`, readers of link/port/address/route state.
 * Reachability goes through the suite's one test server (test/fixtures/traffic.ts).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { exec, ipJson, type TempNetns } from "../harness.ts";

/** A host-local IPAM section over `subnets`, storing in `dataDir`. */
export function hostLocal(dataDir: string, subnets: string[], extra: object = {}): object {
  return { type: "host-local", dataDir, ranges: subnets.map((subnet) => [{ subnet }]), ...extra };
}

export interface IpLinkJson {
  ifname: string;
  ifindex: number;
  flags: string[];
  mtu: number;
  address: string;
  master?: string;
  operstate: string;
  promiscuity?: number;
  link_index?: number;
  linkinfo?: {
    info_kind?: string;
    info_data?: Record<string, unknown>;
    info_slave_kind?: string;
    info_slave_data?: Record<string, unknown>;
  };
}

export interface IpAddrJson {
  ifname: string;
  addr_info: { family: string; local: string; prefixlen: number; scope: string }[];
}

export interface IpRouteJson {
  dst: string;
  gateway?: string;
  dev: string;
}

export async function link(name: string, ns?: TempNetns): Promise<IpLinkJson | undefined> {
  const all = await ipJson<IpLinkJson[]>(["-d", "link", "show"], ns);
  return all.find((l) => l.ifname === name);
}

export async function links(ns?: TempNetns): Promise<IpLinkJson[]> {
  return ipJson<IpLinkJson[]>(["-d", "link", "show"], ns);
}

/** `ip/prefix` of every global address of `dev`. */
export async function addrs(dev: string, ns?: TempNetns): Promise<string[]> {
  const [a] = await ipJson<IpAddrJson[]>(["addr", "show", "dev", dev], ns);
  return (a?.addr_info ?? []).filter((i) => i.scope === "global").map((i) => `${i.local}/${i.prefixlen}`);
}

export async function routes(family: 4 | 6, ns?: TempNetns): Promise<IpRouteJson[]> {
  return ipJson<IpRouteJson[]>([`-${family}`, "route", "show"], ns);
}

export async function sysctl(name: string, ns?: TempNetns): Promise<string> {
  const argv = ["cat", `/proc/sys/${name}`];
  const r = ns ? await ns.run(argv) : await exec(argv);
  return r.stdout.trim();
}

/** Host veths (the reference's naming) currently present. */
export async function hostVeths(): Promise<string[]> {
  return (await links()).filter((l) => /^veth[0-9a-f]{8}$/.test(l.ifname)).map((l) => l.ifname);
}

/** IP reservation files of a host-local network. */
export function reservations(dataDir: string, network: string): string[] {
  const dir = join(dataDir, network);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f !== "lock" && !f.startsWith("last_reserved_ip"));
}

export function reservationOwner(dataDir: string, network: string, ip: string): string {
  return readFileSync(join(dataDir, network, ip), "utf8");
}

export async function natRules(family: 4 | 6 = 4): Promise<string[]> {
  const r = await exec([family === 4 ? "iptables-save" : "ip6tables-save", "-t", "nat"]);
  return r.stdout.split("\n").filter((l) => l.startsWith("-A ") || (l.startsWith(":") && l.startsWith(":CNI")));
}

export async function nftRuleset(): Promise<string> {
  return (await exec(["nft", "list", "ruleset"])).stdout;
}
