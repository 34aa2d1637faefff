import { afterEach, describe, expect, spyOn, test } from "bun:test";
import { ProblemList } from "../../../src/cni/schema.ts";
import { checkHostLocalConfig, type HostLocalConfig, loadHostLocalConfig } from "../../../src/ipam/host-local/config.ts";
import { rangeSetString } from "../../../src/ipam/host-local/range.ts";

/** A stdin as a runtime would send it, parsed anew each time (as a delegate parses its own stdin). */
const parsed = (text: string): Record<string, unknown> => JSON.parse(text) as Record<string, unknown>;
const containerd = `{"cniVersion":"1.0.0","name":"containerd-net","type":"bridge","bridge":"cni0","isGateway":true,"ipMasq":true,"promiscMode":true,"ipam":{"type":"host-local","ranges":[[{"subnet":"10.88.0.0/16"}],[{"subnet":"2001:4860:4860::/64"}]],"routes":[{"dst":"0.0.0.0/0"},{"dst":"::/0"}]}}`;

/** What a load gives, or the error it throws, in comparable form. */
function outcome(load: () => HostLocalConfig): unknown {
  try {
    const c = load();
    return { sets: c.rangeSets.map(rangeSetString), routes: c.routes, requested: c.requestedIPs.map(String), dataDir: c.dataDir };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** Whether a load assembled the config itself: a load that does makes one strict ProblemList. */
function assembles(load: () => unknown): boolean {
  const strict = spyOn(ProblemList, "strict");
  try {
    load();
    return strict.mock.calls.length > 0;
  } catch {
    return strict.mock.calls.length > 0;
  } finally {
    strict.mockRestore();
  }
}

afterEach(() => {
  // Leave no kept config to the next test.
  loadHostLocalConfig(parsed(containerd), "");
});

describe("host-local's load takes the config its caller's check just assembled", () => {
  test("the same stdin, parsed again, with the same CNI_ARGS: taken once, then assembled again", () => {
    expect(checkHostLocalConfig(parsed(containerd), "IgnoreUnknown=1", ProblemList.strict())).toBe(true);
    expect(assembles(() => loadHostLocalConfig(parsed(containerd), "IgnoreUnknown=1"))).toBe(false);
    expect(assembles(() => loadHostLocalConfig(parsed(containerd), "IgnoreUnknown=1"))).toBe(true);
  });

  test("a taken config is the one a fresh load assembles", () => {
    const fresh = outcome(() => loadHostLocalConfig(parsed(containerd), ""));
    checkHostLocalConfig(parsed(containerd), "", ProblemList.collect());
    expect(outcome(() => loadHostLocalConfig(parsed(containerd), ""))).toEqual(fresh);
  });

  test("a check that found a problem keeps nothing", () => {
    const p = ProblemList.collect();
    const bad = containerd.replace("10.88.0.0/16", "10.88.0.0/33");
    expect(checkHostLocalConfig(parsed(bad), "", p)).toBe(false);
    expect(assembles(() => loadHostLocalConfig(parsed(bad), ""))).toBe(true);
  });
});

describe("anything but the very same JSON value and CNI_ARGS is assembled anew", () => {
  const cases: [string, string, string, string, string][] = [
    ["other CNI_ARGS", containerd, containerd, "", "IP=10.88.0.9"],
    ["another subnet", containerd, containerd.replace("10.88.0.0/16", "10.89.0.0/16"), "", ""],
    // Go matches keys case-insensitively and the last one wins: the same keys in another order differ.
    [
      "the same keys in another order",
      containerd.replace(`{"subnet":"10.88.0.0/16"}`, `{"subnet":"10.88.0.0/16","Subnet":"10.77.0.0/16"}`),
      containerd.replace(`{"subnet":"10.88.0.0/16"}`, `{"Subnet":"10.77.0.0/16","subnet":"10.88.0.0/16"}`),
      "",
      "",
    ],
    // JSON prints an overflowed number as null: the text alone would call these equal.
    [
      "an overflowed number against null",
      containerd.replace(`{"dst":"0.0.0.0/0"}`, `{"dst":"0.0.0.0/0","mtu":null}`),
      containerd.replace(`{"dst":"0.0.0.0/0"}`, `{"dst":"0.0.0.0/0","mtu":1e400}`),
      "",
      "",
    ],
    [
      "-0 against 0",
      containerd.replace(`{"dst":"0.0.0.0/0"}`, `{"dst":"0.0.0.0/0","mtu":0}`),
      containerd.replace(`{"dst":"0.0.0.0/0"}`, `{"dst":"0.0.0.0/0","mtu":-0}`),
      "",
      "",
    ],
  ];
  for (const [name, checkedText, loadedText, checkedArgs, loadedArgs] of cases) {
    test(name, () => {
      const fresh = outcome(() => loadHostLocalConfig(parsed(loadedText), loadedArgs));
      expect(checkHostLocalConfig(parsed(checkedText), checkedArgs, ProblemList.strict())).toBe(true);
      expect(assembles(() => loadHostLocalConfig(parsed(loadedText), loadedArgs))).toBe(true);
      checkHostLocalConfig(parsed(checkedText), checkedArgs, ProblemList.strict());
      expect(outcome(() => loadHostLocalConfig(parsed(loadedText), loadedArgs))).toEqual(fresh);
    });
  }

  test("the checked value changed in place after its check", () => {
    const raw = parsed(containerd);
    checkHostLocalConfig(raw, "", ProblemList.strict());
    ((raw.ipam as { ranges: { subnet: string }[][] }).ranges[0]![0]!).subnet = "10.99.0.0/16";
    expect(assembles(() => loadHostLocalConfig(parsed(containerd), ""))).toBe(false);
  });
});
