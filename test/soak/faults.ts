/**
 * The fault list, one at a time on a quiet host: each fault is set up, one chain ADD runs into
 * it, the host state is compared with the state before the ADD (a failed ADD must change
 * nothing), then the fault is removed, the runtime DELs and GCs, and the state must be the
 * baseline again. Faults: the netns gone before ADD, a read-only dataDir, a full dataDir, the
 * host-local lock held for a while, the firewall tools missing from PATH, a FIFO where a
 * reservation file would go.
 */
import { closeSync, constants, mkdirSync, openSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exec, tempNetns } from "../harness.ts";
import type { RuntimeConf } from "../../src/runtime/index.ts";
import { added, diff, type Snapshot, snapshot } from "./invariants.ts";
import { note, type Tally, tally } from "./tally.ts";
import { attachment, type Impl, implDirs, type Net, runtimeFor } from "./world.ts";

interface Fault {
  name: string;
  /** Sets the fault up; returns its undo. `rt` is the attachment about to be added. */
  arm(net: Net, rt: RuntimeConf): Promise<() => Promise<void>>;
  /** PATH for the plugins while armed (tools missing). */
  path?: string;
}

async function must(argv: string[]): Promise<void> {
  const r = await exec(argv);
  if (r.code !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr}`);
}

const netDir = (net: Net) => join(net.dataDir, net.name);

export const FAULTS: Fault[] = [
  {
    name: "netns gone",
    arm: async (_net, rt) => {
      rt.netns = "/run/netns/soak-gone";
      return async () => {};
    },
  },
  {
    name: "read-only dataDir",
    arm: async (net) => {
      mkdirSync(netDir(net), { recursive: true });
      await must(["mount", "--bind", netDir(net), netDir(net)]);
      await must(["mount", "-o", "remount,bind,ro", netDir(net)]);
      return () => must(["umount", netDir(net)]);
    },
  },
  {
    name: "full dataDir",
    arm: async (net) => {
      mkdirSync(netDir(net), { recursive: true });
      await must(["mount", "-t", "tmpfs", "-o", "size=4k,nr_inodes=3", "tmpfs", netDir(net)]);
      writeFileSync(join(netDir(net), "lock"), "");
      return () => must(["umount", netDir(net)]);
    },
  },
  {
    name: "host-local lock held for 2 s",
    arm: async (net) => {
      mkdirSync(netDir(net), { recursive: true });
      const holder = Bun.spawn(["flock", join(netDir(net), "lock"), "sleep", "2"], { stdout: "ignore", stderr: "ignore" });
      await Bun.sleep(200);
      return async () => void (await holder.exited);
    },
  },
  {
    name: "firewall tools missing",
    path: "/nonexistent",
    arm: async () => async () => {},
  },
  {
    name: "FIFO in dataDir",
    arm: async (net) => {
      mkdirSync(netDir(net), { recursive: true });
      const fifos = [join(netDir(net), net.firstIp), join(netDir(net), "last_reserved_ip.0")];
      for (const f of fifos) {
        rmSync(f, { force: true });
        await must(["mkfifo", f]);
      }
      return async () => {
        // Held open read-write (which never blocks on a FIFO and is both a reader and a writer)
        // while the FIFOs are removed and for a while after: a plugin that looked a FIFO up just
        // before its removal, and opens it only now, is let through instead of waiting forever
        // on a FIFO nobody can reach any more (v1.9.1's host-local, holding the network's lock,
        // hung a soak that way after a bare open-and-close let-through raced its open).
        const held = fifos.map((f) => openSync(f, constants.O_RDWR | constants.O_NONBLOCK));
        for (const f of fifos) rmSync(f, { force: true });
        await Bun.sleep(2000);
        for (const fd of held) closeSync(fd);
      };
    },
  },
];

const ADD_TIMEOUT_MS = 30_000;

export async function faults(impl: Impl, net: Net, baseline: Snapshot): Promise<Tally> {
  const t = tally();
  const dirs = implDirs(impl);
  const plain = runtimeFor(impl);
  for (const f of FAULTS) {
    await using ns = await tempNetns();
    const rt = attachment(`fault-${impl.tag}-${f.name.replace(/\W+/g, "-")}`, ns.path, 22000);
    const undo = await f.arm(net, rt);
    const before = await snapshot(dirs);
    const runtime = f.path === undefined ? plain : runtimeFor(impl, undefined, { PATH: f.path });
    t.calls++;
    let failed = false;
    try {
      const timeout = Bun.sleep(ADD_TIMEOUT_MS).then(() => {
        throw new Error(`ADD did not finish in ${ADD_TIMEOUT_MS / 1000} s`);
      });
      await Promise.race([runtime.add(net.list, rt), timeout]);
    } catch (err) {
      failed = true;
      t.failed++;
      const changed = added(before, await snapshot(dirs));
      if (changed.length > 0) {
        t.stateChangingFailures++;
        note(t, `${f.name}: failed ADD changed ${changed.slice(0, 3).join(" | ")} (${err instanceof Error ? err.message : String(err)})`);
      }
    }
    await undo();
    t.calls++;
    try {
      await plain.del(net.list, rt);
    } catch (err) {
      t.failed++;
      note(t, `${f.name}: DEL${failed ? " after failed ADD" : ""}: ${err instanceof Error ? err.message : String(err)}`);
    }
    await plain.gc(net.list, []);
    const left = diff(baseline, await snapshot(dirs));
    t.leaks += left.length;
    for (const l of left.slice(0, 3)) note(t, `${f.name}: left ${l}`);
  }
  return t;
}

