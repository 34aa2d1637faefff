/**
 * `tscni install`: atomic copy + links, foreign-file refusal and --force move-aside, VERSION
 * verification, the default conflist, --dry-run and --uninstall — all into temp dirs.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exec, NETNS_TIMEOUT, requireIsolatedHost, SYSTEM_PATH, tempDir, tscni } from "../harness.ts";

requireIsolatedHost();

const PLUGINS = ["bridge", "host-local", "loopback", "portmap"];
const cli = (...args: string[]) => exec([tscni("tscni"), ...args], { env: { PATH: SYSTEM_PATH } });

describe("install", () => {
  test(
    "copies itself, links the plugins, verifies, and is idempotent",
    async () => {
      using d = tempDir();
      const bin = join(d.path, "opt/cni/bin");
      const r = await cli("install", "--dir", bin);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`verified: ${bin}/loopback answers VERSION`);
      expect(readdirSync(bin).sort()).toEqual([...PLUGINS, "tscni"].sort());
      for (const p of PLUGINS) expect(readlinkSync(join(bin, p))).toBe("tscni");
      expect(lstatSync(join(bin, "tscni")).mode & 0o777).toBe(0o755);
      const again = await cli("install", "--dir", bin);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain(`keep ${bin}/bridge -> tscni`);
    },
    NETNS_TIMEOUT,
  );

  test(
    "refuses a foreign plugin file, moves it aside with --force",
    async () => {
      using d = tempDir();
      writeFileSync(join(d.path, "bridge"), "#!/bin/sh\n", { mode: 0o755 });
      const refused = await cli("install", "--dir", d.path);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("use --force");
      expect(readdirSync(d.path)).toEqual(["bridge"]);
      const forced = await cli("install", "--dir", d.path, "--force");
      expect(forced.code).toBe(0);
      const aside = readdirSync(d.path).filter((f) => f.startsWith("bridge."));
      expect(aside.length).toBe(1);
      expect(readFileSync(join(d.path, aside[0] ?? ""), "utf8")).toBe("#!/bin/sh\n");
      const un = await cli("install", "--uninstall", "--dir", d.path);
      expect(un.code).toBe(0);
      expect(readdirSync(d.path)).toEqual(aside);
    },
    NETNS_TIMEOUT,
  );

  test(
    "--dry-run changes nothing and prints the conflist it would write",
    async () => {
      using d = tempDir();
      const bin = join(d.path, "bin");
      const conf = join(d.path, "net.d");
      const r = await cli("install", "--dir", bin, "--conf-dir", conf, "--default-network", "10.88.0.0/16", "--dry-run");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`would link ${bin}/loopback -> tscni`);
      expect(r.stdout).toContain(`would write ${conf}/10-tscni.conflist`);
      expect(r.stdout).toContain('"subnet": "10.88.0.0/16"');
      expect(readdirSync(d.path)).toEqual([]);
    },
    NETNS_TIMEOUT,
  );

  test(
    "--default-network v4+v6 writes a conflist that validates and loads; --uninstall removes it",
    async () => {
      using d = tempDir();
      const bin = join(d.path, "bin");
      const conf = join(d.path, "net.d");
      const r = await cli("install", "--dir", bin, "--conf-dir", conf, "--default-network", "10.88.0.0/16", "--default-network", "fd00:88::/64");
      expect(r.code).toBe(0);
      const c = JSON.parse(readFileSync(join(conf, "10-tscni.conflist"), "utf8")) as { plugins: { type: string; ipam?: { ranges: unknown } }[] };
      expect(c.plugins.map((p) => p.type)).toEqual(["loopback", "bridge", "portmap"]);
      expect(c.plugins[1]?.ipam?.ranges).toEqual([[{ subnet: "10.88.0.0/16" }], [{ subnet: "fd00:88::/64" }]]);
      const v = await cli("validate", "--conf-dir", conf);
      expect(v.stdout).toContain('network "tscni", cniVersion "1.1.0"');
      expect(v.code).toBe(0);
      const un = await cli("install", "--uninstall", "--dir", bin, "--conf-dir", conf);
      expect(un.code).toBe(0);
      expect(existsSync(join(conf, "10-tscni.conflist"))).toBe(false);
      expect(readdirSync(bin)).toEqual([]);
    },
    NETNS_TIMEOUT,
  );
});
