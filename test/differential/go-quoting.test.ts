/**
 * Messages that quote what the caller sent (a netns path, a cniVersion) escape it as Go's %q
 * does, byte for byte against v1.9.1: control and invisible characters are where a JSON-style
 * quote would differ. Nothing here reaches the kernel (the netns does not exist, the version is
 * refused first).
 */
import { describe, expect, test } from "bun:test";
import { exec, SYSTEM_PATH, tscni } from "../harness.ts";
import { countCase, v191 } from "./oracles.ts";

const ODD = "\x01é\u200b\x7f";

async function both(env: Record<string, string>, stdin: string): Promise<void> {
  const run = (binary: string) => exec([binary], { env: { PATH: SYSTEM_PATH, CNI_CONTAINERID: "c1", CNI_IFNAME: "lo", CNI_PATH: "/nonexistent", ...env }, stdin });
  const [ref, ours] = await Promise.all([run(v191("loopback")), run(tscni("loopback"))]);
  countCase("loopback", env.CNI_COMMAND ?? "");
  expect(ref.stdout).toContain("\\\\x01");
  expect({ code: ours.code, stdout: ours.stdout }).toEqual({ code: ref.code, stdout: ref.stdout });
}

describe("Go %q in messages, against v1.9.1", () => {
  test("a netns path in the Statfs error", async () => {
    await both({ CNI_COMMAND: "ADD", CNI_NETNS: `/tmp/no-such-netns${ODD}` }, JSON.stringify({ cniVersion: "1.0.0", name: "n", type: "loopback" }));
  });

  test("a cniVersion in the incompatible-versions details", async () => {
    await both({ CNI_COMMAND: "ADD", CNI_NETNS: "/tmp/no-such-netns" }, JSON.stringify({ cniVersion: `9.9.9${ODD}`, name: "n", type: "loopback" }));
  });
});
