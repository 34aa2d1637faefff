/**
 * loopback through its symlink, in real container namespaces (checklist §2.3, §4 F.75-78),
 * plus the bad-input corpus: CNI error JSON, exit 1, and no kernel change.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ipJson, requireIsolatedHost, runCni, SPEC_VERSIONS, tempDir, tempNetns, tscni, type TempNetns } from "../harness.ts";

requireIsolatedHost();

const loopback = tscni("loopback");
const conf = (cniVersion?: string, extra: object = {}) => ({ ...(cniVersion === undefined ? {} : { cniVersion }), name: "lo-net", type: "loopback", ...extra });
const call = (ns: TempNetns | string, command: string, stdin: object | string, extra: Record<string, string> = {}) =>
  runCni(loopback, {
    command,
    containerId: "ctr1",
    netns: typeof ns === "string" ? ns : ns.path,
    ifname: "eth0",
    path: "/opt/cni/bin",
    stdin,
    env: extra,
  });

interface IpLink {
  ifname: string;
  flags: string[];
}
interface IpAddr {
  ifname: string;
  addr_info: { local: string; prefixlen: number }[];
}

async function loState(ns: TempNetns): Promise<{ up: boolean; addrs: string[] }> {
  const [link] = await ipJson<IpLink[]>(["link", "show", "lo"], ns);
  const [addr] = await ipJson<IpAddr[]>(["addr", "show", "lo"], ns);
  return {
    up: link?.flags.includes("UP") ?? false,
    addrs: (addr?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`),
  };
}

describe("ADD", () => {
  test.each(SPEC_VERSIONS.map((v) => [v]))("cniVersion %s: lo UP, 1.x-style result labelled with the version", async (version) => {
    await using ns = await tempNetns();
    expect((await loState(ns)).up).toBe(false);
    const r = await call(ns, "ADD", conf(version));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(await loState(ns)).toEqual({ up: true, addrs: ["127.0.0.1/8", "::1/128"] });
    expect(r.stdout).toBe(
      JSON.stringify(
        {
          cniVersion: version,
          interfaces: [{ mac: "00:00:00:00:00:00", name: "lo", sandbox: ns.path }],
          ips: [
            { address: "127.0.0.1/8", interface: 0 },
            { address: "::1/128", interface: 0 },
          ],
        },
        null,
        4,
      ),
    );
  });

  test("no cniVersion: the real 0.1.0 form", async () => {
    await using ns = await tempNetns();
    const r = await call(ns, "ADD", conf());
    expect(r.json).toEqual({ cniVersion: "0.1.0", ip4: { ip: "127.0.0.1/8" }, ip6: { ip: "::1/128" }, dns: {} });
  });

  test("only IPv4 when IPv6 is disabled in the namespace", async () => {
    await using ns = await tempNetns();
    await ns.run(["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"]);
    await ns.run(["sysctl", "-q", "-w", "net.ipv6.conf.lo.disable_ipv6=1"]);
    const r = await call(ns, "ADD", conf("1.0.0"));
    expect((r.json as { ips: unknown[] }).ips).toEqual([{ address: "127.0.0.1/8", interface: 0 }]);
  });

  test("a non-loopback address on lo is an error", async () => {
    await using ns = await tempNetns();
    await ns.run(["ip", "addr", "add", "192.0.2.7/32", "dev", "lo"]);
    const r = await call(ns, "ADD", conf("1.0.0"));
    expect(r.code).toBe(1);
    expect(r.json).toEqual({ code: 999, msg: 'loopback interface found with non-loopback address "192.0.2.7"' });
  });

  test("CNI_IFNAME is ignored and CNI_ARGS is not parsed", async () => {
    await using ns = await tempNetns();
    const r = await runCni(loopback, { command: "ADD", containerId: "c", netns: ns.path, ifname: "whatever0", args: "none", path: "/x", stdin: conf("1.0.0") });
    expect(r.code).toBe(0);
  });

  test("prevResult 0.3.1 under a 0.4.0 config is passed through converted to 0.4.0", async () => {
    await using ns = await tempNetns();
    const prevResult = { cniVersion: "0.3.1", interfaces: [{ name: "eth0", sandbox: "/x", extra: 1 }], ips: [{ version: "4", address: "10.0.0.2/24", interface: 0 }], dns: {}, bogus: true };
    const r = await call(ns, "ADD", conf("0.4.0", { prevResult }));
    expect(r.json).toEqual({
      cniVersion: "0.4.0",
      interfaces: [{ name: "eth0", sandbox: "/x" }],
      ips: [{ version: "4", interface: 0, address: "10.0.0.2/24" }],
      dns: {},
    });
    expect((await loState(ns)).up).toBe(true);
  });

  test("prevResult of another version family is an error", async () => {
    await using ns = await tempNetns();
    const r = await call(ns, "ADD", conf("1.1.0", { prevResult: { cniVersion: "0.4.0" } }));
    expect(r.code).toBe(1);
    expect((r.json as { msg: string }).msg).toContain('result type supports [1.0.0 1.1.0] but unmarshalled CNIVersion is "0.4.0"');
  });

  test("1.x prevResult fields round-trip with sorted keys", async () => {
    await using ns = await tempNetns();
    const prevResult = {
      cniVersion: "1.1.0",
      interfaces: [{ name: "eth0", mtu: 1400, socketPath: "/s", pciID: "p", sandbox: "/x" }],
      ips: [{ address: "10.0.0.2/24", gateway: "10.0.0.1", interface: 0 }],
      routes: [{ dst: "0.0.0.0/0", gw: "10.0.0.1", mtu: 1300, advmss: 1200, priority: 5, table: 0, scope: 0 }],
      dns: { nameservers: ["10.0.0.1"], domain: "d", search: ["s"], options: ["o"] },
    };
    const r = await call(ns, "ADD", conf("1.1.0", { prevResult }));
    expect(r.json).toEqual(prevResult);
    expect(r.stdout.indexOf('"advmss"')).toBeLessThan(r.stdout.indexOf('"dst"'));
  });
});

describe("DEL and CHECK", () => {
  test("DEL sets lo down; a repeat is fine", async () => {
    await using ns = await tempNetns();
    await call(ns, "ADD", conf("1.0.0"));
    for (let i = 0; i < 2; i++) {
      const r = await call(ns, "DEL", conf("1.0.0"));
      expect(r).toMatchObject({ code: 0, stdout: "" });
      expect((await loState(ns)).up).toBe(false);
    }
  });

  test("DEL with an empty or nonexistent netns succeeds (containerd's second DEL)", async () => {
    expect(await call("", "DEL", conf("1.0.0"))).toMatchObject({ code: 0, stdout: "" });
    expect(await call("/proc/999999999/ns/net", "DEL", conf("1.0.0"))).toMatchObject({ code: 0, stdout: "" });
  });

  test("DEL of a path that is not a netns fails", async () => {
    using dir = tempDir();
    const r = await call(dir.path, "DEL", conf("1.0.0"));
    expect(r.code).toBe(1);
    expect((r.json as { msg: string }).msg).toMatch(/^unknown FS magic on ".*": [0-9a-f]+$/);
  });

  test("CHECK passes with lo up and fails with it down", async () => {
    await using ns = await tempNetns();
    await call(ns, "ADD", conf("1.0.0"));
    expect(await call(ns, "CHECK", conf("1.0.0"))).toMatchObject({ code: 0, stdout: "" });
    await ns.run(["ip", "link", "set", "lo", "down"]);
    const r = await call(ns, "CHECK", conf("0.4.0"));
    expect(r.json).toEqual({ code: 999, msg: "loopback interface is down" });
  });

  test("GC and STATUS at 1.1.0 succeed silently", async () => {
    for (const command of ["GC", "STATUS"]) {
      const r = await runCni(loopback, { command, path: "/x", stdin: conf("1.1.0", { "cni.dev/valid-attachments": [] }) });
      expect(r).toMatchObject({ code: 0, stdout: "" });
    }
  });
});

describe("bad input: error JSON, exit 1, no kernel change", () => {
  using dir = tempDir();
  const notNetns = join(dir.path, "plain-dir");
  mkdirSync(notNetns);
  const file = join(dir.path, "plain-file");
  writeFileSync(file, "");
  const cases: [string, { stdin?: string | object; env?: Record<string, string | undefined>; netns?: string; ifname?: string }, number][] = [
    ["empty stdin", { stdin: "" }, 6],
    ["invalid JSON", { stdin: "{not json" }, 6],
    ["trailing garbage", { stdin: '{"name":"x"} x' }, 6],
    ["JSON array", { stdin: "[]" }, 6],
    ["null", { stdin: "null" }, 7],
    ["no name", { stdin: { cniVersion: "1.0.0" } }, 7],
    ["name with a slash", { stdin: { cniVersion: "1.0.0", name: "../etc" } }, 7],
    ["cniVersion 9.9.9", { stdin: conf("9.9.9") }, 1],
    ["cniVersion as a number", { stdin: { cniVersion: 1, name: "x" } }, 6],
    ["unknown command", { env: { CNI_COMMAND: "FROB" } }, 4],
    ["lower-case command", { env: { CNI_COMMAND: "add" } }, 4],
    ["missing CNI_NETNS on ADD", { env: { CNI_NETNS: undefined } }, 4],
    ["missing CNI_PATH on ADD", { env: { CNI_PATH: undefined } }, 4],
    ["container ID with a slash", { env: { CNI_CONTAINERID: "../../x" } }, 4],
    ["netns path that is a directory", { netns: notNetns }, 999],
    ["netns path that is a regular file", { netns: file }, 999],
    ["netns path that does not exist", { netns: "/proc/999999999/ns/net" }, 999],
    ["ifname of 16 characters", { ifname: "a23456789012345x" }, 4],
    ["ifname with a slash", { ifname: "a/b" }, 4],
    ["ifname ..", { ifname: ".." }, 4],
  ];
  test.each(cases)("%s", async (_name, c, code) => {
    await using ns = await tempNetns();
    const before = await loState(ns);
    const r = await runCni(loopback, {
      command: "ADD",
      containerId: "ctr1",
      netns: c.netns ?? ns.path,
      ifname: c.ifname ?? "eth0",
      path: "/opt/cni/bin",
      stdin: c.stdin ?? conf("1.0.0"),
      env: c.env,
    });
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ code, msg: expect.any(String) });
    expect(Object.keys(r.json as object).filter((k) => !["code", "msg", "details"].includes(k))).toEqual([]);
    expect(await loState(ns)).toEqual(before);
  });

  test("the plugin's own netns is refused (code 8) and left untouched", async () => {
    const hostLo = async () => (await ipJson<IpLink[]>(["link", "show", "lo"]))[0]?.flags;
    const before = await hostLo();
    const r = await call(`/proc/${process.pid}/ns/net`, "DEL", conf("1.0.0"));
    expect(r.json).toEqual({ code: 8, msg: "plugin's netns and netns from CNI_NETNS should not be the same" });
    expect(await hostLo()).toEqual(before);
  });
});
