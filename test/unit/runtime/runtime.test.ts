import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  cachedAttachments,
  encodeCacheEntry,
  type ExecRequest,
  loadNetwork,
  parseConfList,
  Runtime,
  scanConfDir,
} from "../../../src/runtime/index.ts";
import { tempDir } from "../../harness.ts";

const enc = (o: unknown): Uint8Array => new TextEncoder().encode(typeof o === "string" ? o : JSON.stringify(o));

/** A bin dir with empty files named like the plugins (findInPath needs regular files). */
function binDir(root: string, names: string[]): string {
  const d = join(root, "bin");
  mkdirSync(d, { recursive: true });
  for (const n of names) writeFileSync(join(d, n), "");
  return d;
}

interface Fake {
  calls: ExecRequest[];
  runtime: Runtime;
}

function fake(root: string, results: Record<string, object | ((req: ExecRequest) => { code: number; stdout: string })>): Fake {
  const calls: ExecRequest[] = [];
  const runtime = new Runtime({
    binDirs: [binDir(root, Object.keys(results))],
    cacheDir: join(root, "cache"),
    env: { PATH: "/usr/bin", CNI_COMMAND: "leaked" },
    stderr: () => {},
    exec: async (req) => {
      calls.push(req);
      const type = req.path.split("/").at(-1) ?? "";
      const r = results[type];
      if (typeof r === "function") return { stderr: "", ...r(req) };
      return { code: 0, stdout: req.env.CNI_COMMAND === "ADD" ? JSON.stringify(r) : "", stderr: "" };
    },
  });
  return { calls, runtime };
}

const rt = { containerId: "c1", netns: "/var/run/netns/x", ifname: "eth0", args: [] as [string, string][] };

describe("conf loading (libcni order)", () => {
  test(".conflist files win over .conf, in file-name order, first name match", () => {
    using d = tempDir();
    writeFileSync(join(d.path, "20-b.conflist"), JSON.stringify({ cniVersion: "1.0.0", name: "net", plugins: [{ type: "second" }] }));
    writeFileSync(join(d.path, "10-a.conflist"), JSON.stringify({ cniVersion: "1.0.0", name: "net", plugins: [{ type: "first" }] }));
    writeFileSync(join(d.path, "00-c.conf"), JSON.stringify({ cniVersion: "1.0.0", name: "net", type: "single" }));
    const l = loadNetwork(d.path, "net");
    expect(l.plugins.map((p) => p.type)).toEqual(["first"]);
    expect(l.file).toBe(join(d.path, "10-a.conflist"));
  });

  test("a .conf or .json becomes a one-plugin list with Go-marshalled bytes", () => {
    using d = tempDir();
    writeFileSync(join(d.path, "10-x.conflist"), JSON.stringify({ cniVersion: "1.0.0", name: "other", plugins: [{ type: "a" }] }));
    writeFileSync(join(d.path, "50-one.json"), '{"type":"loopback","name":"lo","cniVersion":"0.3.1","x":"<&>"}');
    const l = loadNetwork(d.path, "lo");
    expect(new TextDecoder().decode(l.bytes)).toBe(
      '{"cniVersion":"0.3.1","name":"lo","plugins":[{"cniVersion":"0.3.1","name":"lo","type":"loopback","x":"\\u003c\\u0026\\u003e"}]}',
    );
    expect(l.cniVersion).toBe("0.3.1");
  });

  test("a broken conflist before the match is an error; unknown name is reported", () => {
    using d = tempDir();
    writeFileSync(join(d.path, "00-bad.conflist"), "{");
    writeFileSync(join(d.path, "10-ok.conflist"), JSON.stringify({ name: "ok", plugins: [{ type: "a" }] }));
    expect(() => loadNetwork(d.path, "ok")).toThrow();
    const scanned = scanConfDir(d.path);
    expect(scanned.map((s) => s.error === undefined)).toEqual([false, true]);
    using e = tempDir();
    writeFileSync(join(e.path, "10-ok.conflist"), JSON.stringify({ name: "ok", plugins: [{ type: "a" }] }));
    expect(() => loadNetwork(e.path, "nope")).toThrow(`no net configuration with name "nope" in ${e.path}`);
  });

  test("plugins from <dir>/<name>/*.conf are appended unless loadOnlyInlinedPlugins", () => {
    using d = tempDir();
    writeFileSync(join(d.path, "10.conflist"), JSON.stringify({ cniVersion: "1.1.0", name: "n", plugins: [{ type: "a" }] }));
    mkdirSync(join(d.path, "n"));
    writeFileSync(join(d.path, "n", "b.conf"), JSON.stringify({ type: "b" }));
    expect(loadNetwork(d.path, "n").plugins.map((p) => p.type)).toEqual(["a", "b"]);
    writeFileSync(join(d.path, "10.conflist"), JSON.stringify({ cniVersion: "1.1.0", name: "n", loadOnlyInlinedPlugins: true, plugins: [{ type: "a" }] }));
    expect(loadNetwork(d.path, "n").plugins.map((p) => p.type)).toEqual(["a"]);
  });

  test("cniVersions picks the highest version this runtime implements", () => {
    expect(parseConfList(enc({ name: "n", cniVersion: "0.4.0", cniVersions: ["1.0.0", "1.1.0", "9.9.9"], plugins: [{ type: "a" }] })).cniVersion).toBe("1.1.0");
    expect(parseConfList(enc({ name: "n", cniVersion: "1.0.0", plugins: [{ type: "a" }] })).cniVersion).toBe("1.0.0");
  });

  test("disableCheck/disableGC accept booleans and the strings true/false", () => {
    const l = parseConfList(enc({ name: "n", disableCheck: "TRUE", disableGC: true, plugins: [{ type: "a" }] }));
    expect([l.disableCheck, l.disableGC]).toEqual([true, true]);
    expect(() => parseConfList(enc({ name: "n", disableCheck: "yes", plugins: [{ type: "a" }] }))).toThrow("invalid value");
  });

  test("missing type, empty plugins and non-bool capabilities are refused", () => {
    expect(() => parseConfList(enc({ name: "n", plugins: [{}] }))).toThrow("missing 'type'");
    expect(() => parseConfList(enc({ name: "n", plugins: [] }))).toThrow("no plugins in list");
    expect(() => parseConfList(enc({ name: "n", plugins: [{ type: "a", capabilities: { x: 1 } }] }))).toThrow();
  });
});

describe("stdin built for each plugin", () => {
  const list = parseConfList(
    enc({
      cniVersion: "1.0.0",
      name: "net",
      plugins: [{ type: "bridge", zeta: 1, alpha: { b: 1, a: 2 } }, { type: "portmap", capabilities: { portMappings: true, bandwidth: false } }],
    }),
  );
  const [bridge, portmap] = list.plugins;
  if (bridge === undefined || portmap === undefined) throw new Error("fixture");
  const caps = { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }], bandwidth: { x: 1 }, ips: ["10.0.0.9/24"] };

  test("name and cniVersion injected, keys sorted at every level", () => {
    expect(Runtime.pluginStdin(list, bridge, undefined, { ...rt, capabilityArgs: caps })).toBe(
      '{"alpha":{"a":2,"b":1},"cniVersion":"1.0.0","name":"net","type":"bridge","zeta":1}',
    );
  });

  test("only declared (true) capabilities reach runtimeConfig", () => {
    const s = JSON.parse(Runtime.pluginStdin(list, portmap, undefined, { ...rt, capabilityArgs: caps })) as Record<string, unknown>;
    expect(s.runtimeConfig).toEqual({ portMappings: caps.portMappings });
  });

  test("prevResult keeps its version's key order unless runtimeConfig forces a re-marshal", () => {
    const prev = { cniVersion: "0.4.0", interfaces: [], ips: [{ version: "4", address: "10.0.0.2/24" }], dns: {} };
    const noCaps = Runtime.pluginStdin(list, bridge, prev, rt);
    expect(noCaps).toContain('"prevResult":{"cniVersion":"0.4.0","interfaces":[],"ips":[{"version":"4","address":"10.0.0.2/24"}],"dns":{}}');
    const withCaps = Runtime.pluginStdin(list, portmap, prev, { ...rt, capabilityArgs: caps });
    expect(withCaps).toContain('"prevResult":{"cniVersion":"0.4.0","dns":{},"interfaces":[],"ips":[{"address":"10.0.0.2/24","version":"4"}]}');
  });
});

describe("chain execution", () => {
  const conflist = {
    cniVersion: "1.0.0",
    name: "net",
    plugins: [{ type: "loopback" }, { type: "bridge" }, { type: "portmap", capabilities: { portMappings: true } }],
  };
  const bridgeResult = {
    cniVersion: "1.0.0",
    interfaces: [{ name: "eth0", sandbox: "/var/run/netns/x", mac: "aa:bb:cc:dd:ee:ff" }],
    ips: [{ address: "10.88.0.2/16", gateway: "10.88.0.1", interface: 0 }],
  };

  test("ADD runs in order with prevResult, caches like libcni; DEL runs in reverse with the cached result", async () => {
    using d = tempDir();
    const { calls, runtime } = fake(d.path, {
      loopback: { cniVersion: "1.0.0", interfaces: [{ name: "lo", sandbox: "/var/run/netns/x" }], ips: [{ address: "127.0.0.1/8", interface: 0 }] },
      bridge: bridgeResult,
      portmap: bridgeResult,
    });
    const list = parseConfList(enc(conflist));
    const capArgs = { portMappings: [{ hostPort: 80, containerPort: 8080, protocol: "tcp" }] };
    const out = await runtime.add(list, { ...rt, args: [["K8S_POD_NAME", "p"]], capabilityArgs: capArgs });
    expect(calls.map((c) => `${c.env.CNI_COMMAND} ${c.path.split("/").at(-1)}`)).toEqual(["ADD loopback", "ADD bridge", "ADD portmap"]);
    expect(calls[0]?.env).toMatchObject({ CNI_CONTAINERID: "c1", CNI_NETNS: "/var/run/netns/x", CNI_IFNAME: "eth0", CNI_ARGS: "K8S_POD_NAME=p", PATH: "/usr/bin" });
    expect(JSON.parse(calls[0]?.stdin ?? "").prevResult).toBeUndefined();
    expect(JSON.parse(calls[1]?.stdin ?? "").prevResult.ips[0].address).toBe("127.0.0.1/8");
    expect(JSON.parse(calls[2]?.stdin ?? "").runtimeConfig).toEqual(capArgs);
    expect(out.result).toEqual({ cniVersion: "1.0.0", interfaces: bridgeResult.interfaces, ips: bridgeResult.ips });

    const file = join(d.path, "cache", "results", "net-c1-eth0");
    expect(out.cacheFile).toBe(file);
    const text = readFileSync(file, "utf8");
    expect(text).toBe(encodeCacheEntry("net", list.bytes, { ...rt, args: [["K8S_POD_NAME", "p"]], capabilityArgs: capArgs }, out.result));
    expect(Object.keys(JSON.parse(text))).toEqual(["kind", "containerId", "config", "ifName", "networkName", "netns", "cniArgs", "capabilityArgs", "result"]);
    expect(Buffer.from(JSON.parse(text).config, "base64").toString()).toBe(JSON.stringify(conflist));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(d.path, "cache", "results")).mode & 0o777).toBe(0o700);
    expect(cachedAttachments(join(d.path, "cache")).map((a) => [a.network, a.containerId, a.ifname])).toEqual([["net", "c1", "eth0"]]);

    calls.length = 0;
    await runtime.del(list, rt);
    expect(calls.map((c) => `${c.env.CNI_COMMAND} ${c.path.split("/").at(-1)}`)).toEqual(["DEL portmap", "DEL bridge", "DEL loopback"]);
    for (const c of calls) expect(JSON.parse(c.stdin).prevResult.ips[0].address).toBe("10.88.0.2/16");
    expect(cachedAttachments(join(d.path, "cache"))).toEqual([]);
  });

  test("the cache entry is byte-identical to libcni's encoding", () => {
    const bytes = enc('{"name":"n","plugins":[{"type":"a"}]}');
    const text = encodeCacheEntry("n", bytes, { containerId: "c", netns: "", ifname: "eth0", args: [] }, { ips: [{ address: "10.0.0.2/24" }], cniVersion: "1.0.0" });
    expect(text).toBe(
      '{"kind":"cniCacheV1","containerId":"c","config":"eyJuYW1lIjoibiIsInBsdWdpbnMiOlt7InR5cGUiOiJhIn1dfQ==","ifName":"eth0","networkName":"n","result":{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24"}]}}',
    );
  });

  test("a plugin error keeps its code and names the plugin; nothing is cached", async () => {
    using d = tempDir();
    const { runtime } = fake(d.path, {
      loopback: { cniVersion: "1.0.0" },
      bridge: () => ({ code: 1, stdout: JSON.stringify({ code: 11, msg: "busy", details: "try later" }) }),
    });
    const list = parseConfList(enc({ cniVersion: "1.0.0", name: "net", plugins: [{ type: "loopback" }, { type: "bridge" }] }));
    const err = await runtime.add(list, rt).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 11, message: 'plugin type="bridge" failed (add): busy; try later' });
    expect(cachedAttachments(join(d.path, "cache"))).toEqual([]);
  });

  test("a missing plugin binary is reported with the search path", async () => {
    using d = tempDir();
    const { runtime } = fake(d.path, { loopback: {} });
    const list = parseConfList(enc({ cniVersion: "1.0.0", name: "net", plugins: [{ type: "nope" }] }));
    await expect(runtime.add(list, rt)).rejects.toThrow('failed to find plugin "nope" in path');
  });

  test("CHECK: refused below 0.4.0, skipped with disableCheck, cached result converted to the list version", async () => {
    using d = tempDir();
    const { calls, runtime } = fake(d.path, { bridge: bridgeResult });
    const old = parseConfList(enc({ cniVersion: "0.3.1", name: "net", plugins: [{ type: "bridge" }] }));
    await expect(runtime.check(old, rt)).rejects.toThrow('configuration version "0.3.1" does not support the CHECK command');
    const off = parseConfList(enc({ cniVersion: "1.0.0", name: "net", disableCheck: true, plugins: [{ type: "bridge" }] }));
    await runtime.check(off, rt);
    expect(calls).toEqual([]);
    const list = parseConfList(enc({ cniVersion: "1.0.0", name: "net", plugins: [{ type: "bridge" }] }));
    await runtime.add(list, rt);
    const v040 = parseConfList(enc({ cniVersion: "0.4.0", name: "net", plugins: [{ type: "bridge" }] }));
    await runtime.check(v040, rt);
    const prev = JSON.parse(calls.at(-1)?.stdin ?? "").prevResult;
    expect(prev.cniVersion).toBe("0.4.0");
    expect(prev.ips[0]).toEqual({ version: "4", interface: 0, address: "10.88.0.2/16", gateway: "10.88.0.1" });
  });

  test("DEL below 0.4.0 gets no prevResult", async () => {
    using d = tempDir();
    const { calls, runtime } = fake(d.path, { bridge: { cniVersion: "0.3.1", ips: [{ version: "4", address: "10.0.0.2/24" }] } });
    const list = parseConfList(enc({ cniVersion: "0.3.1", name: "net", plugins: [{ type: "bridge" }] }));
    await runtime.add(list, rt);
    await runtime.del(list, rt);
    expect(JSON.parse(calls.at(-1)?.stdin ?? "").prevResult).toBeUndefined();
  });

  test("GC deletes stale cached attachments, then sends GC with both attachment keys (≥ 1.1.0)", async () => {
    using d = tempDir();
    const { calls, runtime } = fake(d.path, { bridge: bridgeResult });
    const list = parseConfList(enc({ cniVersion: "1.1.0", name: "net", plugins: [{ type: "bridge" }] }));
    await runtime.add(list, { ...rt, containerId: "keep" });
    await runtime.add(list, { ...rt, containerId: "stale" });
    calls.length = 0;
    const valid = [{ containerID: "keep", ifname: "eth0" }];
    expect(await runtime.gc(list, valid)).toEqual([]);
    expect(calls.map((c) => `${c.env.CNI_COMMAND} ${c.env.CNI_CONTAINERID}`)).toEqual(["DEL stale", "GC "]);
    const gc = JSON.parse(calls[1]?.stdin ?? "");
    expect(gc["cni.dev/valid-attachments"]).toEqual(valid);
    expect(gc["cni.dev/attachments"]).toEqual(valid);
    expect(cachedAttachments(join(d.path, "cache")).map((a) => a.containerId)).toEqual(["keep"]);
  });

  test("GC and STATUS are not sent below 1.1.0; disableGC skips everything", async () => {
    using d = tempDir();
    const { calls, runtime } = fake(d.path, { bridge: bridgeResult });
    await runtime.gc(parseConfList(enc({ cniVersion: "1.0.0", name: "net", plugins: [{ type: "bridge" }] })), []);
    await runtime.status(parseConfList(enc({ cniVersion: "1.0.0", name: "net", plugins: [{ type: "bridge" }] })));
    await runtime.gc(parseConfList(enc({ cniVersion: "1.1.0", disableGC: true, name: "net", plugins: [{ type: "bridge" }] })), []);
    expect(calls).toEqual([]);
    await runtime.status(parseConfList(enc({ cniVersion: "1.1.0", name: "net", plugins: [{ type: "bridge" }] })));
    expect(calls.map((c) => c.env.CNI_COMMAND)).toEqual(["STATUS"]);
  });
});
