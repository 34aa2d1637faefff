/**
 * The plugin's stdio through the compiled binary: the one stdout document is never truncated,
 * even on a non-blocking pipe whose reader is slow (Go runtimes hand plugins such pipes), the
 * exit status survives, and TSCNI_PROFILE adds exactly one stderr line (none when off).
 */
import { dlopen, FFIType } from "bun:ffi";
import { describe, expect, test } from "bun:test";
import { parseProfileLines } from "../../src/profile.ts";
import { requireIsolatedHost, runCni, SYSTEM_PATH, tempNetns, tscni } from "../harness.ts";

requireIsolatedHost();

const libc = dlopen("libc.so.6", {
  pipe2: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  read: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64_fast },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
}).symbols;
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;

/** Runs `binary` with stdout on a non-blocking pipe that is read only after `delayMs`, slowly. */
async function runOnSlowPipe(binary: string, env: Record<string, string>, stdin: string, delayMs: number) {
  const fds = new Int32Array(2);
  expect(libc.pipe2(fds, O_NONBLOCK | O_CLOEXEC)).toBe(0);
  const [rd, wr] = [fds[0] ?? -1, fds[1] ?? -1];
  const proc = Bun.spawn([binary], { env, stdin: new TextEncoder().encode(stdin), stdout: wr, stderr: "pipe" });
  libc.close(wr);
  await Bun.sleep(delayMs);
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(4096);
  for (;;) {
    const n = Number(libc.read(rd, buf, buf.length));
    if (n === 0) break;
    if (n > 0) chunks.push(buf.slice(0, n));
    else await Bun.sleep(1); // EAGAIN: the writer is behind
  }
  libc.close(rd);
  const code = await proc.exited;
  const stdout = Buffer.concat(chunks).toString();
  return { code, stdout, stderr: await new Response(proc.stderr).text() };
}

describe("stdout on a slow non-blocking pipe", () => {
  test("a 300 KiB error document arrives whole, exit status 1 kept", async () => {
    // The reference echoes an invalid network name in the error's details: a large document.
    const name = `bad name ${"x".repeat(300 * 1024)}`;
    const r = await runOnSlowPipe(
      tscni("loopback"),
      { PATH: SYSTEM_PATH, CNI_COMMAND: "ADD", CNI_CONTAINERID: "c1", CNI_NETNS: "/proc/self/ns/net", CNI_IFNAME: "lo", CNI_PATH: "/opt/cni/bin" },
      JSON.stringify({ cniVersion: "1.0.0", name, type: "loopback" }),
      300,
    );
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ code: 7, msg: "invalid characters found in network name", details: name });
  });

  test("VERSION arrives whole with exit status 0", async () => {
    const r = await runOnSlowPipe(tscni("portmap"), { PATH: SYSTEM_PATH, CNI_COMMAND: "VERSION" }, "", 200);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ cniVersion: "1.1.0" });
  });
});

describe("TSCNI_PROFILE", () => {
  const conf = { cniVersion: "1.0.0", name: "lo-net", type: "loopback" };

  test("off: stderr stays empty (VERSION and ADD)", async () => {
    await using ns = await tempNetns();
    const v = await runCni(tscni("loopback"), { command: "VERSION" });
    const a = await runCni(tscni("loopback"), { command: "ADD", containerId: "c1", netns: ns.path, ifname: "eth0", path: "/opt/cni/bin", stdin: conf });
    expect([v.stderr, a.stderr]).toEqual(["", ""]);
    expect(a.code).toBe(0);
  });

  test("on: ADD prints one line with every phase, stdout unchanged", async () => {
    await using ns = await tempNetns();
    const call = { command: "ADD", containerId: "c1", netns: ns.path, ifname: "eth0", path: "/opt/cni/bin", stdin: conf };
    const plain = await runCni(tscni("loopback"), call);
    const r = await runCni(tscni("loopback"), { ...call, env: { TSCNI_PROFILE: "1" } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(plain.stdout);
    expect(r.stderr.split("\n").filter((l) => l !== "")).toHaveLength(1);
    const [rec] = parseProfileLines(r.stderr);
    expect(rec?.label).toBe("loopback ADD");
    expect([...(rec?.phases.keys() ?? [])]).toEqual(expect.arrayContaining(["start", "imports", "libc", "stdin", "decode", "load", "verb", "output"]));
    // Peak RSS read back through libc: a compiled Bun program is never below 5 MiB.
    expect(rec?.rssMiB).toBeGreaterThan(5);
  });

  test("on: a failing call keeps its error document and exit status", async () => {
    const r = await runCni(tscni("loopback"), { command: "ADD", containerId: "c1", netns: "/nonexistent", ifname: "eth0", path: "/opt/cni/bin", stdin: "{", env: { TSCNI_PROFILE: "1" } });
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ code: 6 });
    expect(parseProfileLines(r.stderr).map((p) => p.label)).toEqual(["loopback ADD"]);
  });

  test("on: VERSION prints its line too", async () => {
    const r = await runCni(tscni("host-local"), { command: "VERSION", env: { TSCNI_PROFILE: "1" } });
    expect(r.code).toBe(0);
    expect(parseProfileLines(r.stderr).map((p) => [...p.phases.keys()])).toEqual([["start", "profile", "output"]]);
  });
});
