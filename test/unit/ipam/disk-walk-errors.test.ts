import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DiskStore } from "../../../src/ipam/host-local/disk-store.ts";
import { ownedBy, type ScanDir } from "../../../src/ipam/host-local/disk-walk.ts";
import { hostLocalDel } from "../../../src/ipam/host-local/plugin.ts";
import { scanDirTexts } from "../../../src/sys/index.ts";
import { tempDir } from "../../harness.ts";
import { cmdArgs } from "./helpers.ts";

/** A scan whose `visit` (or `wanted`) throws at the n-th regular file it is given, counting the files it saw. */
function throwingScan(n: number, where: "visit" | "wanted") {
  const seen = { files: 0 };
  const scan: ScanDir = (dir, wanted, visit) =>
    scanDirTexts(
      dir,
      (e, first) => {
        if (where === "wanted" && ++seen.files === n) throw new Error("boom in wanted");
        return wanted(e, first);
      },
      (e, type, text) => {
        if (where === "visit" && type === 8 && ++seen.files === n) throw new Error("boom in visit");
        visit(e, type, text);
      },
    );
  return { scan, seen };
}

/** A store whose by-owner scans go through `scan` (the seam the plugin's store uses). */
class ScanStore extends DiskStore {
  constructor(
    dataDir: string,
    private readonly scan: ScanDir,
  ) {
    super(dataDir, "net");
  }
  protected override scanEntries(...args: Parameters<ScanDir>): void {
    this.scan(...args);
  }
}

function seed(dir: string): void {
  mkdirSync(join(dir, "sub"), { recursive: true });
  for (let i = 2; i < 8; i++) writeFileSync(join(dir, `10.0.0.${i}`), i === 5 ? "c1\r\neth0" : `other${i}\r\neth0`);
  writeFileSync(join(dir, "sub", "10.0.0.9"), "c1\r\neth0");
}

describe("an exception inside a by-owner scan's callbacks reaches the caller", () => {
  test("thrown by visit: ownedBy throws it, instead of returning what it had found so far", () => {
    using tmp = tempDir();
    seed(tmp.path);
    const { scan, seen } = throwingScan(1, "visit");
    expect(() => ownedBy(tmp.path, scan, "c1", "eth0")).toThrow("boom in visit");
    expect(seen.files).toBe(1);
  });

  test("thrown by wanted: ownedBy throws it", () => {
    using tmp = tempDir();
    seed(tmp.path);
    const { scan } = throwingScan(2, "wanted");
    expect(() => ownedBy(tmp.path, scan, "c1", "eth0")).toThrow("boom in wanted");
  });

  test("thrown in a subdirectory's scan: ownedBy throws it", () => {
    using tmp = tempDir();
    seed(tmp.path);
    // Seven regular files in all: the one in sub/ is the seventh (subdirectories are walked last).
    const { scan } = throwingScan(7, "visit");
    expect(() => ownedBy(tmp.path, scan, "c1", "eth0")).toThrow("boom in visit");
  });

  test("a DEL whose walk fails says so and keeps the reservation (it never reports a release it did not make)", async () => {
    using tmp = tempDir();
    const conf = { cniVersion: "1.0.0", name: "net", ipam: { dataDir: tmp.path, ranges: [[{ subnet: "10.0.0.0/24" }]] } };
    const dir = join(tmp.path, "net");
    seed(dir);
    const open = () => new ScanStore(tmp.path, throwingScan(1, "visit").scan);
    await expect(hostLocalDel(cmdArgs("DEL", conf, { containerId: "c1" }), open)).rejects.toThrow("boom in visit");
    expect(existsSync(join(dir, "10.0.0.5"))).toBe(true);
    expect(existsSync(join(dir, "sub", "10.0.0.9"))).toBe(true);
  });
});

describe("a directory that cannot be listed is still skipped, as before scans", () => {
  test("a network directory that is gone holds nothing", () => {
    using tmp = tempDir();
    const owned = ownedBy(join(tmp.path, "gone"), scanDirTexts, "c1", "eth0");
    expect(owned).toEqual({ exact: [], legacy: [], either: [], emptyScratch: [] });
  });

  test("a subdirectory removed between its parent's listing and its own is skipped, the rest found", () => {
    using tmp = tempDir();
    seed(tmp.path);
    const scan: ScanDir = (dir, wanted, visit) => {
      if (dir === join(tmp.path, "sub")) rmSync(dir, { recursive: true });
      scanDirTexts(dir, wanted, visit);
    };
    const owned = ownedBy(tmp.path, scan, "c1", "eth0");
    expect(owned.exact.map((e) => e.name)).toEqual(["10.0.0.5"]);
    expect(readdirSync(tmp.path)).not.toContain("sub");
  });

  test("a subdirectory path that is a file by the time it is listed is skipped, the rest found", () => {
    using tmp = tempDir();
    seed(tmp.path);
    const scan: ScanDir = (dir, wanted, visit) => {
      if (dir === join(tmp.path, "sub")) {
        rmSync(dir, { recursive: true });
        writeFileSync(dir, "c1\r\neth0");
      }
      scanDirTexts(dir, wanted, visit);
    };
    expect(ownedBy(tmp.path, scan, "c1", "eth0").exact.map((e) => e.name)).toEqual(["10.0.0.5"]);
  });
});
