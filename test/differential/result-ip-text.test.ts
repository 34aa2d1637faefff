/**
 * The addresses of a result that tscni parsed and prints again (portmap ADD without mappings
 * prints its prevResult) are Go's texts, as the references print them after decoding into net.IP
 * and types.IPNet: lowercase RFC 5952 IPv6, IPv4-mapped addresses dotted with their mask shrunk
 * by 96 bits, a prefix without leading zeros; and a bad address is refused in Go's words, without
 * a JSON path. Every IP-bearing field of every result version: ips[].address/gateway, routes
 * dst/gw, 0.1.0/0.2.0 ip4/ip6 ip, gateway and routes (dns nameservers are strings in Go: as given).
 * v1.9.1: exit code and stdout byte for byte. v1.1.1 (prints an empty dns and orders 1.0.0's keys
 * differently): exit code and the IP-bearing members, as parsed JSON.
 * The fields Go's 0.x types keep as given are printed so too: a 0.3.x/0.4.0 ips[].version that
 * does not match its address, or is missing, or another version of the family; a 0.1.0/0.2.0 ip4
 * block holding an IPv6 address (and its routes), or no block at all.
 */
import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { requireIsolatedHost, runCni, type TempNetns, tempNetns, tscni } from "../harness.ts";
import { countCase, v111, v191 } from "./oracles.ts";

requireIsolatedHost();
setDefaultTimeout(120_000);

let ns: TempNetns;

beforeAll(async () => {
  ns = await tempNetns();
});

type Json = Record<string, unknown>;

async function add(binary: string, version: string, prev: Json): Promise<{ code: number; stdout: string }> {
  const stdin = { cniVersion: version, name: "n", type: "portmap", prevResult: { cniVersion: version, ...prev } };
  const r = await runCni(binary, { command: "ADD", containerId: "c1", netns: ns.path, ifname: "eth0", path: "/usr/lib/cni", stdin });
  return { code: r.code, stdout: r.stdout };
}

/** Go reads these as it reads any IPv6 text; each prints differently from how it is written. */
const V6_TEXTS = ["2001:DB8:0::0002/64", "0:0:0:0:0:0:0:0/0", "1:0:0:1:0:0:0:1/64", "1:0:0:1:0:0:1:1/64", "0::1/64", "1:2:3:4:5:6:7:0/128", "::1.2.3.4/120", "fe80::0001/0128"];
/** IPv4-mapped: printed as IPv4, the mask's last 32 bits (nothing left below /96). */
const MAPPED = ["::ffff:10.0.0.2/120", "::FFFF:10.0.0.2/97", "::ffff:a00:2/64", "0:0:0:0:0:ffff:10.0.0.2/128", "::ffff:1.2.3.4/96"];
const CANONICAL = ["10.0.0.2/24", "10.0.0.1/024", "2001:db8::2/64", "fe80::1/64", "::/0", "1::1:0:0:1:1/64"];
const GATEWAYS = ["::ffff:1.2.3.4", "::FFFF:a00:1", "2001:DB8::1", "::1.2.3.4", "0:0::1", "fe80::1", "10.0.0.1"];

function ips100(): Json {
  const addresses = [...V6_TEXTS, ...MAPPED, ...CANONICAL];
  const ips: Json[] = [];
  for (let i = 0; i < addresses.length; i++) ips.push({ address: addresses[i], gateway: GATEWAYS[i % GATEWAYS.length] });
  const routes: Json[] = [];
  for (let i = 0; i < addresses.length; i++) routes.push({ dst: addresses[i], gw: GATEWAYS[(i + 3) % GATEWAYS.length] });
  return { ips, routes, dns: { nameservers: ["2001:DB8::1", "010.0.0.1"] } };
}

/** 0.3.x/0.4.0: each address with the version its Go text has (the references print it as given). */
function ips040(): Json {
  const r = ips100() as { ips: Json[] };
  const v4 = new Set(["::ffff:10.0.0.2/120", "::FFFF:10.0.0.2/97", "::ffff:a00:2/64", "0:0:0:0:0:ffff:10.0.0.2/128", "::ffff:1.2.3.4/96", "10.0.0.2/24", "10.0.0.1/024"]);
  for (const ip of r.ips) ip.version = v4.has(ip.address as string) ? "4" : "6";
  return r;
}

function blocks020(ip4: string, ip6: string): Json {
  return {
    ip4: { ip: ip4, gateway: "::ffff:10.0.0.1", routes: [{ dst: "::FFFF:0.0.0.0/100", gw: "::ffff:a00:1" }, { dst: "10.1.0.0/016" }] },
    ip6: { ip: ip6, gateway: "2001:DB8::1", routes: [{ dst: "::/0", gw: "FE80::1" }, { dst: "2001:0db8::/32", gw: "::1.2.3.4" }] },
    dns: { nameservers: ["2001:DB8::1"] },
  };
}

const SAME: [string, string, Json][] = [
  ["1.1.0 every form", "1.1.0", ips100()],
  ["1.0.0 every form", "1.0.0", ips100()],
  ["0.4.0 every form", "0.4.0", ips040()],
  ["0.3.1 every form", "0.3.1", ips040()],
  ["0.3.0 every form", "0.3.0", ips040()],
  ["0.2.0 both blocks", "0.2.0", blocks020("::ffff:10.0.0.2/120", "2001:DB8:0::0002/64")],
  ["0.1.0 both blocks", "0.1.0", blocks020("10.0.0.2/024", "0::2/64")],
  ["1.0.0 gateway with leading zeros", "1.0.0", { ips: [{ address: "10.0.0.2/24", gateway: "010.0.0.1" }] }],
  ["1.0.0 gateway with a zone", "1.0.0", { ips: [{ address: "fe80::2/64", gateway: "fe80::1%eth0" }] }],
  ["1.0.0 gateway as a CIDR", "1.0.0", { ips: [{ address: "10.0.0.2/24", gateway: "10.0.0.1/120" }] }],
  ["1.0.0 address with leading zeros", "1.0.0", { ips: [{ address: "010.0.0.2/24" }] }],
  ["1.0.0 address with a zone", "1.0.0", { ips: [{ address: "fe80::1%eth0/64" }] }],
  ["1.0.0 IPv4 address with a /120 mask", "1.0.0", { ips: [{ address: "10.0.0.1/120" }] }],
  ["1.0.0 IPv4 address with /033", "1.0.0", { ips: [{ address: "10.0.0.1/033" }] }],
  ["1.0.0 route dst without a mask", "1.0.0", { ips: [{ address: "10.0.0.2/24" }], routes: [{ dst: "10.0.0.0" }] }],
  ["1.0.0 route gw 256", "1.0.0", { ips: [{ address: "10.0.0.2/24" }], routes: [{ dst: "0.0.0.0/0", gw: "10.0.0.256" }] }],
  ["0.4.0 bad address", "0.4.0", { ips: [{ version: "4", address: "10.0.0.300/24" }] }],
  ["0.2.0 bad gateway", "0.2.0", { ip4: { ip: "10.0.0.2/24", gateway: "10.0.0.300" } }],
  ["0.4.0 versions not matching, missing, not a family", "0.4.0", { ips: [{ version: "6", address: "::ffff:10.0.0.2/120" }, { address: "2001:DB8::2/64" }, { version: "x", address: "10.0.0.3/24" }] }],
  ["0.3.1 prevResult in a 0.4.0 config, versions as given", "0.4.0", { cniVersion: "0.3.1", ips: [{ version: "6", address: "10.0.0.2/24" }, { address: "10.0.0.3/24" }] }],
  ["0.4.0 prevResult in a 0.3.0 config, versions as given", "0.3.0", { cniVersion: "0.4.0", ips: [{ version: "6", address: "10.0.0.2/24" }, { address: "10.0.0.3/24" }] }],
  ["0.2.0 blocks holding the other family", "0.2.0", { ip4: { ip: "2001:DB8::2/64", routes: [{ dst: "::/0" }, { dst: "10.0.0.0/8" }] }, ip6: { ip: "10.0.0.2/24", gateway: "10.0.0.1", routes: [{ dst: "0.0.0.0/0", gw: "10.0.0.1" }] } }],
  ["0.2.0 prevResult in a 0.1.0 config, ip6 only holding a mapped address", "0.1.0", { cniVersion: "0.2.0", ip6: { ip: "::ffff:10.0.0.2/120", routes: [{ dst: "::/0" }] } }],
  ["0.2.0 without a block", "0.2.0", { dns: { nameservers: ["1.1.1.1"] } }],
];

/** The members that carry addresses, as parsed JSON (v1.1.1 differs from v1.9.1 elsewhere). */
function ipMembers(stdout: string): unknown {
  const o = JSON.parse(stdout) as Json;
  return { ips: o.ips, routes: o.routes, ip4: o.ip4, ip6: o.ip6, code: o.code, msg: o.msg };
}

describe("Go's texts, as both references print them", () => {
  test.each(SAME)("%s", async (_name, version, prev) => {
    const ours = await add(tscni("portmap"), version, prev);
    expect(ours).toEqual(await add(v191("portmap"), version, prev));
    countCase("portmap", "ADD");
    if (version === "1.1.0") return; // v1.1.1 predates spec 1.1.0 and refuses the config.
    const old = await add(v111("portmap"), version, prev);
    expect({ code: ours.code, members: ipMembers(ours.stdout) }).toEqual({ code: old.code, members: ipMembers(old.stdout) });
    countCase("portmap", "ADD");
  });
});
