/** bridge GC's masquerade sweep (src/firewall/masq-gc.ts), on parsed state: no kernel needed. */
import { expect, test } from "bun:test";
import { parseIptablesSave } from "../../../src/firewall/iptables.ts";
import { masqIptablesGc, staleNftMasqInstances } from "../../../src/firewall/masq-gc.ts";
import { masqChainName, nftMasqComment, nftMasqInstanceHash } from "../../../src/firewall/names.ts";

const chain = (id: string) => masqChainName("mynet", id);
const save = `*nat
:POSTROUTING ACCEPT [0:0]
:${chain("keep")} - [0:0]
:${chain("stale")} - [0:0]
-A POSTROUTING -s 10.1.0.2/32 -m comment --comment "name: \\"mynet\\" id: \\"keep\\"" -j ${chain("keep")}
-A POSTROUTING -s 10.1.0.3/32 -m comment --comment "name: \\"mynet\\" id: \\"stale\\"" -j ${chain("stale")}
-A POSTROUTING -s 10.9.0.3/32 -m comment --comment "name: \\"other\\" id: \\"x\\"" -j ${masqChainName("other", "x")}
COMMIT
`;

test("iptables: only this network's chains without a valid attachment go", () => {
  const plans = masqIptablesGc({ network: "mynet", valid: [{ containerId: "keep", ifname: "eth0" }] }, new Map([[4, parseIptablesSave(save)]]));
  expect(plans).toEqual([{ family: 4, ops: [{ op: "remove-chain", chain: chain("stale") }] }]);
});

test("nftables: stale instances of this network are deleted by their hash prefix", () => {
  const rule = (net: string, id: string) => ({ chain: "masq_checks", handle: 1, comment: nftMasqComment(net, "eth0", id), rule: { matches: [], verdict: { kind: "masquerade" } } as const, targets: [] });
  const table = { chains: new Set(["masq_checks"]), rules: [rule("mynet", "keep"), rule("mynet", "stale"), rule("other", "x")] };
  expect(staleNftMasqInstances(table, { network: "mynet", valid: [{ containerId: "keep", ifname: "eth0" }] })).toEqual([nftMasqInstanceHash("mynet", "eth0", "stale")]);
});
