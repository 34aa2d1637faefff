/**
 * bridge vs the v1.9.1 oracle as runtimes call it (scenarios played by bridge-scenario.ts): each
 * runtime config at its own cniVersion, and containerd and CRI-O at every spec version (0.1.0 …
 * 1.1.0 and absent, with GC and STATUS at 1.1.0), through a whole ADD, CHECK, DEL lifecycle.
 * The options one by one and the v1.9 keys: bridge-options.test.ts. Where tscni deliberately
 * differs (failed-ADD cleanup, DEL without netns): bridge-failure.test.ts; L2 CHECK, gw-less
 * default routes and GC of masquerade rules: bridge-fixes.test.ts; swaps: bridge-swap.test.ts.
 */
import { beforeAll, describe, test } from "bun:test";
import { requireIsolatedHost } from "../harness.ts";
import { privateVarLib } from "../fixtures/bridge/support.ts";
import { atVersion, type Conf, RUNTIME_CONFIGS } from "../fixtures/bridge/runtime-configs.ts";
import { compare, lifecycle } from "./bridge-scenario.ts";

requireIsolatedHost();

const TIMEOUT = 120_000;

beforeAll(() => privateVarLib());

describe("runtime configs (users-and-runtimes §3) at their own cniVersion", () => {
  for (const [name, conf] of Object.entries(RUNTIME_CONFIGS)) {
    test(name, () => compare({ name, conf, steps: lifecycle(conf.cniVersion as string) }), TIMEOUT);
  }
});

const ORACLE_VERSIONS = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0", undefined] as const;

// containerd at every version; CRI-O (its own 0.3.1 is above) at 1.1.0 only, to keep the budget.
describe("every spec version", () => {
  for (const rt of ["containerd", "cri-o"] as const) {
    const conf = RUNTIME_CONFIGS[rt] as Conf;
    for (const v of ORACLE_VERSIONS) {
      if (v === conf.cniVersion || (rt === "cri-o" && v !== "1.1.0")) continue;
      test(`${rt} at ${v ?? "no cniVersion"}`, () => compare({ name: rt, conf: atVersion(conf, v), steps: lifecycle(v) }), TIMEOUT);
    }
  }
});
