/**
 * portmap conditionsV4/V6 vs the v1.9.1 oracle, from the same empty firewall each time:
 * - the issue #25 configs (a verdict in nft conditions, with and without `backend`): both refuse,
 *   tscni with code 7 naming the token, and tscni changes nothing;
 * - the conditions fuzz class (every nft statement keyword and iptables target/goto/command/
 *   `--set-*`, alone and after a valid match): tscni refuses every one before any change; each
 *   one v1.9.1 refuses too is counted as agreement, and the ones v1.9.1 installs are exactly the
 *   documented deviation list (docs/compatibility.md);
 * - valid matches of both dialects: both install them, the firewall is the same after ADD and DEL.
 */
import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mustExec, requireIsolatedHost, runCni, type TempNetns, tempNetns, tscni } from "../harness.ts";
import { IPT_ACCEPTED, IPTABLES_REFUSED, NFT_ACCEPTED, NFT_REFUSED, type RefusedCase } from "../fixtures/conditions.ts";
import { type Json, normalizeIptablesSave, normalizeNftRuleset } from "./normalize.ts";
import { countCase, v191 } from "./oracles.ts";
import { BridgeNames } from "./scenario-names.ts";

requireIsolatedHost();
setDefaultTimeout(300_000);

const ENV = { TSCNI_FIREWALL_LOCK: join(mkdtempSync(join(tmpdir(), "tscni-pmcond-")), "fw.lock") };
const TS = tscni("portmap");
const REF = v191("portmap");
let ns: TempNetns;

beforeAll(async () => {
  ns = await tempNetns();
});

async function firewallState(): Promise<string[]> {
  const names = new BridgeNames();
  const ipt = normalizeIptablesSave((await mustExec(["iptables-save"])) + (await mustExec(["ip6tables-save"])), names);
  const nft = normalizeNftRuleset(JSON.parse(await mustExec(["nft", "-j", "list", "ruleset"])) as Json, names);
  return [...ipt, ...(Array.isArray(nft) ? nft.map((x) => JSON.stringify(x)) : [])];
}

async function reset(): Promise<void> {
  await mustExec(["nft", "flush", "ruleset"]);
}

function conf(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    cniVersion: "1.0.0",
    name: "n",
    type: "portmap",
    runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }] },
    prevResult: {
      cniVersion: "1.0.0",
      interfaces: [{ name: "eth0", sandbox: ns.path }],
      ips: [
        { address: "10.66.0.2/24", interface: 0 },
        { address: "fd66::2/64", interface: 0 },
      ],
    },
    ...extra,
  };
}

const call = (binary: string, command: string, stdin: object) =>
  runCni(binary, { command, containerId: "c1", netns: ns.path, ifname: "eth0", path: "/usr/lib/cni", stdin, env: ENV });

interface Outcome {
  code: number;
  msg: string | undefined;
  /** Whether the firewall differs from the empty one after the call. */
  changed: boolean;
}

/** ADD through `binary` from an empty firewall; DEL afterwards so the next case starts clean. */
async function add(binary: string, stdin: Record<string, unknown>): Promise<Outcome> {
  await reset();
  const before = await firewallState();
  const r = await call(binary, "ADD", stdin);
  const after = await firewallState();
  if (r.code === 0) await call(binary, "DEL", stdin);
  return { code: r.code, msg: (r.json as { msg?: string } | undefined)?.msg, changed: after.join("\n") !== before.join("\n") };
}

/** tscni's refusal: exit 1, code 7, the token named, the firewall untouched. */
function expectRefused(o: Outcome, what: string, token: string): void {
  expect({ code: o.code, changed: o.changed, msg: o.msg?.slice(0, what.length + token.length + 19) }).toEqual({
    code: 1,
    changed: false,
    msg: `${what}: ${JSON.stringify(token)} is not allowed`,
  });
}

describe("issue #25: a verdict in nft conditions", () => {
  test.each([
    ["backend nftables, ip saddr … drop", { backend: "nftables", conditionsV4: ["ip", "saddr", "10.0.0.0/8", "drop"] }, "Statement after terminal statement has no effect"],
    ["backend nftables, drop alone", { backend: "nftables", conditionsV4: ["drop"] }, "Statement after terminal statement has no effect"],
    ["no backend, ip saddr … drop", { conditionsV4: ["ip", "saddr", "10.0.0.0/8", "drop"] }, "iptables backend was requested but configuration contains nftables-specific options [conditionsV4]"],
  ])("%s: both refuse; tscni names the token and changes nothing", async (_name, extra, refMsg) => {
    const ref = await add(REF, conf(extra));
    expect({ code: ref.code, changed: ref.changed, says: ref.msg?.includes(refMsg) }).toEqual({ code: 1, changed: false, says: true });
    expectRefused(await add(TS, conf(extra)), "conditionsV4", "drop");
    countCase("portmap", "ADD");
  });
});

/**
 * Statements nft accepts in front of `fib … jump`: v1.9.1 installs them host-wide, tscni refuses
 * them (docs/compatibility.md). Every other case of the fuzz class v1.9.1 refuses as well.
 */
const V191_INSTALLS_NFT = [
  "continue",
  "counter",
  "ct mark set 1",
  "ct zone set 1",
  "dup to 10.0.0.1",
  "ip dscp set 1",
  "ip saddr vmap { 10.0.0.1 : drop }",
  "limit rate 1/second",
  "log prefix x",
  "mark set 1",
  "meta mark set 1",
  "meta nftrace set 1",
  "meta priority set 1",
  "notrack",
  "quota 1 mbytes",
  "tcp option maxseg size set 1360",
];
const V191_INSTALLS_IPT = ["-m limit --limit 1/s", "-m recent --set"];

async function fuzzClass(dialect: "nftables" | "iptables", cases: readonly RefusedCase[], prefix: readonly string[]): Promise<string[]> {
  const installedByRef: string[] = [];
  for (const c of cases) {
    const stdin = conf({ backend: dialect, conditionsV4: [...prefix, ...c.tokens] });
    const ref = await add(REF, stdin);
    // When iptables refuses a rule, v1.9.1 has created its chains already and leaves them.
    if (ref.code === 0) installedByRef.push(c.tokens.join(" "));
    expectRefused(await add(TS, stdin), "conditionsV4", c.names);
    countCase("portmap", "ADD");
  }
  return installedByRef;
}

describe("conditions fuzz class: tscni refuses every one before any change", () => {
  test.each([[[]], [["ip", "saddr", "10.0.0.0/8"]]] as string[][][])("nft after %j", async (prefix) => {
    expect((await fuzzClass("nftables", NFT_REFUSED, prefix)).sort()).toEqual([...V191_INSTALLS_NFT].sort());
  });
  test.each([[[]], [["-s", "10.0.0.0/8"]]] as string[][][])("iptables after %j", async (prefix) => {
    expect((await fuzzClass("iptables", IPTABLES_REFUSED, prefix)).sort()).toEqual(V191_INSTALLS_IPT);
  });
});

/** Both ADDs' outcome and firewall, then both DELs'. */
async function lifecycle(binary: string, stdin: Record<string, unknown>): Promise<unknown[]> {
  await reset();
  const out: unknown[] = [];
  for (const command of ["ADD", "DEL"]) {
    const r = await call(binary, command, stdin);
    out.push({ command, code: r.code, stdout: r.stdout.replaceAll(ns.path, "@NETNS@"), stderr: r.stderr }, await firewallState());
  }
  return out;
}

describe("valid matches: the same ruleset as v1.9.1", () => {
  const key = (family: 4 | 6) => (family === 4 ? "conditionsV4" : "conditionsV6");
  test.each(NFT_ACCEPTED)("nftables IPv%d %j", async (family, tokens) => {
    const stdin = conf({ backend: "nftables", [key(family)]: tokens });
    const ts = await lifecycle(TS, stdin);
    expect(ts[0]).toMatchObject({ command: "ADD", code: 0 });
    expect(ts).toEqual(await lifecycle(REF, stdin));
    countCase("portmap", "ADD");
  });
  test.each(IPT_ACCEPTED)("iptables IPv%d %j", async (family, tokens) => {
    const stdin = conf({ backend: "iptables", [key(family)]: tokens });
    const ts = await lifecycle(TS, stdin);
    expect(ts[0]).toMatchObject({ command: "ADD", code: 0 });
    expect(ts).toEqual(await lifecycle(REF, stdin));
    countCase("portmap", "ADD");
  });
});
