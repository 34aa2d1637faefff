/**
 * The install pieces that need no binary: the default conflist plan (refusals in the caller's
 * words, earlier conflists), the backup that keeps a replaced file's inode, the integrity check.
 */
import { describe, expect, test } from "bun:test";
import { chmodSync, lstatSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyConflist, planConflist, removeDefaultConflist } from "../../../src/cli/default-conflist.ts";
import { backupEntry, backupIntact, saveBackup } from "../../../src/cli/install-backup.ts";
import { callerFrom } from "../../../src/cli/install-caller.ts";
import { checkIntegrity, checksumLine } from "../../../src/cli/integrity.ts";
import { tempDir } from "../../harness.ts";

const quiet = { dryRun: false, suffix: "bak", log: () => {}, warn: () => {} };

describe("default conflist plan", () => {
  test("writes, keeps the same text, refuses another CIDR and a foreign file unless forced", () => {
    using d = tempDir();
    const base = { confDir: d.path, cidrs: ["10.88.0.0/16"], force: false, caller: "cli" as const };
    const first = planConflist(base);
    expect(first.action).toBe("write");
    applyConflist(first, { ...quiet, dryRun: true });
    expect(readdirSync(d.path)).toEqual([]);
    applyConflist(first, quiet);
    expect(planConflist(base).action).toBe("keep");
    expect(() => planConflist({ ...base, cidrs: ["10.99.0.0/16"] })).toThrow(
      /holds a different default network than requested \(ranges 10\.88\.0\.0\/16 → 10\.99\.0\.0\/16\).*add --force/,
    );
    expect(() => planConflist({ ...base, cidrs: ["10.99.0.0/16"], caller: "make" })).toThrow("run make install FORCE=1");
    // Same range, another name and bridge: the refusal names those, not the range twice.
    expect(() => planConflist({ ...base, name: "n2", bridge: "br2" })).toThrow('than requested (network name "tscni" → "n2", bridge "cni0" → "br2")');
    const rewrite = planConflist({ ...base, cidrs: ["10.99.0.0/16"], force: true });
    expect(rewrite.action).toBe("rewrite");
    applyConflist(rewrite, quiet);
    expect(readFileSync(first.path, "utf8")).toContain("10.99.0.0/16");
  });

  test("a foreign file is moved aside when forced and put back on removal, byte for byte", () => {
    using d = tempDir();
    const path = join(d.path, "10-tscni.conflist");
    writeFileSync(path, '{"name":"theirs"}\n');
    const base = { confDir: d.path, cidrs: ["10.88.0.0/16"], force: false, caller: "daemonset" as const };
    expect(() => planConflist(base)).toThrow('set force: "true" in the tscni-config ConfigMap');
    const aside = applyConflist(planConflist({ ...base, force: true }), quiet);
    expect(aside).toBe(`${path}.bak`);
    removeDefaultConflist({ confDir: d.path, dryRun: false, asides: [{ path, aside: aside ?? "" }], log: () => {} });
    expect(readdirSync(d.path)).toEqual(["10-tscni.conflist"]);
    expect(readFileSync(path, "utf8")).toBe('{"name":"theirs"}\n');
  });

  test("warns about each network config that sorts before 10-tscni.conflist", () => {
    using d = tempDir();
    for (const f of ["05-other.conflist", "09-x.conf", "10-aaa.json", "99-late.conflist", "01-notes.txt"]) writeFileSync(join(d.path, f), "{}");
    const warnings: string[] = [];
    applyConflist(planConflist({ confDir: d.path, cidrs: ["10.88.0.0/16"], force: false, caller: "cli" }), { ...quiet, warn: (l) => void warnings.push(l) });
    expect(warnings.map((w) => w.split(" ")[1])).toEqual(["05-other.conflist", "09-x.conf", "10-aaa.json"].map((f) => join(d.path, f)));
  });

  test("the caller comes from TSCNI_INSTALL_CALLER; anything else is the CLI", () => {
    expect(callerFrom({ TSCNI_INSTALL_CALLER: "make" })).toBe("make");
    expect(callerFrom({ TSCNI_INSTALL_CALLER: "deb" })).toBe("deb");
    expect(callerFrom({ TSCNI_INSTALL_CALLER: "x" })).toBe("cli");
    expect(callerFrom({})).toBe("cli");
  });
});

describe("backup", () => {
  test("a file is kept as the same inode (bytes, mode, mtime); a symlink with its target", () => {
    using d = tempDir();
    const file = join(d.path, "bridge");
    writeFileSync(file, "ELF…");
    chmodSync(file, 0o750);
    utimesSync(file, new Date(1_000_000_000_000), new Date(1_000_000_000_000));
    const entry = backupEntry(file, "bridge");
    saveBackup(file, join(d.path, "bridge.bak"));
    expect(lstatSync(join(d.path, "bridge.bak")).ino).toBe(lstatSync(file).ino);
    expect(entry).toMatchObject({ kind: "file", mode: 0o750 });
    expect(backupIntact(join(d.path, "bridge.bak"), entry)).toBe(true);
    writeFileSync(file, "changed");
    expect(backupIntact(join(d.path, "bridge.bak"), entry)).toBe(false);

    symlinkSync("/usr/lib/cni/loopback", join(d.path, "loopback"));
    const link = backupEntry(join(d.path, "loopback"), "loopback");
    saveBackup(join(d.path, "loopback"), join(d.path, "loopback.bak"));
    expect(link).toMatchObject({ kind: "symlink", target: "/usr/lib/cni/loopback" });
    expect(backupIntact(join(d.path, "loopback.bak"), link)).toBe(true);
  });
});

describe("integrity", () => {
  test("missing checksum, altered bytes and a match are told apart", () => {
    using d = tempDir();
    const bin = join(d.path, "tscni");
    writeFileSync(bin, "program");
    expect(checkIntegrity(bin)).toMatchObject({ ok: false, reason: "no-checksum" });
    const digest = new Bun.CryptoHasher("sha256").update("program").digest("hex");
    writeFileSync(`${bin}.sha256`, checksumLine(digest, "tscni"));
    expect(checkIntegrity(bin)).toEqual({ ok: true, digest });
    writeFileSync(bin, "program, stripped");
    const r = checkIntegrity(bin);
    expect(r).toMatchObject({ ok: false, reason: "mismatch" });
    expect(r.ok ? "" : r.detail).toContain("never strip");
  });
});
