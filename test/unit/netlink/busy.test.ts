/**
 * Waiting out other nf_tables writers: a transient failure (generation moved, EAGAIN, EBUSY,
 * EINTR, ENOBUFS) is retried until the time budget is spent; anything else fails at once; giving
 * up says for how long, how often and why.
 */
import { describe, expect, test } from "bun:test";
import { NetlinkError, NetlinkGaveUp } from "../../../src/netlink/errors.ts";
import { GenerationMoved, isTransient, whileBusy } from "../../../src/netlink/nft/busy.ts";
import { Errno } from "../../../src/sys/index.ts";

describe("whileBusy", () => {
  test("retries a moved generation and transient errnos, then returns the result", () => {
    const failures = [new GenerationMoved("generation 7 became 8 during the read"), new NetlinkError("nf_tables batch", Errno.EAGAIN, undefined, 0), new NetlinkError("NFT_MSG_GETRULE", Errno.EINTR, undefined, 0)];
    let calls = 0;
    const value = whileBusy("op", () => {
      const f = failures[calls++];
      if (f) throw f;
      return "done";
    });
    expect({ value, calls }).toEqual({ value: "done", calls: 4 });
  });

  test("a refusal that is not contention fails at once", () => {
    let calls = 0;
    expect(() =>
      whileBusy("op", () => {
        calls++;
        throw new NetlinkError("nf_tables batch", Errno.ENOENT, "no such chain", 0);
      }),
    ).toThrow("no such file or directory");
    expect(calls).toBe(1);
  });

  test("after the budget: an error naming time, attempts and the last cause", () => {
    let calls = 0;
    let caught: unknown;
    try {
      whileBusy("nf_tables batch", () => {
        calls++;
        throw new GenerationMoved(`generation ${calls} passed before the batch went in (ERESTART)`);
      }, 50);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(NetlinkGaveUp);
    expect((caught as Error).message).toMatch(
      new RegExp(`^nf_tables batch: the nf_tables ruleset stayed busy for 0\\.\\d s \\(${calls} attempts; other writers kept changing it; last: generation ${calls} passed before the batch went in \\(ERESTART\\)\\) \\(resource temporarily unavailable\\)$`),
    );
    expect(calls).toBeGreaterThan(1);
  });

  test("what counts as contention", () => {
    expect(isTransient(new NetlinkError("x", Errno.EBUSY, undefined, 0))).toBe(true);
    expect(isTransient(new NetlinkError("x", Errno.ENOBUFS, undefined, 0))).toBe(true);
    expect(isTransient(new NetlinkError("x", Errno.EPERM, undefined, 0))).toBe(false);
    // A wait that already gave up is final, whatever its errno.
    expect(isTransient(new NetlinkGaveUp("x", Errno.EAGAIN, "busy for 15 s", 0))).toBe(false);
    expect(isTransient(new Error("other"))).toBe(false);
  });
});
