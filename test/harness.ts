/**
 * Shared test helpers: run a plugin binary exactly as a runtime would, create throwaway
 * container namespaces inside the isolated "host" namespace, and scoped temp dirs.
 * Preloaded by bunfig.toml, so it must stay free of side effects at import time.
 */
import { mkdirSync, mkdtempSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PLUGIN_NAMES } from "../plugins/registry.ts";

export const repoRoot = resolve(import.meta.dir, "..");
export const distDir = join(repoRoot, "dist");
export const referenceDir = "/usr/lib/cni";
export const PLUGINS = PLUGIN_NAMES;
export const SPEC_VERSIONS = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] as const;
/** Generous per-test timeout for tests that exec binaries or touch the kernel. */
export const NETNS_TIMEOUT = 60_000;

export const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export function isIsolatedHost(): boolean {
  return process.env.TSCNI_ISOLATED === "1";
}

/**
 * Netns tests must only ever run inside the runner's private network + mount namespace
 * (test/run.ts), never in the machine's own. Calling this at the top of such a file makes a
 * direct `bun test` of it fail loudly instead of touching the real host.
 */
export function requireIsolatedHost(): void {
  if (!isIsolatedHost()) {
    throw new Error(
      "this test file changes kernel state: run it through test/run.ts (make test), " +
        "which gives it a throwaway host network namespace",
    );
  }
  if (process.getuid?.() !== 0) throw new Error("netns tests need root");
}

export interface TempDir extends Disposable {
  path: string;
}

export function tempDir(prefix = "tscni-"): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
}

export interface Exec {
  stdout: string;
  stderr: string;
  code: number;
}

export async function exec(argv: string[], opts: { stdin?: string; env?: Record<string, string>; cwd?: string } = {}): Promise<Exec> {
  const proc = Bun.spawn(argv, {
    stdin: opts.stdin === undefined ? "ignore" : new TextEncoder().encode(opts.stdin),
    stdout: "pipe",
    stderr: "pipe",
    env: opts.env ?? { PATH: SYSTEM_PATH },
    cwd: opts.cwd,
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}

/** Runs a command and fails the test with its stderr when it exits non-zero. */
export async function mustExec(argv: string[], opts: { stdin?: string; env?: Record<string, string> } = {}): Promise<string> {
  const r = await exec(argv, opts);
  if (r.code !== 0) throw new Error(`${argv.join(" ")} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/**
 * The suite's one way to make a network namespace: held open by a sleeping process we started,
 * ended by its PID (never by name).
 */
export interface TempNetns extends AsyncDisposable {
  path: string;
  pid: number;
  /** Runs argv inside this namespace (nsenter), e.g. `["ip", "-j", "addr"]`. */
  run(argv: string[], stdin?: string): Promise<Exec>;
  /** Ends the holder at once (SIGKILL); for exit handlers that cannot await. */
  kill(): void;
}

/** How long a freshly spawned holder may take to enter its namespace on a loaded machine. */
const NETNS_READY_MS = 10_000;

/**
 * unshare(1) execs its command only after switching namespaces: true once `path` (the started
 * process's /proc/<pid>/ns/net) names a netns other than ours; false if the process died first
 * or the bound passed. Checked in-process, so making hundreds costs no extra execs.
 */
async function netnsReady(proc: { exitCode: number | null }, path: string): Promise<boolean> {
  const self = readlinkSync("/proc/self/ns/net");
  const deadline = performance.now() + NETNS_READY_MS;
  while (performance.now() < deadline) {
    let link = "";
    try {
      link = readlinkSync(path);
    } catch {
      // the process is not there yet
    }
    if (link !== "" && link !== self) return true;
    if (proc.exitCode !== null) return false;
    await Bun.sleep(1);
  }
  return false;
}

/** A fresh network namespace; with `lo`, its loopback is up (what a container or host needs). */
export async function tempNetns(opts: { lo?: boolean } = {}): Promise<TempNetns> {
  const proc = Bun.spawn(["unshare", "--net", "--", "sleep", "infinity"], { env: { PATH: SYSTEM_PATH }, stdin: "ignore", stdout: "ignore", stderr: "inherit" });
  const path = `/proc/${proc.pid}/ns/net`;
  if (!(await netnsReady(proc, path))) {
    proc.kill("SIGKILL");
    throw new Error(`unshare --net sleep did not enter a new netns within ${NETNS_READY_MS} ms`);
  }
  const ns: TempNetns = {
    path,
    pid: proc.pid,
    run: (argv, stdin) => exec(["nsenter", `--net=${path}`, "--", ...argv], { stdin }),
    kill: () => proc.kill("SIGKILL"),
    [Symbol.asyncDispose]: async () => {
      proc.kill("SIGKILL");
      await proc.exited;
    },
  };
  if (opts.lo === true) {
    const lo = await ns.run(["ip", "link", "set", "lo", "up"]);
    if (lo.code !== 0) {
      await ns[Symbol.asyncDispose]();
      throw new Error(`lo up in a new netns: ${lo.stderr}`);
    }
  }
  return ns;
}

/**
 * A netns (lo up) behind a veth pair made in `on` (default: the current netns): `<name>` there with
 * hostIp/24, `<name>p` inside with nsIp/24 and a default route via hostIp. A client or a far host.
 */
export async function wiredNetns(name: string, hostIp: string, nsIp: string, on?: TempNetns): Promise<TempNetns> {
  const ns = await tempNetns({ lo: true });
  const steps: [TempNetns | undefined, string[]][] = [
    [on, ["ip", "link", "add", name, "type", "veth", "peer", "name", `${name}p`, "netns", String(ns.pid)]],
    [on, ["ip", "addr", "add", `${hostIp}/24`, "dev", name]],
    [on, ["ip", "link", "set", name, "up"]],
    [ns, ["ip", "addr", "add", `${nsIp}/24`, "dev", `${name}p`]],
    [ns, ["ip", "link", "set", `${name}p`, "up"]],
    [ns, ["ip", "route", "add", "default", "via", hostIp]],
  ];
  for (const [where, argv] of steps) {
    const r = where === undefined ? await exec(argv) : await where.run(argv);
    if (r.code !== 0) {
      await ns[Symbol.asyncDispose]();
      throw new Error(`${argv.join(" ")}: ${r.stderr}`);
    }
  }
  return ns;
}

/**
 * argv prefix that runs a program in a throwaway "host": fresh network, mount and PID namespaces
 * (when the program ends, the kernel ends every process it left behind; when unshare itself is
 * killed, --kill-child takes the program and so the whole tree with it). The program then calls
 * prepareThrowawayHost().
 */
export const THROWAWAY_HOST = ["unshare", "--net", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc", "--propagation", "private", "--"];

/** Inside THROWAWAY_HOST: a private /run (netns mounts, locks) and lo up. */
export function prepareThrowawayHost(): void {
  for (const argv of [["mount", "-t", "tmpfs", "tmpfs", "/run"], ["ip", "link", "set", "lo", "up"]]) {
    const r = Bun.spawnSync(argv, { env: { PATH: SYSTEM_PATH }, stdout: "ignore", stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} failed: ${r.stderr.toString()}`);
  }
  mkdirSync("/run/netns", { recursive: true });
  mkdirSync("/run/tscni", { recursive: true });
}

/** `ip -j …` parsed, in the given netns (default: the current one). */
export async function ipJson<T = unknown>(args: string[], netns?: TempNetns): Promise<T> {
  const argv = ["ip", "-j", ...args];
  const out = netns ? await netns.run(argv) : await exec(argv);
  if (out.code !== 0) throw new Error(`ip ${args.join(" ")}: ${out.stderr}`);
  return JSON.parse(out.stdout === "" ? "[]" : out.stdout) as T;
}

export interface CniCall {
  command?: string;
  containerId?: string;
  netns?: string;
  ifname?: string;
  args?: string;
  path?: string;
  /** Raw stdin; objects are JSON-encoded. */
  stdin?: string | object;
  /** Extra or overriding env; a value of undefined removes the variable. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** argv placed before the binary, e.g. `["nsenter", "--net=…", "--"]` or an strace command. */
  prefix?: string[];
}

export interface CniReply extends Exec {
  /** stdout parsed as JSON, or undefined when empty / not JSON. */
  json: unknown;
}

/** Runs a plugin binary as a runtime does: CNI_* env, config on stdin, one JSON document back. */
export async function runCni(binary: string, call: CniCall): Promise<CniReply> {
  const env: Record<string, string> = { PATH: SYSTEM_PATH };
  const set = (k: string, v: string | undefined): void => {
    if (v !== undefined) env[k] = v;
  };
  set("CNI_COMMAND", call.command);
  set("CNI_CONTAINERID", call.containerId);
  set("CNI_NETNS", call.netns);
  set("CNI_IFNAME", call.ifname);
  set("CNI_ARGS", call.args);
  set("CNI_PATH", call.path);
  for (const [k, v] of Object.entries(call.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const stdin = call.stdin === undefined ? "" : typeof call.stdin === "string" ? call.stdin : JSON.stringify(call.stdin);
  const r = await exec([...(call.prefix ?? []), binary], { stdin, env, cwd: call.cwd });
  let json: unknown;
  try {
    json = r.stdout === "" ? undefined : JSON.parse(r.stdout);
  } catch {
    json = undefined;
  }
  return { ...r, json };
}

export const tscni = (plugin: string): string => join(distDir, plugin);

export const SUPPORTED_VERSIONS_LINE = `CNI protocol versions supported: ${SPEC_VERSIONS.join(", ")}`;
