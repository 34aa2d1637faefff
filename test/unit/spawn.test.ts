/** spawnCollect: the one runner every exec of another program goes through. */
import { describe, expect, test } from "bun:test";
import { spawnCollect } from "../../src/spawn.ts";
import { SYSTEM_PATH } from "../harness.ts";

const env = { PATH: SYSTEM_PATH };

describe("spawnCollect", () => {
  test("feeds stdin and collects stdout, stderr and the exit status apart", async () => {
    expect(await spawnCollect(["cat"], { env, stdin: new TextEncoder().encode("to stdout") })).toEqual({ code: 0, stdout: "to stdout", stderr: "", signal: null, timedOut: false });
    const failed = await spawnCollect(["ls", "/nonexistent-spawn-test"], { env });
    expect(failed.code).not.toBe(0);
    expect(failed.stdout).toBe("");
    expect(failed.stderr).toContain("/nonexistent-spawn-test");
    expect(failed.timedOut).toBe(false);
  });

  test("without stdin the child reads end of file at once", async () => {
    expect(await spawnCollect(["cat"], { env })).toEqual({ code: 0, stdout: "", stderr: "", signal: null, timedOut: false });
  });

  test("a child past the time bound is killed and the answer says so", async () => {
    const r = await spawnCollect(["sleep", "60"], { env, timeoutMs: 50 });
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe("SIGKILL");
  });

  test("argv0 is what the child sees as its name", async () => {
    const r = await spawnCollect(["cat", "/proc/self/cmdline"], { env, argv0: "loopback-probe" });
    expect(r.stdout.split("\0")[0]).toBe("loopback-probe");
  });

  test("a program that does not exist throws (the callers report it)", async () => {
    await expect(spawnCollect(["/nonexistent/program"], { env })).rejects.toThrow();
  });
});
