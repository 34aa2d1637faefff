/**
 * bridge swaps between the references (v1.9.1 and Debian's v1.1.1) and tscni: ADD by one
 * implementation, CHECK and DEL by the other, both directions, both masquerade backends (v1.1.1
 * has iptables only), leaves no veth, no IP reservation, no masquerade chain or nft rule and no
 * macspoofchk chain or rule. Each test runs in its own fresh host netns
 * (test/fixtures/bridge/support.ts).
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { requireIsolatedHost } from "../harness.ts";
import { bridgeCall, type Impl, privateVarLib, REF, REF111, resetDataDir, TS, world } from "../fixtures/bridge/support.ts";
import { CLEAN, failnet, residue } from "./bridge-residue.ts";

requireIsolatedHost();

const TIMEOUT = 120_000;

beforeAll(() => privateVarLib());

describe("swap: ADD by one implementation, CHECK and DEL by the other", () => {
  const swaps: [string, Impl, Impl, "iptables" | "nftables"][] = [];
  for (const backend of ["iptables", "nftables"] as const) {
    for (const ref of backend === "nftables" ? [REF] : [REF, REF111]) {
      swaps.push([`${ref.name} ADD, tscni CHECK+DEL (${backend})`, ref, TS, backend], [`tscni ADD, ${ref.name} CHECK+DEL (${backend})`, TS, ref, backend]);
    }
  }
  test.each(swaps)("%s leaves no veth, reservation, chain or nft rule", async (_name, adder, deleter, backend) => {
    const swapConf = failnet({ ipMasq: true, macspoofchk: true, ...(backend === "nftables" ? { ipMasqBackend: "nftables" } : {}) });
    resetDataDir();
    await using w = await world(1);
    const ctr = w.containers[0];
    const netns = ctr?.path ?? "";
    const a = await bridgeCall(swapConf, { impl: adder, host: w.host, command: "ADD", netns });
    expect({ code: a.code, stdout: a.code === 0 ? "" : a.stdout }).toEqual({ code: 0, stdout: "" });
    const during = await residue(w, ctr, "failnet");
    expect(during).toMatchObject({ hostVeths: 1, containerLinks: ["eth0"], ipFiles: ["10.50.0.2", "fd50::2"] });
    if (backend === "iptables") expect(during.masqChains).toHaveLength(1);
    else expect(during.nftMasqRules).toBe(2);
    expect(during.spoofChains.length).toBeGreaterThan(0);
    const c = await bridgeCall({ ...swapConf, prevResult: a.json }, { impl: deleter, host: w.host, command: "CHECK", netns });
    expect({ code: c.code, stdout: c.stdout }).toEqual({ code: 0, stdout: "" });
    const d = await bridgeCall(swapConf, { impl: deleter, host: w.host, command: "DEL", netns });
    expect({ code: d.code, stdout: d.stdout }).toEqual({ code: 0, stdout: "" });
    expect(await residue(w, ctr, "failnet")).toEqual(CLEAN);
  }, TIMEOUT);
});
