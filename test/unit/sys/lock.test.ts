/**
 * The kernel layer reports a lock it could not get in its own terms; the CNI layer gives it the
 * spec's code: a wait that timed out is 11 (try again later), as runtimes retry on it.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { CniError } from "../../../src/cni/index.ts";
import { LockError, lockFile, OwnNetnsError } from "../../../src/sys/index.ts";
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
