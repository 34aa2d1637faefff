import { describe, expect, test } from "bun:test";
import { asChainSees } from "../../differential/chain-mode-world.ts";
import type { Json } from "../../differential/normalize.ts";

describe("asChainSees: the plain run's error as libcni reports it for the tscni-chain entry", () => {
  test("renames the failing list plugin in ADD and DEL wrappers only; the member's text and code stay", () => {
    const plain: Json[] = [
      { step: "0 add", code: 1, stderr: 'tscni: plugin type="failer" failed (add): failer says no; on purpose (CNI error code 11)\n' },
      { step: "1 del", code: 1, stderr: 'tscni: plugin type="bridge" name="x" failed (delete): boom (CNI error code 999)\n' },
      { step: "2 check", code: 1, stderr: "tscni: failer says no; on purpose (CNI error code 11)\n" },
      { step: "3 state", state: { text: 'plugin type="failer" failed (add): in a state stays' } },
    ];
    expect(asChainSees(plain)).toEqual([
      { step: "0 add", code: 1, stderr: 'tscni: plugin type="tscni-chain" failed (add): failer says no; on purpose (CNI error code 11)\n' },
      { step: "1 del", code: 1, stderr: 'tscni: plugin type="tscni-chain" failed (delete): boom (CNI error code 999)\n' },
      plain[2] as Json,
      plain[3] as Json,
    ]);
  });

  test("keeps apart different member messages, codes and verbs", () => {
    const one = asChainSees([{ stderr: 'plugin type="a" failed (add): x (CNI error code 11)' }]);
    expect(one).not.toEqual(asChainSees([{ stderr: 'plugin type="a" failed (add): y (CNI error code 11)' }]));
    expect(one).not.toEqual(asChainSees([{ stderr: 'plugin type="a" failed (add): x (CNI error code 7)' }]));
    expect(one).not.toEqual(asChainSees([{ stderr: 'plugin type="a" failed (delete): x (CNI error code 11)' }]));
  });
});
