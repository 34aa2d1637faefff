/** The entry answers VERSION from a copy (plugins/entry-version.ts) so that it loads no second module. */
import { expect, test } from "bun:test";
import { ENTRY_VERSION_DOCUMENT } from "../../../plugins/entry-version.ts";
import { versionDocument } from "../../../src/cni/spec-versions.ts";

test("the entry's VERSION document is byte for byte the one src/cni/spec-versions.ts builds", () => {
  expect(ENTRY_VERSION_DOCUMENT).toBe(versionDocument());
});
