/**
 * loopback ADD skips its Go-rules config decode for a "plain" config (plugins/loopback/plain-config.ts).
 * That is only sound if every plain config decodes without error and without a prevResult: the
 * sweep below feeds generated configs (NetConf's keys in several cases, unknown keys, every JSON
 * type) to both and fails on any plain config the decode would refuse or read a prevResult from.
 */
import { describe, expect, test } from "bun:test";
import { goJsonParse, tryDecode } from "../../../src/cni/index.ts";
import { NetConfEntries } from "../../../src/cni/netconf.ts";
import { LoopbackConfig } from "../../../plugins/loopback/config.ts";
import { isPlainConfig, NETCONF_KEYS_LOWER } from "../../../plugins/loopback/plain-config.ts";
import { seededRandom } from "../../fixtures/seeded-random.ts";

const KEYS = ["cniVersion", "name", "type", "CNIVERSION", "Name", "TYPE", "capabilities", "Capabilities", "ipam", "dns", "DNS", "prevResult", "prevresult", "cni.dev/valid-attachments", "runtimeConfig", "args", "__proto__", "x", "plugins"];
const VALUES = ['"1.0.0"', '""', "1", "1.0", "null", "true", "[]", "{}", '{"type":"x"}', '{"cniVersion":"1.0.0","ips":[]}', '["a"]'];

describe("loopback's plain config", () => {
  test("knows types.NetConf's keys as the schema declares them", () => {
    expect(NETCONF_KEYS_LOWER).toEqual(Object.keys(NetConfEntries).map((k) => k.toLowerCase()));
  });

  test("containerd's loopback network is plain; a wrongly typed or differently cased NetConf key is not", () => {
    expect(isPlainConfig({ cniVersion: "1.0.0", name: "cni-loopback", type: "loopback" })).toBe(true);
    expect(isPlainConfig({ cniVersion: "1.0.0", name: "n", type: "loopback", runtimeConfig: { x: 1 }, args: [] })).toBe(true);
    expect(isPlainConfig({ cniVersion: 1, name: "n" })).toBe(false);
    expect(isPlainConfig({ cniVersion: null, name: "n" })).toBe(false);
    expect(isPlainConfig({ CNIVersion: "1.0.0", name: "n" })).toBe(false);
    expect(isPlainConfig({ name: "n", capabilities: {} })).toBe(false);
    expect(isPlainConfig({ name: "n", prevResult: { cniVersion: "1.0.0" } })).toBe(false);
  });

  test("every plain config of a generated sweep decodes without error and without a prevResult", () => {
    const rnd = seededRandom(22);
    let plain = 0;
    for (let i = 0; i < 20000; i++) {
      const members: string[] = [];
      for (let n = rnd.below(5); n > 0; n--) members.push(`${JSON.stringify(KEYS[rnd.below(KEYS.length)])}:${VALUES[rnd.below(VALUES.length)]}`);
      const text = `{${members.join(",")}}`;
      const config = goJsonParse(text) as Record<string, unknown>;
      if (!isPlainConfig(config)) continue;
      plain++;
      const r = tryDecode(LoopbackConfig, config);
      if (!r.ok || r.value.prevResult !== undefined) throw new Error(`plain but decoded differently: ${text}`);
    }
    expect(plain).toBeGreaterThan(2000);
  });
});
