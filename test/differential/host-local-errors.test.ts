/**
 * Bad input: broken ipam configs and env sets. Each must give a CNI error JSON on stdout and
 * exit 1 from both tscni and the v1.9.1 oracle: the same stdout byte for byte (normalisers 10/11
 * only where they apply) and stderr, and must leave a populated dataDir exactly as it was.
 */
import { describe, expect, test } from "bun:test";
import { NETNS_TIMEOUT, requireIsolatedHost, runCni, tempDir } from "../harness.ts";
import { call, snapshot, TSCNI_HOST_LOCAL } from "../fixtures/host-local/support.ts";
import { errorMismatch, type ErrorJson, normalisedError } from "./normalize.ts";
import { countCase, v191 } from "./oracles.ts";

const REFERENCE_HOST_LOCAL = v191("host-local");

requireIsolatedHost();

const good = { subnet: "10.1.2.0/24" };
const net = (ipam: unknown, extra: Record<string, unknown> = {}) => ({ cniVersion: "1.0.0", name: "mynet", ipam, ...extra });
const r = (...sets: unknown[][]) => ({ ranges: sets });

interface Case {
  name: string;
  conf?: Record<string, unknown>;
  /** Raw stdin instead of a config object. */
  raw?: string;
  args?: string;
  env?: Record<string, string | undefined>;
  command?: string;
}

const cases: Case[] = [
  { name: "no ipam", conf: { cniVersion: "1.0.0", name: "mynet" } },
  { name: "ipam null", conf: net(null) },
  { name: "ipam {}", conf: net({}) },
  { name: "ranges []", conf: net({ ranges: [] }) },
  { name: "ranges [[]]", conf: net(r([])) },
  { name: "ranges [null]", conf: net({ ranges: [null] }) },
  { name: "range without subnet", conf: net(r([{ rangeStart: "10.1.2.5" }])) },
  { name: "host bits", conf: net(r([{ subnet: "10.1.2.1/24" }])) },
  { name: "host bits v6", conf: net(r([{ subnet: "2001:DB8:1::24:19ff:fee1:c44a/64" }])) },
  { name: "/31", conf: net(r([{ subnet: "10.1.2.0/31" }])) },
  { name: "/128", conf: net(r([{ subnet: "2001:db8::/128" }])) },
  { name: "mixed families", conf: net(r([good, { subnet: "2001:db8::/64" }])) },
  { name: "overlapping ranges", conf: net(r([{ subnet: "10.1.0.0/22" }, good])) },
  { name: "overlapping sets", conf: net(r([{ subnet: "10.1.0.0/22" }], [good])) },
  { name: "bad CIDR", conf: net(r([{ subnet: "10.0.0.0" }])) },
  { name: "empty CIDR", conf: net(r([{ subnet: "" }])) },
  { name: "bad gateway IP", conf: net(r([{ ...good, gateway: "abc" }])) },
  { name: "leading-zero IP", conf: net(r([{ ...good, rangeStart: "010.1.2.5" }])) },
  { name: "rangeStart outside", conf: net(r([{ ...good, rangeStart: "192.0.3.0" }])) },
  { name: "rangeEnd outside", conf: net(r([{ ...good, rangeEnd: "10.1.3.0" }])) },
  { name: "start after end", conf: net(r([{ ...good, rangeStart: "10.1.2.50", rangeEnd: "10.1.2.40" }])) },
  { name: "IPv4-mapped subnet", conf: net(r([{ subnet: "::ffff:10.0.0.0/120" }])) },
  { name: "bad route dst", conf: net({ ...r([good]), routes: [{ dst: "bad" }] }) },
  { name: "bad route gw", conf: net({ ...r([good]), routes: [{ dst: "0.0.0.0/0", gw: "x" }] }) },
  { name: "subnet not a string", conf: net(r([{ subnet: 5 }])) },
  { name: "ranges not an array", conf: net({ ranges: "10.0.0.0/24" }) },
  { name: "routes not an array", conf: net({ ...r([good]), routes: { dst: "0.0.0.0/0" } }) },
  { name: "args.cni.ips bogus", conf: net(r([good]), { args: { cni: { ips: ["bogus"] } } }) },
  { name: "runtimeConfig.ips empty string", conf: net(r([good]), { runtimeConfig: { ips: [""] } }) },
  { name: "runtime ipRanges bad", conf: net(r([good]), { runtimeConfig: { ipRanges: [[{ subnet: "10.9.0.0/31" }]] } }) },
  { name: "two v4 sets at 0.2.0", conf: { ...net(r([good], [{ subnet: "10.2.0.0/24" }])), cniVersion: "0.2.0" } },
  { name: "two v4 sets, no version", conf: { name: "mynet", ipam: r([good], [{ subnet: "10.2.0.0/24" }]) } },
  { name: "CNI_ARGS bad IP", conf: net(r([good])), args: "IP=notanip" },
  { name: "CNI_ARGS lower-case ip", conf: net(r([good])), args: "ip=10.1.2.50" },
  { name: "CNI_ARGS pair without =", conf: net(r([good])), args: "IP" },
  { name: "CNI_ARGS trailing ;", conf: net(r([good])), args: "IP=10.1.2.9;" },
  { name: "CNI_ARGS a=b=c", conf: net(r([good])), args: "a=b=c" },
  { name: "CNI_ARGS IgnoreUnknown=yes", conf: net(r([good])), args: "IgnoreUnknown=yes;FOO=1" },
  { name: "unsupported cniVersion", conf: { ...net(r([good])), cniVersion: "2.0.0" } },
  { name: "stdin not JSON", raw: "{nope" },
  { name: "stdin empty", raw: "" },
  { name: "network name with a slash", conf: { ...net(r([good])), name: "a/b" } },
  { name: "network name ..", conf: { ...net(r([good])), name: ".." } },
  { name: "container ID with ../", conf: net(r([good])), env: { CNI_CONTAINERID: "../../etc" } },
  { name: "ifname with a slash", conf: net(r([good])), env: { CNI_IFNAME: "a/b" } },
  { name: "ifname ..", conf: net(r([good])), env: { CNI_IFNAME: ".." } },
  { name: "missing CNI_PATH", conf: net(r([good])), env: { CNI_PATH: undefined } },
  { name: "missing CNI_NETNS on ADD", conf: net(r([good])), env: { CNI_NETNS: undefined } },
  { name: "DEL with a broken config", conf: net({}), command: "DEL" },
  { name: "CHECK with a broken config", conf: net(r([{ subnet: "10.1.2.0/31" }])), command: "CHECK" },
];

async function runCase(binary: string, c: Case, dataDir: string) {
  if (c.raw !== undefined || c.env !== undefined) {
    const stdin = c.raw ?? JSON.stringify(c.conf).replace('"ipam":{', `"ipam":{"dataDir":${JSON.stringify(dataDir)},`);
    return runCni(binary, {
      command: c.command ?? "ADD",
      containerId: "ctr1",
      netns: "/nonexistent/netns",
      ifname: "eth0",
      args: c.args,
      path: "/opt/cni/bin",
      stdin,
      env: c.env,
    });
  }
  return call(binary, c.conf ?? {}, dataDir, { cmd: (c.command ?? "ADD") as "ADD" | "DEL" | "CHECK", id: "ctr1", args: c.args });
}

describe("host-local bad input", () => {
  test("corpus has at least 30 cases", () => expect(cases.length).toBeGreaterThanOrEqual(30));

  for (const c of cases) {
    test(
      c.name,
      async () => {
        using refDir = tempDir("hl-ref-");
        using ourDir = tempDir("hl-ts-");
        // A populated network dir: one reservation made beforehand by each binary.
        const seed = net(r([{ subnet: "10.1.2.0/24" }]));
        for (const [bin, d] of [[REFERENCE_HOST_LOCAL, refDir.path], [TSCNI_HOST_LOCAL, ourDir.path]] as const) {
          expect((await call(bin, seed, d, { cmd: "ADD", id: "seed" })).code).toBe(0);
        }
        const before = snapshot(ourDir.path);
        const refBefore = snapshot(refDir.path);
        const ref = await runCase(REFERENCE_HOST_LOCAL, c, refDir.path);
        const ours = await runCase(TSCNI_HOST_LOCAL, c, ourDir.path);
        expect(ref.code).toBe(1);
        expect(ours.code).toBe(1);
        const err = ours.json as ErrorJson;
        expect(typeof err.code).toBe("number");
        expect(typeof err.msg).toBe("string");
        if (normalisedError(ref.json as ErrorJson)) expect(errorMismatch(ref.json as ErrorJson, err)).toBe("");
        else expect(ours.stdout).toBe(ref.stdout);
        expect(ours.stderr).toBe(ref.stderr);
        countCase("host-local", c.command ?? "ADD");
        expect(snapshot(ourDir.path)).toEqual(before);
        expect(snapshot(refDir.path)).toEqual(refBefore);
      },
      NETNS_TIMEOUT,
    );
  }
});
