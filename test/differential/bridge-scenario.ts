/**
 * How a bridge differential scenario runs: the same stdin and env, step by step, through the
 * v1.9.1 oracle (its bridge + host-local) and through tscni, each run in its own fresh host netns,
 * container netns and (tmpfs) dataDir. After every step the result text (key order kept), stderr
 * and exit code AND the whole observable state are compared: `ip -j -d link/addr/route` in the
 * host and every container, the sysctls a bridge call may change, `iptables-save -t nat` (v4 + v6),
 * `nft -j list ruleset` and the dataDir files (bytes, modes). Transforms: normalize.ts only.
 *
 * TSCNI_BRIDGE_DIFF_SELF=1 compares the reference with itself (validates this harness and the
 * normaliser: any difference then is run-to-run noise that needs a documented transform).
 */
import { expect } from "bun:test";
import { bridgeCall, type Impl, outcome, REF, resetDataDir, TS, world, type World, worldState } from "../fixtures/bridge/support.ts";
import type { Conf } from "../fixtures/bridge/runtime-configs.ts";
import type { Json } from "./normalize.ts";
import { BridgeNames } from "./scenario-names.ts";
import { countCase } from "./oracles.ts";

/** The implementation compared with the oracle: tscni, or the oracle itself (see above). */
export const OURS: Impl = process.env.TSCNI_BRIDGE_DIFF_SELF === "1" ? REF : TS;

export interface Step {
  command: "ADD" | "DEL" | "CHECK" | "GC" | "STATUS";
  /** Index of the container netns (default 0). */
  ctr?: number;
  id?: string;
  ifname?: string;
  args?: string;
  /** Config for this step (default: the scenario's); a string is sent as is. */
  conf?: Conf | string;
  /** CHECK: prevResult = this implementation's own result of the last ADD of the same ctr. */
  prev?: boolean;
  /** "empty" → CNI_NETNS=""; "gone" → the container netns is killed before the call. */
  netns?: "empty" | "gone";
  /** Skip the state snapshot after this step (speed). */
  noState?: boolean;
  /** GC: the `cni.dev/valid-attachments` sent with it (container IDs, ifname eth0). */
  valid?: string[];
}

export interface Scenario {
  name: string;
  conf: Conf;
  steps: Step[];
  containers?: number;
  /** Run in the host netns before the first step. */
  setup?: (w: World) => Promise<void>;
  /** MACs the scenario chose (stay literal). */
  macs?: string[];
}

interface Played {
  steps: Json[];
  /** One line per failed ADD: whether it left its container link. */
  leaks: string[];
}

async function play(impl: Impl, s: Scenario): Promise<Played> {
  resetDataDir();
  await using w = await world(s.containers ?? 1);
  const names = new BridgeNames();
  names.path(impl.cniPath, "@CNI_PATH@");
  w.containers.forEach((c, i) => names.path(c.path, `@NETNS${i}@`));
  for (const m of s.macs ?? []) names.keepMac(m);
  if (s.setup) await s.setup(w);
  const lastAdd = new Map<number, unknown>();
  const out: Json[] = [];
  const leaks: string[] = [];
  for (const [i, step] of s.steps.entries()) {
    const ctr = step.ctr ?? 0;
    const ns = w.containers[ctr];
    if (ns === undefined) throw new Error(`scenario ${s.name}: no container ${ctr}`);
    if (step.netns === "gone") {
      await ns[Symbol.asyncDispose]();
      // The kernel tears the netns (and the veth pair with it) down asynchronously.
      for (let t = 0; t < 200; t++) {
        const links = await w.host.run(["ip", "-o", "link", "show", "type", "veth"]);
        if (!links.stdout.includes("veth")) break;
        await Bun.sleep(10);
      }
    }
    const ifname = step.ifname ?? "eth0";
    const existed = (await ns.run(["ip", "link", "show", ifname])).code === 0;
    let conf = step.conf ?? s.conf;
    if (step.prev && typeof conf !== "string") conf = { ...conf, prevResult: lastAdd.get(ctr) };
    if (step.valid && typeof conf !== "string") conf = { ...conf, "cni.dev/valid-attachments": step.valid.map((containerID) => ({ containerID, ifname: "eth0" })) };
    const r = await bridgeCall(conf, {
      impl,
      host: w.host,
      command: step.command,
      containerId: step.id ?? `ctr${ctr}`,
      netns: step.netns === "empty" ? "" : ns.path,
      ifname: step.ifname,
      args: step.args,
    });
    if (step.command === "ADD" && r.code === 0) lastAdd.set(ctr, r.json);
    // A failed ADD's container link (created by this step): v1.9.1 leaves it, tscni rolls back
    // (docs/compatibility.md). Recorded for both, compared in compare(), then removed alike on
    // both sides (a no-op where nothing was left) so the next steps start from the same state;
    // the state read after the step shows that the link was all that was left.
    if (step.command === "ADD" && r.code !== 0 && !existed && step.netns === undefined) {
      const left = (await ns.run(["ip", "link", "show", ifname])).code === 0;
      leaks.push(`${i} ADD ctr${ctr}: ${left ? `${ifname} left` : "nothing left"}`);
      if (left) await ns.run(["ip", "link", "del", ifname]);
    }
    out.push({ step: `${i} ${step.command} ctr${ctr}`, ...(outcome(r, names) as Record<string, Json>) });
    if (!step.noState) out.push({ step: `${i} state`, state: await worldState(w, names) });
  }
  return { steps: out, leaks };
}

/** Plays `s` through the oracle and through OURS; the two step-by-step records must be equal. */
export async function compare(s: Scenario): Promise<void> {
  const theirs = await play(REF, s);
  const ours = await play(OURS, s);
  expect(ours.steps).toEqual(theirs.steps);
  // tscni leaves nothing after a failed ADD; where v1.9.1 leaves the link, that is its defect.
  expect(ours.leaks).toEqual(theirs.leaks.map((l) => (OURS === REF ? l : l.replace(/: \S+ left$/, ": nothing left"))));
  for (const l of theirs.leaks.filter((x) => x.endsWith(" left") && !x.endsWith("nothing left"))) console.log(`v1.9.1 defect in ${s.name}: step ${l}`);
  for (const step of s.steps) countCase("bridge", step.command);
}

export const add = (more: Partial<Step> = {}): Step => ({ command: "ADD", ...more });
export const del = (more: Partial<Step> = {}): Step => ({ command: "DEL", ...more });
export const check = (more: Partial<Step> = {}): Step => ({ command: "CHECK", prev: true, ...more });

/** ADD, CHECK (≥ 0.4.0), STATUS and GC (1.1.0, GC keeping the attachment), DEL, DEL again. */
export function lifecycle(version: string | undefined): Step[] {
  const canCheck = version === "0.4.0" || version?.startsWith("1.") === true;
  const v11 = version === "1.1.0";
  return [
    add(),
    ...(canCheck ? [check({ noState: true })] : []),
    ...(v11 ? [{ command: "STATUS", noState: true } as Step, { command: "GC", valid: ["ctr0"] } as Step] : []),
    del(),
    del({ noState: true }),
  ];
}
