/**
 * A SIGKILL inside a chain-mode ADD leaves nothing the runtime's DEL cannot clean: the containerd
 * list in chain mode (bridge with ipMasq, host-local, portmap with a mapping, all in the one
 * tscni-chain exec) is ADDed under `strace -e inject=<syscall>:signal=SIGKILL:when=N` for N
 * spread over every netlink send and file write of a complete ADD, then DELed as a runtime does;
 * after each, links, addresses, routes, firewall, dataDir and cache equal the state before.
 */
import { expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { toChainMode } from "../../src/cli/chain-mode-convert.ts";
import { execPlugin } from "../../src/cni/index.ts";
import { parseConfList, type PluginExec, Runtime, type RuntimeConf } from "../../src/runtime/index.ts";
import { distDir, requireIsolatedHost, SYSTEM_PATH, tempDir, tempNetns } from "../harness.ts";
import { diff, snapshot } from "../soak/invariants.ts";

requireIsolatedHost();
setDefaultTimeout(600_000);

const KILLS_PER_SYSCALL = 8;

function killing(syscall: string, when: number): PluginExec {
  return async (req) => {
    if (!req.path.endsWith("/tscni-chain")) return execPlugin(req.path, req.env, new TextEncoder().encode(req.stdin));
    const argv = ["strace", "-f", "-qq", "-o", "/dev/null", "-e", `trace=${syscall}`, "-e", `inject=${syscall}:signal=SIGKILL:when=${when}`, "--", req.path];
    const proc = Bun.spawn(argv, { env: req.env, stdin: new TextEncoder().encode(req.stdin), stdout: "pipe", stderr: "pipe" });
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    return { code, stdout, stderr };
  };
}

function counting(syscall: string, out: string, into: { n: number }): PluginExec {
  return async (req) => {
    if (!req.path.endsWith("/tscni-chain")) return execPlugin(req.path, req.env, new TextEncoder().encode(req.stdin));
    const proc = Bun.spawn(["strace", "-f", "-c", "-o", out, "-e", `trace=${syscall}`, "--", req.path], { env: req.env, stdin: new TextEncoder().encode(req.stdin), stdout: "pipe", stderr: "pipe" });
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    const row = (await Bun.file(out).text()).split("\n").map((l) => l.trim().split(/\s+/)).find((f) => f.at(-1) === syscall);
    into.n = Number(row?.[3] ?? 0);
    return { code, stdout, stderr };
  };
}

test.each(["sendto", "write", "openat"])("SIGKILL at %s #N of a chain-mode ADD, then DEL: the state before", async (syscall) => {
  if ((await Bun.spawn(["strace", "-V"], { stdout: "ignore", stderr: "ignore" }).exited) !== 0) {
    console.log("skip: strace is not installed (the kill injection needs it)");
    return;
  }
  using d = tempDir();
  const dirs = { dataDir: join(d.path, "data"), cacheDir: join(d.path, "cache") };
  mkdirSync(dirs.dataDir);
  const plain = {
    cniVersion: "1.0.0",
    name: "killnet",
    plugins: [
      { type: "bridge", bridge: "kill0", isGateway: true, ipMasq: true, ipam: { type: "host-local", dataDir: dirs.dataDir, ranges: [[{ subnet: "10.66.0.0/24" }]], routes: [{ dst: "0.0.0.0/0" }] } },
      { type: "portmap", capabilities: { portMappings: true } },
    ],
  };
  const list = parseConfList(new TextEncoder().encode(JSON.stringify(toChainMode(plain))));
  const runtime = (exec?: PluginExec) => new Runtime({ binDirs: [distDir], cacheDir: dirs.cacheDir, env: { PATH: SYSTEM_PATH }, exec, stderr: () => undefined });
  const att = (id: string, netns: string): RuntimeConf => ({ containerId: id, netns, ifname: "eth0", args: [], capabilityArgs: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }] } });
  // Warm-up: the bridge and the shared chains exist from the first ADD on, by design.
  const calls = { n: 0 };
  {
    await using ns = await tempNetns();
    await runtime(counting(syscall, join(d.path, "count"), calls)).add(list, att("warm", ns.path));
    await runtime().del(list, att("warm", ns.path));
  }
  expect(calls.n).toBeGreaterThan(0);
  const baseline = await snapshot(dirs);
  const stride = Math.max(1, Math.ceil(calls.n / KILLS_PER_SYSCALL));
  let killed = 0;
  for (let when = 1; when <= calls.n + 1; when += stride) {
    await using ns = await tempNetns();
    const ok = await runtime(killing(syscall, when))
      .add(list, att(`k${when}`, ns.path))
      .then(() => true)
      .catch(() => false);
    if (!ok) killed++;
    await runtime().del(list, att(`k${when}`, ns.path));
    expect({ when, left: diff(baseline, await snapshot(dirs)) }).toEqual({ when, left: [] });
  }
  expect(killed).toBeGreaterThan(0);
});
