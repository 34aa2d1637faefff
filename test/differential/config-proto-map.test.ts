/**
 * Keys JavaScript treats specially (`__proto__`, `constructor`, `prototype`) inside the nested
 * objects of a config, against both live oracles. Go decodes them as any other key: in a map with
 * typed values (`capabilities`, a map[string]bool) a value of the wrong type is refused, in the
 * document's order; in a struct (`runtimeConfig`, `args`, `dns`, `cni.dev/valid-attachments`
 * entries, `ipam`) an unknown key is ignored, and its members set no field. Refusals must match
 * v1.9.1's exit, code and message and v1.1.1's exit and code (v1.1.1's loopback names the struct
 * NetConf where v1.9.1 says PluginConf); accepted configs must print v1.9.1's result. Go matches
 * keys to fields case-insensitively with Unicode's simple folding, so `ſ` (U+017F) is an `s` there
 * (`"capabilitieſ"` is the capabilities map, `"cniVerſion"` the version), which toLowerCase alone
 * does not give.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { repoRoot, requireIsolatedHost, runCni, tempDir, tempNetns, tscni } from "../harness.ts";
import { countCase, v111, v191, V111_DIR, V191_DIR } from "./oracles.ts";

requireIsolatedHost();
setDefaultTimeout(60_000);

interface Outcome {
  exit: number;
  code: unknown;
  msg: unknown;
  stdout: string;
}

const PREV = '"prevResult":{"cniVersion":"1.0.0","ips":[{"address":"10.231.0.5/24"}]}';

/** One ADD of `extra` in a config of `plugin`, in a netns and dataDir of its own. */
async function add(plugin: string, binary: string, dir: string, extra: string, n: number, version = '"cniVersion":"1.0.0"', prev = PREV): Promise<Outcome> {
  await using ns = await tempNetns();
  using data = tempDir("tscni-proto-map-");
  const ipam = `"ipam":{"type":"host-local","subnet":"10.231.${n}.0/24","dataDir":"${data.path}"}`;
  const stdin = `{${version},"name":"protomap","type":"${plugin}","bridge":"brpm${n}",${extra},${plugin === "bridge" ? ipam : prev}}`;
  const call = { containerId: "protomap", netns: ns.path, ifname: "eth0", path: dir, stdin };
  const r = await runCni(binary, { ...call, command: "ADD" });
  const j = (r.json ?? {}) as { code?: unknown; msg?: unknown };
  if (r.code === 0) {
    const del = await runCni(binary, { ...call, command: "DEL" });
    if (del.code !== 0) throw new Error(`${binary} DEL: exit ${del.code}: ${del.stdout}`);
  }
  return { exit: r.code, code: j.code, msg: j.msg, stdout: r.stdout };
}

async function all(plugin: string, extra: string, version?: string, prev?: string): Promise<{ ref: Outcome; old: Outcome; ours: Outcome }> {
  const ref = await add(plugin, v191(plugin), V191_DIR, extra, 1, version, prev);
  const old = await add(plugin, v111(plugin), V111_DIR, extra, 2, version, prev);
  const ours = await add(plugin, tscni(plugin), join(repoRoot, "dist"), extra, 3, version, prev);
  countCase(plugin, "ADD");
  return { ref, old, ours };
}

const REFUSED = [
  '"capabilities":{"__proto__":{"portMappings":true}}',
  '"capabilities":{"constructor":"x"}',
  '"capabilities":{"prototype":1}',
  '"capabilities":{"__proto__":{},"a":"x"}',
  '"capabilities":{"a":"x","__proto__":{}}',
  '"capabilitie\u017f":{"a":"x"}',
];

const ACCEPTED = [
  '"capabilities":{"__proto__":true,"portMappings":true}',
  '"capabilitie\u017f":{"a":true}',
  '"capabilities":{"__proto__":null,"constructor":false}',
  '"runtimeConfig":{"__proto__":{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}],"mac":"zz"}}',
  '"args":{"__proto__":{"cni":{"mac":"zz"}}}',
  '"args":{"cni":{"__proto__":{"mac":"zz"}}}',
  '"dns":{"__proto__":{"nameservers":"x"}}',
  '"cni.dev/valid-attachments":[{"__proto__":5,"constructor":[]}]',
];

for (const plugin of ["loopback", "bridge", "portmap"]) {
  describe(`${plugin}: special keys in nested objects, as v1.9.1 and v1.1.1`, () => {
    test.each(REFUSED)("refused: %s", async (extra) => {
      const { ref, old, ours } = await all(plugin, extra);
      expect(ref.exit).toBe(1);
      expect(ours).toEqual(ref);
      expect({ exit: ours.exit, code: ours.code }).toEqual({ exit: old.exit, code: old.code });
    });

    test.each(ACCEPTED)("accepted: %s", async (extra) => {
      const { ref, old, ours } = await all(plugin, extra);
      expect(ref.exit).toBe(0);
      expect(old.exit).toBe(0);
      expect(ours.exit).toBe(0);
      // bridge's result names a random veth and MACs; loopback and portmap print the prevResult.
      if (plugin !== "bridge") expect(ours.stdout).toBe(ref.stdout);
    });

    test("a version under a key Go folds to cniVersion (cniVer\u017fion) is the config's version", async () => {
      // loopback and portmap refuse the 1.0.0 prevResult under a 0.3.1 config, naming the family.
      const { ref, old, ours } = await all(plugin, '"x":1', '"cniVer\u017fion":"0.3.1"');
      expect({ exit: ours.exit, code: ours.code, msg: ours.msg }).toEqual({ exit: ref.exit, code: ref.code, msg: ref.msg });
      expect(ours.exit).toBe(old.exit);
      const version = (o: Outcome): unknown => (JSON.parse(o.stdout) as { cniVersion?: unknown }).cniVersion;
      if (plugin === "bridge") expect([version(ref), version(ours)]).toEqual(["0.3.1", "0.3.1"]);
      else expect(ours.stdout).toBe(ref.stdout);
    });
  });
}

// libcni's ParsePrevResult sets a missing or empty "CNIVersion" to the config's version, then the
// result decoder reads the keys in sorted order: the last that folds to "cniVersion" wins.
describe.each(["loopback", "portmap"])("%s: a prevResult's version as libcni reads it, as v1.9.1 and v1.1.1", (plugin) => {
  test.each(['"cniVer\u017fion":"0.3.1"', '"CNIVERSION":"0.3.1"', '"cniversion":"0.3.1"', '"cniVersion":""', '"cniVersion":"0.3.1","CNIVersion":"1.0.0"'])("%s", async (key) => {
    const prev = `"prevResult":{${key},"ips":[{"version":"4","address":"10.231.0.5/24"}]}`;
    const { ref, old, ours } = await all(plugin, '"x":1', undefined, prev);
    expect({ exit: ours.exit, code: ours.code }).toEqual({ exit: old.exit, code: old.code });
    expect(ours).toEqual(ref);
  });
});
