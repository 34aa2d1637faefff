/**
 * `tscni run` as a runtime: the same conflist (loopback + host-local) driven against tscni's own
 * plugins and against the reference binaries, results compared, and the result cache checked
 * against libcni's layout (file name, field order, base64 config, modes).
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { distDir, exec, ipJson, NETNS_TIMEOUT, referenceDir, requireIsolatedHost, SYSTEM_PATH, tempDir, tempNetns, tscni } from "../harness.ts";

requireIsolatedHost();

interface Setup {
  confDir: string;
  cacheDir: string;
  dataDir: string;
  conflist: string;
}

function setup(root: string, cniVersion: string): Setup {
  const confDir = join(root, "net.d");
  const dataDir = join(root, "data");
  mkdirSync(confDir, { recursive: true });
  const conflist = `${JSON.stringify({
    cniVersion,
    name: "clinet",
    plugins: [
      { type: "loopback" },
      { type: "host-local", ipam: { type: "host-local", ranges: [[{ subnet: "10.77.0.0/24" }]], dataDir } },
    ],
  })}\n`;
  writeFileSync(join(confDir, "10-clinet.conflist"), conflist);
  return { confDir, cacheDir: join(root, "cache"), dataDir, conflist };
}

async function run(verb: string, s: Setup, bin: string, netns: string, extra: string[] = []) {
  return exec(
    [tscni("tscni"), "run", verb, "clinet", netns, "--conf-dir", s.confDir, "--bin-dir", bin, "--cache-dir", s.cacheDir, ...extra],
    { env: { PATH: SYSTEM_PATH } },
  );
}

describe.each([
  ["tscni", distDir],
  ["reference", referenceDir],
])("run add/check/del with %s plugins", (_label, bin) => {
  test.each(["0.4.0", "1.0.0"])(
    "cniVersion %s",
    async (cniVersion) => {
      using d = tempDir();
      await using ns = await tempNetns();
      const s = setup(d.path, cniVersion);

      const add = await run("add", s, bin, ns.path, ["--container-id", "ctr1"]);
      expect(add.stderr).toBe("");
      expect(add.code).toBe(0);
      const result = JSON.parse(add.stdout) as { cniVersion: string; ips: { address: string }[] };
      expect(result.cniVersion).toBe(cniVersion);
      expect(result.ips[0]?.address).toBe("10.77.0.2/24");
      // One JSON document and a final newline (cnitool writes none; before, only a terminal got one).
      expect(add.stdout.endsWith("}\n")).toBe(true);

      // loopback did its part inside the container.
      const lo = await ipJson<{ operstate: string; flags: string[] }[]>(["link", "show", "lo"], ns);
      expect(lo[0]?.flags).toContain("UP");

      // libcni's cache: <cacheDir>/results/<net>-<cid>-<ifname>, cniCacheV1, fields in struct order.
      const resultsDir = join(s.cacheDir, "results");
      expect(readdirSync(resultsDir)).toEqual(["clinet-ctr1-eth0"]);
      expect(statSync(resultsDir).mode & 0o777).toBe(0o700);
      const file = join(resultsDir, "clinet-ctr1-eth0");
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const cached = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
      expect(Object.keys(cached)).toEqual(["kind", "containerId", "config", "ifName", "networkName", "netns", "result"]);
      expect(cached).toMatchObject({ kind: "cniCacheV1", containerId: "ctr1", ifName: "eth0", networkName: "clinet", netns: ns.path });
      expect(Buffer.from(String(cached.config), "base64").toString()).toBe(s.conflist);
      expect(cached.result).toEqual(result);

      const check = await run("check", s, bin, ns.path, ["--container-id", "ctr1"]);
      expect(check.stdout + check.stderr).toBe("");
      expect(check.code).toBe(0);

      expect(readdirSync(join(s.dataDir, "clinet"))).toContain("10.77.0.2");
      const del = await run("del", s, bin, ns.path, ["--container-id", "ctr1"]);
      expect(del.stdout + del.stderr).toBe("");
      expect(del.code).toBe(0);
      expect(readdirSync(resultsDir)).toEqual([]);
      expect(readdirSync(join(s.dataDir, "clinet"))).not.toContain("10.77.0.2");
    },
    NETNS_TIMEOUT,
  );
});

test(
  "tscni and the reference give the same result and the same cache entry",
  async () => {
    using a = tempDir();
    using b = tempDir();
    await using ns = await tempNetns();
    const sa = setup(a.path, "1.0.0");
    const sb = setup(b.path, "1.0.0");
    // Same bytes in both conf dirs apart from the dataDir: point both at one path layout.
    const ours = await run("add", sa, distDir, ns.path);
    const theirs = await run("add", sb, referenceDir, ns.path);
    expect(ours.code).toBe(0);
    expect(theirs.code).toBe(0);
    expect(ours.stdout).toBe(theirs.stdout);
    const name = readdirSync(join(sa.cacheDir, "results"));
    expect(name).toEqual(readdirSync(join(sb.cacheDir, "results")));
    // Default container ID is cnitool's: "cnitool-" + 20 hex digits of sha512(netns path).
    expect(name[0]).toMatch(/^clinet-cnitool-[0-9a-f]{20}-eth0$/);
    const ca = JSON.parse(readFileSync(join(sa.cacheDir, "results", name[0] ?? ""), "utf8")) as Record<string, unknown>;
    const cb = JSON.parse(readFileSync(join(sb.cacheDir, "results", name[0] ?? ""), "utf8")) as Record<string, unknown>;
    expect({ ...ca, config: "" }).toEqual({ ...cb, config: "" });
  },
  NETNS_TIMEOUT,
);

test(
  "errors: unknown network, missing plugin, CHECK below 0.4.0 — one line with the cause, exit 1",
  async () => {
    using d = tempDir();
    await using ns = await tempNetns();
    const s = setup(d.path, "0.3.1");
    const unknown = await exec([tscni("tscni"), "run", "add", "nope", ns.path, "--conf-dir", s.confDir], { env: { PATH: SYSTEM_PATH } });
    expect(unknown.stderr).toBe(`tscni: no net configuration with name "nope" in ${s.confDir}\n`);
    expect(unknown.code).toBe(1);
    const missing = await run("add", s, join(d.path, "empty-bin"), ns.path);
    expect(missing.stderr).toContain('plugin type="loopback" failed (add): failed to find plugin "loopback"');
    expect(missing.code).toBe(1);
    const check = await run("check", s, referenceDir, ns.path);
    expect(check.stderr).toBe('tscni: configuration version "0.3.1" does not support the CHECK command\n');
    expect(existsSync(join(s.cacheDir, "results"))).toBe(false);
  },
  NETNS_TIMEOUT,
);

test(
  "capability args reach only plugins that declare them (runtimeConfig seen by a plugin)",
  async () => {
    using d = tempDir();
    await using ns = await tempNetns();
    const bin = join(d.path, "bin");
    mkdirSync(bin);
    // A tiny plugin that records its stdin and answers with an empty result.
    const spy = join(bin, "spy");
    writeFileSync(spy, `#!/bin/sh\ncat > "${d.path}/stdin.$CNI_COMMAND.$SPY"\necho '{"cniVersion":"1.0.0"}'\n`, { mode: 0o755 });
    const confDir = join(d.path, "net.d");
    mkdirSync(confDir);
    writeFileSync(
      join(confDir, "a.conflist"),
      JSON.stringify({ cniVersion: "1.0.0", name: "caps", plugins: [{ type: "spy" }, { type: "spy", capabilities: { portMappings: true } }] }),
    );
    const pm = [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }];
    const r = await exec(
      [tscni("tscni"), "run", "add", "caps", ns.path, "--conf-dir", confDir, "--bin-dir", bin, "--cache-dir", join(d.path, "c"), "--cap-args", JSON.stringify({ portMappings: pm, bandwidth: {} })],
      { env: { PATH: SYSTEM_PATH, SPY: "x" } },
    );
    expect(r.code).toBe(0);
    // Both plugins wrote to the same file name; the last (the declaring one) wins.
    const last = JSON.parse(readFileSync(join(d.path, "stdin.ADD.x"), "utf8")) as Record<string, unknown>;
    expect(last.runtimeConfig).toEqual({ portMappings: pm });
    expect(last.prevResult).toEqual({ cniVersion: "1.0.0" });
  },
  NETNS_TIMEOUT,
);

/** host-local, then a plugin that fails the verb named in $FAIL_ON (and records every call). */
function failingChain(root: string): { confDir: string; bin: string; dataDir: string; calls: string } {
  const bin = join(root, "bin");
  mkdirSync(bin);
  symlinkSync(join(distDir, "host-local"), join(bin, "host-local"));
  const calls = join(root, "calls");
  writeFileSync(
    join(bin, "failer"),
    `#!/bin/sh\necho "$CNI_COMMAND" >> "${calls}"\nif [ "$CNI_COMMAND" = "$FAIL_ON" ]; then echo '{"cniVersion":"1.0.0","code":999,"msg":"failer says no"}'; exit 1; fi\ncat >/dev/null\n[ "$CNI_COMMAND" = ADD ] && echo '{"cniVersion":"1.0.0"}'\nexit 0\n`,
    { mode: 0o755 },
  );
  const confDir = join(root, "net.d");
  const dataDir = join(root, "data");
  mkdirSync(confDir);
  writeFileSync(
    join(confDir, "10.conflist"),
    JSON.stringify({
      cniVersion: "1.0.0",
      name: "failnet",
      plugins: [{ type: "host-local", ipam: { type: "host-local", ranges: [[{ subnet: "10.78.0.0/24" }]], dataDir } }, { type: "failer" }],
    }),
  );
  return { confDir, bin, dataDir, calls };
}

test(
  "run add that fails runs DEL for the chain, so host-local's address is given back; run check names the failing plugin",
  async () => {
    using d = tempDir();
    await using ns = await tempNetns();
    const c = failingChain(d.path);
    const args = (verb: string) => [tscni("tscni"), "run", verb, "failnet", ns.path, "--container-id", "ctr1", "--conf-dir", c.confDir, "--bin-dir", c.bin, "--cache-dir", join(d.path, "cache")];

    const add = await exec(args("add"), { env: { PATH: SYSTEM_PATH, FAIL_ON: "ADD" } });
    expect(add.code).toBe(1);
    expect(add.stdout).toBe("");
    expect(add.stderr).toBe('tscni: plugin type="failer" failed (add): failer says no (CNI error code 999)\n');
    expect(readFileSync(c.calls, "utf8")).toBe("ADD\nDEL\n");
    expect(readdirSync(join(c.dataDir, "failnet")).filter((f) => f.startsWith("10."))).toEqual([]);
    expect(existsSync(join(d.path, "cache", "results", "failnet-ctr1-eth0"))).toBe(false);

    const ok = await exec(args("add"), { env: { PATH: SYSTEM_PATH, FAIL_ON: "none" } });
    expect(ok.code).toBe(0);
    const check = await exec(args("check"), { env: { PATH: SYSTEM_PATH, FAIL_ON: "CHECK" } });
    expect(check.code).toBe(1);
    // libcni's CheckNetworkList returns the plugin's error unwrapped (ADD and DEL wrap it).
    expect(check.stderr).toBe("tscni: failer says no (CNI error code 999)\n");
  },
  NETNS_TIMEOUT,
);
