/**
 * Runs the netfilter tools: argv arrays through Bun.spawn, never a shell. The save and restore
 * binaries are taken from the same install as the `iptables` found on PATH, so an nft-flavoured
 * iptables is never paired with a legacy restore (they see different rule sets).
 */
import { CniError, ErrorCode } from "../cni/index.ts";
import type { Family } from "./model.ts";
import { markExecEnd, markExecStart } from "../profile.ts";
import { spawnCollect } from "../spawn.ts";
import { childPath, dirnamePath, realPath } from "../sys/index.ts";

export interface ToolResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one program; tests substitute a fake. */
export type ToolRunner = (argv: readonly string[], stdin?: string) => Promise<ToolResult>;

/** Bounded wait for the legacy xtables lock; iptables-nft ignores it, tscni's own flock covers that. */
export const XTABLES_WAIT_SECONDS = 10;

/**
 * A tool still running after this is killed and the call fails saying so. The only waits the tools
 * make are for the legacy xtables lock (`-w`, XTABLES_WAIT_SECONDS); nft and iptables-nft never
 * wait for another writer (the kernel serialises commits inside the syscall). So only a wedged
 * tool reaches this bound, and it must not wedge the runtime's call with it.
 */
export const TOOL_TIMEOUT_MS = (XTABLES_WAIT_SECONDS + 20) * 1000;

export const spawnTool: ToolRunner = async (argv, stdin) => {
  markExecStart();
  const input = stdin === undefined ? undefined : new TextEncoder().encode(stdin);
  const { code, stdout, stderr, timedOut } = await spawnCollect(argv, { env: process.env, stdin: input, timeoutMs: TOOL_TIMEOUT_MS });
  markExecEnd(argv[0] ?? "");
  if (timedOut) throw new Error(`${argv[0] ?? "tool"} did not finish within ${TOOL_TIMEOUT_MS / 1000} s: killed`);
  return { code, stdout, stderr };
};

/** The error text the Go reference uses for a failed command (go-iptables style). */
export function commandError(argv: readonly string[], r: ToolResult): CniError {
  const detail = (r.stderr || r.stdout).trim();
  return new CniError(ErrorCode.Internal, `running [${argv.join(" ")}]: exit status ${r.code}: ${detail}`);
}

export async function runChecked(run: ToolRunner, argv: readonly string[], stdin?: string): Promise<ToolResult> {
  let r: ToolResult;
  try {
    r = await run(argv, stdin);
  } catch (err) {
    throw new CniError(ErrorCode.Internal, `running [${argv.join(" ")}]: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (r.code !== 0) throw commandError(argv, r);
  return r;
}

/**
 * Which kernel tables an `iptables` works on: "nft" (iptables-nft: nf_tables, readable and
 * deletable over netlink), "legacy" (x_tables, only through the tools), or "unknown" (a plain
 * binary that does not say; treated like legacy).
 */
export type IptablesFlavour = "nft" | "legacy" | "unknown";

export interface IptablesTools {
  readonly family: Family;
  readonly flavour: IptablesFlavour;
  /** The iptables (or ip6tables) command itself. */
  readonly iptables: readonly string[];
  readonly save: readonly string[];
  readonly restore: readonly string[];
}

const MULTI_BINARIES = new Set(["xtables-nft-multi", "xtables-legacy-multi", "xtables-multi"]);
const cache = new Map<string, IptablesTools | null>();

/** The last component of a path without a trailing slash (Bun.which's and realpath's answers). */
function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function which(name: string): string | null {
  return Bun.which(name, { PATH: process.env.PATH ?? "" });
}

/**
 * Finds `iptables`/`ip6tables` on PATH and the save/restore commands of the same flavour: through
 * the multi-call binary it resolves to when it is one, else the siblings in its directory.
 * Returns null when the tool is not installed.
 */
export function resolveIptables(family: Family): IptablesTools | null {
  const name = family === 4 ? "iptables" : "ip6tables";
  const key = `${name}:${process.env.PATH ?? ""}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  let tools: IptablesTools | null = null;
  const found = which(name);
  if (found !== null) {
    // A dangling link keeps its own name: the sibling lookup below decides. (libc's realpath, not
    // node:fs's: loading node:fs costs a firewall call ~2.8 M instructions, docs/performance.md.)
    const real = realPath(found).path ?? found;
    const flavour = flavourOf(basename(found), basename(real));
    if (MULTI_BINARIES.has(basename(real))) {
      tools = { family, flavour, iptables: [real, name], save: [real, `${name}-save`], restore: [real, `${name}-restore`] };
    } else {
      const sibling = (suffix: string): string => {
        const next = childPath(dirnamePath(found), `${name}${suffix}`);
        return realPath(next).path !== undefined ? next : (which(`${name}${suffix}`) ?? next);
      };
      tools = { family, flavour, iptables: [found], save: [sibling("-save")], restore: [sibling("-restore")] };
    }
  }
  cache.set(key, tools);
  return tools;
}

/**
 * Read from names alone, as the link chain (update-alternatives: iptables -> iptables-nft ->
 * xtables-nft-multi) resolves: no exec of `iptables --version`.
 */
export function flavourOf(name: string, real: string): IptablesFlavour {
  for (const n of [real, name]) {
    if (n === "xtables-nft-multi" || /-nft$/.test(n)) return "nft";
    if (n === "xtables-legacy-multi" || n === "xtables-multi" || /-legacy$/.test(n)) return "legacy";
  }
  return "unknown";
}

export function saveArgv(t: IptablesTools): string[] {
  return [...t.save, "-t", "nat"];
}

export function restoreArgv(t: IptablesTools): string[] {
  return [...t.restore, "--noflush", "-w", String(XTABLES_WAIT_SECONDS)];
}

export function resolveNft(): string | null {
  return which("nft");
}

export function nftApplyArgv(nft: string): string[] {
  return [nft, "-f", "-"];
}

export function nftListArgv(nft: string, family: string, table: string): string[] {
  return [nft, "-a", "list", "table", family, table];
}

/** nft reports a missing table this way; for a read it just means "empty". */
export function isNftNotFound(r: ToolResult): boolean {
  return r.code !== 0 && /No such file or directory/.test(r.stderr);
}

export const DEFAULT_LOCK_PATH = "/run/tscni/firewall.lock";

/** tscni's node-wide firewall lock (iptables-nft ignores `-w`, and nft has no lock at all). */
export function firewallLockPath(): string {
  const fromEnv = process.env.TSCNI_FIREWALL_LOCK;
  return fromEnv !== undefined && fromEnv !== "" ? fromEnv : DEFAULT_LOCK_PATH;
}
