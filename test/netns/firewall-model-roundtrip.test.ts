/**
 * Every rule the iptables planners write, model -> iptables-restore text -> kernel -> model: the
 * plans are rendered as restore input for an empty nat table and fed to the node's own
 * iptables-restore (iptables-nft here), then the nat tables are read back over netlink and every
 * rule decodes to the planned model, chain by chain, in order. On iptables-legacy (read back
 * only as text) the saved lines are the model's spelling and parse back to the planned model.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync } from "node:fs";
import { parseIptablesSave, renderIptables } from "../../src/firewall/iptables.ts";
import type { IptablesPlan } from "../../src/firewall/model.ts";
import { type Rule, ruleArgs, sameRule } from "../../src/firewall/rule.ts";
import { parseRuleArgs } from "../../src/firewall/rule-parse.ts";
import { decodeXtRule } from "../../src/firewall/xt-decode.ts";
import { NFPROTO_IPV4, NFPROTO_IPV6 } from "../../src/netlink/nft/constants.ts";
import { NftSession } from "../../src/netlink/nft/session.ts";
import { expectedChains, PLANNED } from "../fixtures/firewall/iptables-rules.ts";
import { mustExec, requireIsolatedHost } from "../harness.ts";

requireIsolatedHost();
setDefaultTimeout(60_000);

const ENV = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" };
const EMPTY = parseIptablesSave("");

async function restore(tool: "" | "-legacy", plans: readonly IptablesPlan[]): Promise<void> {
  // externalSetMarkChain names a chain someone else (kube-proxy) keeps; the rules need it there.
  for (const family of ["iptables", "ip6tables"]) await mustExec([`${family}${tool}`, "-t", "nat", "-N", "KUBE-MARK-MASQ"], { env: ENV });
  for (const plan of plans) {
    const text = renderIptables(plan, EMPTY);
    expect(text).not.toBe("");
    await mustExec([`${plan.family === 4 ? "iptables" : "ip6tables"}${tool}-restore`, "--noflush"], { stdin: text, env: ENV });
  }
}

/** Every chain's rules of both nat tables, decoded, keyed "<family> <chain>" like expectedChains. */
function kernelChains(): Map<string, Rule[]> {
  using s = NftSession.open();
  const rs = s.read([{ family: NFPROTO_IPV4, name: "nat" }, { family: NFPROTO_IPV6, name: "nat" }]);
  const out = new Map<string, Rule[]>();
  for (const r of rs.rules) {
    const key = `${r.family === NFPROTO_IPV4 ? 4 : 6} ${r.chain}`;
    out.set(key, [...(out.get(key) ?? []), decodeXtRule(r.family, r.exprs)]);
  }
  return out;
}

async function fresh(): Promise<void> {
  await mustExec(["nft", "flush", "ruleset"]);
}

describe("model -> restore text -> iptables-nft -> netlink -> model", () => {
  test.each(PLANNED)("%s", async (_name, plans) => {
    await fresh();
    await restore("", plans);
    const want = expectedChains(plans);
    const have = kernelChains();
    expect([...have.keys()].sort()).toEqual([...want.keys()].sort());
    let count = 0;
    for (const [chain, rules] of want) {
      const got = have.get(chain) ?? [];
      expect({ chain, got }).toEqual({ chain, got: rules });
      expect(got.every((r, i) => sameRule(r, rules[i] as Rule))).toBe(true);
      count += rules.length;
    }
    expect(count).toBeGreaterThan(2);
  });
});

const legacy = existsSync("/usr/sbin/iptables-legacy-restore") && existsSync("/usr/sbin/ip6tables-legacy-save");
if (!legacy) console.log("SKIP iptables-legacy round trip: no iptables-legacy tools on this machine");

describe.skipIf(!legacy)("model -> restore text -> iptables-legacy -> iptables-save -> model", () => {
  test.each(PLANNED)("%s", async (_name, plans) => {
    for (const family of [4, 6] as const) await mustExec([`${family === 4 ? "iptables" : "ip6tables"}-legacy`, "-t", "nat", "-F"], { env: ENV });
    await restore("-legacy", plans);
    for (const [key, rules] of expectedChains(plans)) {
      const [family, chain] = key.split(" ") as ["4" | "6", string];
      const saved = await mustExec([`${family === "4" ? "iptables" : "ip6tables"}-legacy-save`, "-t", "nat"], { env: ENV });
      const have = parseIptablesSave(saved).rules.get(chain) ?? [];
      expect({ chain, have }).toEqual({ chain, have: rules.map((r) => ruleArgs(family === "4" ? 4 : 6, r)) });
      expect(have.map(parseRuleArgs)).toEqual(rules);
    }
    for (const family of ["iptables", "ip6tables"]) {
      await mustExec([`${family}-legacy`, "-t", "nat", "-F"], { env: ENV });
      await mustExec([`${family}-legacy`, "-t", "nat", "-X"], { env: ENV });
    }
  });
});
