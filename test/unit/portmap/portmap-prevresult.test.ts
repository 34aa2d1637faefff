/** portmap's prevResult as v1.9.1 reads it: the cniVersion Go ends up with, and what it refuses. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makePortmap } from "../../../plugins/portmap/index.ts";
import { goPrevResult } from "../../../src/cni/index.ts";
import { args, errorOf, fake, prevResult, withMappings } from "./portmap-fixtures.ts";

const lockDir = mkdtempSync(join(tmpdir(), "tscni-pm-unit-"));
afterAll(() => rmSync(lockDir, { recursive: true, force: true }));

describe("prevResult as v1.9.1 reads it", () => {
  test("the cniVersion Go ends up with: a missing or empty CNIVersion gets the config's, the last key in sorted order wins", () => {
    expect(goPrevResult({ ips: [] }, "1.0.0")).toEqual({ ips: [], cniVersion: "1.0.0" });
    expect(goPrevResult({ cniVersion: "" }, "1.0.0")).toEqual({ cniVersion: "" });
    expect(goPrevResult({ CNIVersion: "" }, "1.0.0")).toEqual({ cniVersion: "1.0.0" });
    expect(goPrevResult({ CniVersion: "0.4.0" }, "1.0.0")).toEqual({ cniVersion: "0.4.0" });
    // "CNIVERSION" sorts before the injected "CNIVersion", which then wins.
    expect(goPrevResult({ CNIVERSION: "0.4.0" }, "1.0.0")).toEqual({ cniVersion: "1.0.0" });
  });

  test("an explicit empty cniVersion is refused with the library's text; a missing one passes", async () => {
    const empty = await errorOf(makePortmap(fake(lockDir).deps).add(args("ADD", withMappings({ prevResult: { ...prevResult, cniVersion: "" } }))));
    expect(empty).toEqual({
      code: 999,
      msg: 'failed to parse config: could not parse prevResult: could not parse prevResult: result type supports [1.0.0 1.1.0] but unmarshalled CNIVersion is ""',
    });
    const { cniVersion: _, ...noVersion } = prevResult;
    await makePortmap(fake(lockDir).deps).add(args("ADD", withMappings({ prevResult: noVersion })));
  });
});
