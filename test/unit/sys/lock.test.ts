/**
 * The kernel layer reports a lock it could not get in its own terms; the CNI layer gives it the
 * spec's code: a wait that timed out is 11 (try again later), as runtimes retry on it.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CniError } from "../../../src/cni/index.ts";
import { FileError, LockError, lockFile, OwnNetnsError } from "../../../src/sys/index.ts";
import { tempDir } from "../../harness.ts";

describe("lockFile", () => {
  test("a second holder waits, then gets a timeout LockError that CNI reports as code 11", async () => {
    using dir = tempDir("tscni-lock-");
    const path = join(dir.path, "sub", "lock");
    using _held = await lockFile(path, { timeoutMs: 1000 });
    const err = await lockFile(path, { timeoutMs: 30 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LockError);
    expect({ kind: (err as LockError).kind, path: (err as LockError).path }).toEqual({ kind: "timeout", path });
    expect(CniError.from(err).toJSON()).toEqual({ code: 11, msg: `timed out waiting for lock ${path}` });
  });

  test("missing folders are made with dirMode, the file with fileMode; an existing folder keeps its mode", async () => {
    using dir = tempDir("tscni-lock-");
    const path = join(dir.path, "a", "b", "lock");
    (await lockFile(path, { timeoutMs: 1000, dirMode: 0o711, fileMode: 0o640 })).release();
    expect([statSync(join(dir.path, "a")).mode & 0o777, statSync(join(dir.path, "a", "b")).mode & 0o777]).toEqual([0o711, 0o711]);
    expect(statSync(path).mode & 0o777).toBe(0o640);
    const kept = join(dir.path, "kept");
    mkdirSync(kept, { mode: 0o700 });
    (await lockFile(join(kept, "lock"), { timeoutMs: 1000, dirMode: 0o755 })).release();
    expect(statSync(kept).mode & 0o777).toBe(0o700);
  });

  /** The FileError lockFile fails with for `path`: its code, syscall and path. */
  async function lockFailure(path: string): Promise<{ code: string; syscall: string; path: string }> {
    const err = await lockFile(path, { timeoutMs: 30 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FileError);
    const { code, syscall, path: at } = err as FileError;
    return { code, syscall, path: at };
  }

  test("a folder that is a file: mkdir's EEXIST, as before the open-first path, and nothing created", async () => {
    using dir = tempDir("tscni-lock-");
    const notDir = join(dir.path, "run");
    writeFileSync(notDir, "");
    expect(await lockFailure(join(notDir, "lock"))).toEqual({ code: "EEXIST", syscall: "mkdir", path: notDir });
    expect(statSync(notDir).isFile()).toBe(true);
    expect(existsSync(join(dir.path, "lock"))).toBe(false);
  });

  test("a path holding a NUL: mkdir's EINVAL for the folder, as when the folder was made first", async () => {
    using dir = tempDir("tscni-lock-");
    const folder = join(dir.path, "a\0b");
    expect(await lockFailure(join(folder, "lock"))).toEqual({ code: "EINVAL", syscall: "mkdir", path: folder });
  });

  test("the lock is free again once released", async () => {
    using dir = tempDir("tscni-lock-");
    const path = join(dir.path, "lock");
    const first = await lockFile(path, { timeoutMs: 1000 });
    // Held: a second taker times out, so the success below is the release's doing.
    await expect(lockFile(path, { timeoutMs: 30 })).rejects.toBeInstanceOf(LockError);
    first.release();
    const taken = lockFile(path, { timeoutMs: 30 }).then((held) => {
      held.release();
      return "taken";
    });
    await expect(taken).resolves.toBe("taken");
  });
});

test("an unidentifiable own netns is CNI code 8", () => {
  expect(CniError.from(new OwnNetnsError(2)).toJSON()).toEqual({ code: 8, msg: "get plugin's netns failed" });
});
