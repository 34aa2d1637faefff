/**
 * A new firewall backend is one file plus one line in src/firewall/backends.ts: a copy of the tree
 * gets a toy backend that way (its "kernel" is a JSON file, so what it holds is plain to see), the
 * real build script compiles it, and bridge ipMasq ADD, CHECK and DEL and `tscni gc` use it by
 * name through the compiled links. Nothing else in the copy is edited, so a list of backend names
 * (or a two-way iptables/nftables choice) kept anywhere else fails this test.
 */
import { expect, setDefaultTimeout, test } from "bun:test";
import { cpSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bridgeCall, type Impl } from "../fixtures/bridge/support.ts";
import { exec, mustExec, repoRoot, requireIsolatedHost, SYSTEM_PATH, tempDir, tempNetns } from "../harness.ts";
import { hostLocal } from "./bridge-fixture.ts";

requireIsolatedHost();
setDefaultTimeout(120_000);

const TOY_BACKEND_TS = `/** A toy backend whose kernel is a JSON file: masquerade objects only. */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { FirewallBackend, FirewallEntry, Keep } from "./backend.ts";

interface Obj { network: string; containerId: string; ifname: string; addresses: string[] }

const file = (): string => process.env.TOY_FIREWALL_FILE ?? "/nonexistent/toy-firewall.json";
const load = (): Obj[] => (existsSync(file()) ? (JSON.parse(readFileSync(file(), "utf8")) as Obj[]) : []);
const save = (objs: Obj[]): void => writeFileSync(file(), JSON.stringify(objs));
const same = (a: Omit<Obj, "addresses">, b: Omit<Obj, "addresses">): boolean => a.network === b.network && a.containerId === b.containerId && a.ifname === b.ifname;
const kept = (o: Obj, keep: readonly Keep[]): boolean => keep.some((k) => k.containerId === o.containerId && (k.ifname === "" || k.ifname === o.ifname));
const entry = (o: Obj): FirewallEntry => ({ backend: "toy", kind: "masquerade", where: "toy", key: \`\${o.network}/\${o.containerId}/\${o.ifname}\`, comment: "", containerId: o.containerId });

export const toyBackend: FirewallBackend = {
  name: "toy",
  tool: "toy",
  install: { package: "toy", neededBy: "the toy backend" },
  version: () => "toy 1.0",
  locate: () => undefined,
  usable: async () => true,
  portmapOptions: () => [],
  async read() {
    const objs = load();
    return {
      backend: "toy",
      entries: objs.map(entry),
      duplicates: [],
      foreign: [],
      problems: [],
      planGc(networks) {
        const stale = objs.filter((o) => networks.some((n) => n.network === o.network && !kept(o, n.keep)));
        return {
          items: stale.map((o) => ({ network: o.network, entry: entry(o), containerId: o.containerId })),
          async apply() {
            save(load().filter((o) => !stale.some((s) => same(s, o))));
            return new Map();
          },
        };
      },
    };
  },
  describe: (e, containerId) => \`toy masquerade \${e.key} of \${containerId}\`,
  async apply(want) {
    if (want.kind !== "masquerade") throw new Error("toy: masquerade only");
    save([...load().filter((o) => !same(o, want.req)), { ...want.req, addresses: [...want.req.addresses] }]);
  },
  async check(want) {
    if (want.kind === "masquerade" && !load().some((o) => same(o, want.req))) throw new Error("toy: masquerade missing");
  },
  async removeOwned(owner) {
    if (owner.kind === "masquerade") save(load().filter((o) => !same(o, owner.ref)));
  },
  async removeStale(stale) {
    if (stale.kind === "masquerade") save(load().filter((o) => o.network !== stale.network || kept(o, stale.valid)));
  },
};
`;

/** The registry with one more entry, written the way the existing ones are. */
function withToyEntry(registry: string): string {
  const anchor = /^(\s*)nftables: (.*)$/m;
  const m = anchor.exec(registry);
  if (m === null) throw new Error("src/firewall/backends.ts has no nftables entry to copy the form of");
  return registry.replace(anchor, `${m[0]}\n${m[1]}toy: async () => (await import("./toy-backend.ts")).toyBackend,`);
}

test("a toy backend, one file plus one registry line, serves bridge ipMasq ADD/CHECK/DEL and tscni gc", async () => {
  using tmp = tempDir("tscni-toy-backend-");
  const tree = join(tmp.path, "tree");
  for (const part of ["src", "plugins", "build", "package.json", "tsconfig.json"]) cpSync(join(repoRoot, part), join(tree, part), { recursive: true });
  symlinkSync(join(repoRoot, "node_modules"), join(tree, "node_modules"));
  writeFileSync(join(tree, "src", "firewall", "toy-backend.ts"), TOY_BACKEND_TS);
  const registry = join(tree, "src", "firewall", "backends.ts");
  const before = readFileSync(registry, "utf8");
  writeFileSync(registry, withToyEntry(before));
  expect(readFileSync(registry, "utf8").split("\n").length).toBe(before.split("\n").length + 1);

  const dist = join(tmp.path, "dist");
  const build = await exec([process.execPath, join(tree, "build", "compile.ts"), "--outfile", join(dist, "tscni")], { cwd: tree, env: { PATH: SYSTEM_PATH } });
  expect(build.stderr).toBe("");
  expect(build.code).toBe(0);

  const toyFile = join(tmp.path, "toy-firewall.json");
  const toy = (): { network: string; containerId: string; ifname: string; addresses: string[] }[] => JSON.parse(readFileSync(toyFile, "utf8"));
  const env = { TOY_FIREWALL_FILE: toyFile };
  const impl: Impl = { name: "tscni", bridge: join(dist, "bridge"), cniPath: dist };
  const dataDir = join(tmp.path, "data");
  const conf = { cniVersion: "1.1.0", name: "toynet", type: "bridge", bridge: "toybr0", isGateway: true, ipMasq: true, ipMasqBackend: "toy", ipam: hostLocal(dataDir, ["10.77.0.0/24"]) };

  // ADD: the masquerade goes to the toy backend, and nowhere else.
  await using ns = await tempNetns();
  const add = await bridgeCall(conf, { impl, command: "ADD", netns: ns.path, containerId: "keep", env });
  expect(add.stderr).toBe("");
  expect(add.code).toBe(0);
  expect(toy()).toEqual([{ network: "toynet", containerId: "keep", ifname: "eth0", addresses: ["10.77.0.2/24"] }]);
  expect(await mustExec(["iptables-save", "-t", "nat"])).not.toContain("toynet");
  expect(await mustExec(["nft", "list", "ruleset"])).not.toContain("cni_plugins_masquerade");

  // CHECK passes on the attachment (the bridge's CHECK, like the reference's, does not look at masquerading).
  const check = await bridgeCall({ ...conf, prevResult: add.json }, { impl, command: "CHECK", netns: ns.path, containerId: "keep", env });
  expect({ code: check.code, stdout: check.stdout }).toEqual({ code: 0, stdout: "" });

  // tscni gc: an object of a container nobody lists is shown in the toy's words, then removed; "keep" stays.
  writeFileSync(toyFile, JSON.stringify([...toy(), { network: "toynet", containerId: "ghost", ifname: "eth0", addresses: ["10.77.0.9/24"] }]));
  const confDir = join(tmp.path, "net.d");
  mkdirSync(confDir);
  writeFileSync(join(confDir, "10-toy.conflist"), JSON.stringify({ cniVersion: "1.1.0", name: "toynet", plugins: [{ ...conf, cniVersion: undefined, name: undefined }] }));
  const old = new Date(Date.now() - 2 * 3600 * 1000);
  utimesSync(join(dataDir, "toynet"), old, old);
  const gc = [join(dist, "tscni"), "gc", "--conf-dir", confDir, "--bin-dir", dist, "--cache-dir", join(tmp.path, "cache"), "--valid", "keep:eth0"];
  const dry = await exec(gc, { env: { PATH: SYSTEM_PATH, ...env } });
  expect(dry.code).toBe(0);
  expect(dry.stdout).toBe('remove  network "toynet": toy masquerade toynet/ghost/eth0 of ghost\n');
  expect(toy().map((o) => o.containerId)).toEqual(["keep", "ghost"]);
  const applied = await exec([...gc, "--apply"], { env: { PATH: SYSTEM_PATH, ...env } });
  expect(applied.stderr).toBe("");
  expect(applied.code).toBe(0);
  expect(applied.stdout).toBe(dry.stdout);
  expect(toy().map((o) => o.containerId)).toEqual(["keep"]);

  // DEL removes it from the toy backend (teardown asks every registered backend).
  const del = await bridgeCall(conf, { impl, command: "DEL", netns: ns.path, containerId: "keep", env });
  expect({ code: del.code, stdout: del.stdout }).toEqual({ code: 0, stdout: "" });
  expect(toy()).toEqual([]);
});
