/**
 * nf_tables writes under contention (issue #25 item 2): while other writers commit to the same
 * ruleset without pause — iptables-nft adding and deleting rules in the shared nat chains and in
 * the filter table, nft creating and deleting a table of its own, nft adding and deleting rules in
 * the nftables layout's shared postrouting chain, two processes of each — tscni runs 200 calls (50 pods: bridge ADD with
 * ipMasq, portmap ADD, portmap DEL, bridge DEL; half on each backend, four pods at a time). Every
 * call must succeed (a busy ruleset is waited out and re-planned, never reported as a failure),
 * and nothing of any pod may remain. The writers must have committed throughout, or the test
 * proves nothing.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { distDir, mustExec, requireIsolatedHost, runCni, SYSTEM_PATH, type TempNetns, tempNetns, tscni } from "../harness.ts";

requireIsolatedHost();
// A hang bound only: under six writer loops on two cores the run takes about 100 s.
setDefaultTimeout(420_000);

const PODS = 50;
const LANES = Number(process.env.STRESS_LANES ?? 4);
/** Two of each writer loop: commits from several processes at once, as on a busy node. */
const COPIES = Number(process.env.STRESS_WRITER_COPIES ?? 2);
const work = mkdtempSync(join(tmpdir(), "tscni-contention-"));

/** Each loop prints one line per round, so the test can tell the writers really wrote. */
const WRITERS: Record<string, string> = {
  "iptables-nft nat+filter": `while :; do
    iptables -t nat -A POSTROUTING -s 192.0.2.7/32 -j RETURN; iptables -t nat -D POSTROUTING -s 192.0.2.7/32 -j RETURN
    iptables -t nat -I PREROUTING -d 192.0.2.8/32 -j RETURN; iptables -t nat -D PREROUTING -d 192.0.2.8/32 -j RETURN
    iptables -A FORWARD -s 192.0.2.9/32 -j ACCEPT; iptables -D FORWARD -s 192.0.2.9/32 -j ACCEPT
    echo r; done`,
  "nft own table": `while :; do
    nft -f - <<EOF
table inet other_$$ { chain c { type filter hook forward priority 0; ip saddr 198.51.100.1 accept; } }
EOF
    nft delete table inet other_$$; echo r; done`,
  "nft shared masq chain": `while :; do
    h=$(nft -e -a add rule inet cni_plugins_masquerade postrouting ip saddr 198.51.100.2 return 2>/dev/null | sed -n 's/.*# handle //p')
    [ -n "$h" ] && nft delete rule inet cni_plugins_masquerade postrouting handle "$h"; echo r; done`,
};

const writers: { name: string; proc: ReturnType<typeof Bun.spawn> }[] = [];
const pods: TempNetns[] = [];

beforeAll(async () => {
  await mustExec(["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
  for (let i = 0; i < PODS; i++) pods.push(await tempNetns({ lo: true }));
});

afterAll(async () => {
  for (const w of writers) w.proc.kill("SIGKILL");
  for (const p of pods) await p[Symbol.asyncDispose]();
});

function startWriters(): void {
  for (const [name, script] of Object.entries(WRITERS)) {
    for (let copy = 0; copy < COPIES; copy++) {
      const proc = Bun.spawn(["sh", "-c", script], { env: { PATH: SYSTEM_PATH }, stdin: "ignore", stdout: "pipe", stderr: "ignore" });
      writers.push({ name, proc });
    }
  }
}

/** Stops the writers and counts the rounds each completed. */
async function stopWriters(): Promise<Record<string, number>> {
  const rounds: Record<string, number> = {};
  for (const w of writers) {
    w.proc.kill("SIGKILL");
    const out = await new Response(w.proc.stdout as ReadableStream).text();
    rounds[w.name] = (rounds[w.name] ?? 0) + out.split("\n").filter((l) => l === "r").length;
  }
  return rounds;
}

const backendOf = (i: number): "iptables" | "nftables" => (i % 2 === 0 ? "iptables" : "nftables");
const idOf = (i: number): string => `busy${String(i).padStart(4, "0")}`;

function bridgeConf(i: number): object {
  return {
    cniVersion: "1.0.0",
    name: `busy-${backendOf(i)}`,
    type: "bridge",
    bridge: `busybr${i % 2}`,
    isGateway: true,
    ipMasq: true,
    ipMasqBackend: backendOf(i),
    ipam: { type: "host-local", ranges: [[{ subnet: i % 2 === 0 ? "10.61.0.0/16" : "10.62.0.0/16" }]], dataDir: join(work, "ipam") },
  };
}

function portmapConf(i: number, prevResult: unknown): object {
  return {
    cniVersion: "1.0.0",
    name: `busy-${backendOf(i)}`,
    type: "portmap",
    backend: backendOf(i),
    snat: true,
    runtimeConfig: { portMappings: [{ hostPort: 20000 + i, containerPort: 80, protocol: "tcp" }] },
    prevResult,
  };
}

interface Failure {
  pod: string;
  step: string;
  code: number;
  stdout: string;
}

async function lifecycle(i: number, failures: Failure[]): Promise<number> {
  const call = async (plugin: string, command: string, conf: object) => {
    const r = await runCni(tscni(plugin), { command, containerId: idOf(i), netns: pods[i]?.path, ifname: "eth0", path: distDir, stdin: conf, env: { TSCNI_FIREWALL_LOCK: join(work, "fw.lock") } });
    if (r.code !== 0) failures.push({ pod: idOf(i), step: `${plugin} ${command}`, code: r.code, stdout: r.stdout + r.stderr });
    return r;
  };
  const add = await call("bridge", "ADD", bridgeConf(i));
  const prev = add.json;
  await call("portmap", "ADD", portmapConf(i, prev));
  await call("portmap", "DEL", portmapConf(i, prev));
  await call("bridge", "DEL", bridgeConf(i));
  return 4;
}

describe("nf_tables under concurrent writers", () => {
  test(`${PODS * 4} bridge+portmap calls while iptables-nft and nft write: none fails, nothing left`, async () => {
    // The shared chains exist before the writers start, so the third writer has a chain to write in.
    const seed: Failure[] = [];
    await lifecycle(1, seed);
    expect(seed).toEqual([]);
    startWriters();
    const failures: Failure[] = [];
    let calls = 0;
    let next = 0;
    const lane = async (): Promise<void> => {
      for (let i = next++; i < PODS; i = next++) {
        const made = await lifecycle(i, failures);
        calls += made;
      }
    };
    await Promise.all(Array.from({ length: LANES }, lane));
    const rounds = await stopWriters();
    console.log(`contention: ${calls} calls, ${failures.length} failed; writer rounds ${JSON.stringify(rounds)}`);
    expect(failures).toEqual([]);
    expect(calls).toBe(PODS * 4);
    for (const [name, n] of Object.entries(rounds)) expect({ name, busy: n >= 20 }).toEqual({ name, busy: true });
    const ruleset = await mustExec(["nft", "list", "ruleset"]);
    const left = Array.from({ length: PODS }, (_, i) => idOf(i)).filter((id) => ruleset.includes(id));
    expect(left).toEqual([]);
    expect(ruleset).not.toMatch(/10\.6[12]\.\d+\.\d+/);
  });
});
