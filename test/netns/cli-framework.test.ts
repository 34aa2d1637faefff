/**
 * The compiled `tscni` as an operator meets it: help through a pipe, no arguments, an unknown
 * flag. (In-process details: test/unit/cli/framework.test.ts.)
 */
import { expect, test } from "bun:test";
import { exec, SYSTEM_PATH, tscni } from "../harness.ts";

// A colour-capable terminal type: the escape sequences must still stay out of a pipe.
const env = { PATH: SYSTEM_PATH, TERM: "xterm-256color" };

test("--help and help through a pipe: plain text on stdout, exit 0", async () => {
  for (const argv of [["--help"], ["help"], ["gc", "--help"], ["help", "doctor"]]) {
    const r = await exec([tscni("tscni"), ...argv], { env });
    expect({ argv, code: r.code }).toEqual({ argv, code: 0 });
    expect(r.stdout).toContain("USAGE");
    expect(r.stdout).not.toContain("\x1b");
  }
});

test("no arguments: usage on stderr, exit 2", async () => {
  const r = await exec([tscni("tscni")], { env });
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr).toContain("USAGE tscni");
  expect(r.stderr).not.toContain("\x1b");
});

test("an unknown flag: exit 2 with one line, nothing on stdout", async () => {
  const r = await exec([tscni("tscni"), "doctor", "--jsn"], { env });
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr).toBe("tscni: unknown flag --jsn\nRun 'tscni doctor --help' for usage.\n");
});

test("`tscni plugin nosuch` says so on stderr (it once exited 1 printing nothing)", async () => {
  const r = await exec([tscni("tscni"), "plugin", "nosuch"], { env });
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr).toStartWith('tscni: unknown plugin "nosuch"');
});
