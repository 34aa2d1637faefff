/**
 * nf_tables requests whose attributes are flat (names and fixed-size values), written straight
 * into one buffer of their size: the bytes `request()` and the netlink Writer produce (nfgenmsg,
 * then each attribute's header, payload and zero padding), without a Writer per message. A plugin
 * exec runs this in JSC's interpreter, where the Writer's buffer, view and closing copy, and a
 * TextEncoder per name, cost several times the bytes written (docs/performance.md); a call asks
 * for the same table and chain names again and again, so names are encoded once per process.
 */
import { NLM_F_REQUEST, NLMSG_HDRLEN } from "../constants.ts";
import { type Request, writeMessageAt } from "../message.ts";
import { NFNETLINK_V0, NFNL_SUBSYS_NFTABLES } from "./constants.ts";

export interface FlatAttr {
  readonly type: number;
  readonly value: Uint8Array;
}

const enc = new TextEncoder();
const names = new Map<string, Uint8Array>();

/** A string attribute as the kernel's NLA_STRING policy takes it: UTF-8 and a NUL. */
export function nameAttr(type: number, name: string): FlatAttr {
  let value = names.get(name);
  if (value === undefined) {
    const text = enc.encode(name);
    value = new Uint8Array(text.byteLength + 1);
    value.set(text);
    names.set(name, value);
  }
  return { type, value };
}

/** A 64-bit big-endian value (rule handles). */
export function u64Attr(type: number, v: bigint): FlatAttr {
  const value = new Uint8Array(8);
  new DataView(value.buffer).setBigUint64(0, v, false);
  return { type, value };
}

/** A netlink attribute header at `off`: its length (payload + 4, before padding) and type, little-endian. */
export function putAttrHeader(b: Uint8Array, off: number, len: number, type: number): void {
  b[off] = len & 0xff;
  b[off + 1] = len >>> 8;
  b[off + 2] = type & 0xff;
  b[off + 3] = type >>> 8;
}

export function flatRequest(msg: number, family: number, flags: number, attrs: readonly FlatAttr[] = []): Request {
  let len = 4;
  for (let i = 0; i < attrs.length; i++) len += (4 + (attrs[i] as FlatAttr).value.byteLength + 3) & ~3;
  const body = new Uint8Array(len);
  body[0] = family;
  body[1] = NFNETLINK_V0;
  let off = 4;
  for (let i = 0; i < attrs.length; i++) {
    const a = attrs[i] as FlatAttr;
    const n = 4 + a.value.byteLength;
    putAttrHeader(body, off, n, a.type);
    body.set(a.value, off + 4);
    off += (n + 3) & ~3;
  }
  return { type: (NFNL_SUBSYS_NFTABLES << 8) | msg, flags: NLM_F_REQUEST | flags, body };
}

/** One message of a datagram: the request, the flags it goes with and its sequence number. */
export interface Outgoing {
  readonly req: Request;
  readonly flags: number;
  readonly seq: number;
}

/**
 * Messages one after another in one buffer, each as `encodeMessage` writes it (nlmsghdr with pid
 * 0, the body, zero padding to 4 bytes): a batch without a Writer and a copy per message.
 */
export function encodeMessages(msgs: readonly Outgoing[]): Uint8Array {
  let len = 0;
  for (let i = 0; i < msgs.length; i++) len += (NLMSG_HDRLEN + (msgs[i] as Outgoing).req.body.byteLength + 3) & ~3;
  const out = new Uint8Array(len);
  let off = 0;
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i] as Outgoing;
    off = writeMessageAt(out, off, m.req, m.flags, m.seq);
  }
  return out;
}
