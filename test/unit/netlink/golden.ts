/**
 * Access to the recordings in test/fixtures/netlink (made by record.ts from iproute2 + kernel
 * under strace). Messages are compared with nlmsg_seq and nlmsg_pid zeroed: those differ per run.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Message } from "../../../src/netlink/index.ts";
import { parseMessages } from "../../../src/netlink/index.ts";

interface Syscall {
  syscall: string;
  hex: string;
}
interface Scenario {
  name: string;
  cmd: string;
  syscalls: Syscall[];
}

const dir = join(import.meta.dir, "../../fixtures/netlink");
const cache = new Map<string, Scenario[]>();

/** Every recording of a group. */
export function scenarios(group: string): Scenario[] {
  let list = cache.get(group);
  if (!list) {
    list = (JSON.parse(readFileSync(join(dir, `${group}.json`), "utf8")) as { scenarios: Scenario[] }).scenarios;
    cache.set(group, list);
  }
  return list;
}

export function scenario(group: string, name: string): Scenario {
  const s = scenarios(group).find((x) => x.name === name);
  if (!s) throw new Error(`no recording ${group}/${name}`);
  return s;
}

const isSend = (s: Syscall): boolean => s.syscall.startsWith("send");

/** Each syscall's buffer, trimmed to the netlink messages in it (iproute2 sends padded buffers). */
export function datagrams(group: string, name: string, dir: "send" | "recv"): Uint8Array[] {
  return scenario(group, name)
    .syscalls.filter((s) => isSend(s) === (dir === "send"))
    .map((s) => {
      const b = Uint8Array.from(Buffer.from(s.hex, "hex"));
      let end = 0;
      const v = new DataView(b.buffer);
      while (end + 16 <= b.byteLength) {
        const len = v.getUint32(end, true);
        if (len < 16) break;
        end += (len + 3) & ~3;
      }
      return b.subarray(0, Math.min(end, b.byteLength));
    });
}

/** The raw bytes of the last message of `type` that iproute2 sent (the operation itself). */
export function sentBytes(group: string, name: string, type: number): Uint8Array {
  const all = datagrams(group, name, "send").flatMap(splitRaw).filter((m) => new DataView(m.buffer, m.byteOffset).getUint16(4, true) === type);
  const last = all.at(-1);
  if (!last) throw new Error(`${group}/${name}: no sent message of type ${type}`);
  return last;
}

/** Every message the kernel sent back in the recording, parsed. */
export function received(group: string, name: string): Message[] {
  return datagrams(group, name, "recv").flatMap(parseMessages);
}

function splitRaw(b: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let off = 0;
  while (off + 16 <= b.byteLength) {
    const len = v.getUint32(off, true);
    if (len < 16) break;
    out.push(b.subarray(off, off + len));
    off += (len + 3) & ~3;
  }
  return out;
}

/** Hex with nlmsg_seq and nlmsg_pid zeroed. */
export function masked(b: Uint8Array): string {
  const c = Uint8Array.from(b);
  c.fill(0, 8, 16);
  return Buffer.from(c).toString("hex");
}

/** A sent golden as a Message (what the kernel would parse), for the decode direction. */
export function sentMessage(group: string, name: string, type: number): Message {
  const m = parseMessages(sentBytes(group, name, type))[0];
  if (!m) throw new Error("unparsable golden");
  return m;
}

/** The messages of the batch (the last datagram sent) a tool sent, split; seq and pid left at 0. */
export function sentBatch(group: string, name: string): Message[] {
  const last = datagrams(group, name, "send").at(-1) ?? new Uint8Array();
  const out: Message[] = [];
  const v = new DataView(last.buffer, last.byteOffset, last.byteLength);
  for (let off = 0; off + 16 <= last.byteLength; ) {
    const len = v.getUint32(off, true);
    out.push({ type: v.getUint16(off + 4, true), flags: v.getUint16(off + 6, true), seq: 0, pid: 0, payload: last.subarray(off + 16, off + len) });
    off += (len + 3) & ~3;
  }
  return out;
}
