import { attrs, getString, getU32, Writer } from "./attrs.ts";
import { NLM_F_ACK_TLVS, NLM_F_CAPPED, NLMSG_HDRLEN, NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS } from "./constants.ts";

/** A request before framing: message type, flags and everything after the nlmsghdr. */
export interface Request {
  type: number;
  flags: number;
  body: Uint8Array;
}

/** One received message; `payload` is a view of the bytes after the nlmsghdr. */
export interface Message {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  payload: Uint8Array;
}

/** Frames a request: nlmsghdr { len, type, flags, seq, pid } + body. */
export function encodeMessage(req: Request, seq: number, pid = 0): Uint8Array {
  const w = new Writer();
  w.u32(0).u16(req.type).u16(req.flags).u32(seq).u32(pid).bytes(req.body).pad();
  w.patchU32(0, NLMSG_HDRLEN + req.body.byteLength);
  return w.finish();
}

/** Builds a request body from a fixed header and attributes written by `fill`. */
export function body(fill: (w: Writer) => void): Uint8Array {
  const w = new Writer();
  fill(w);
  return w.finish();
}

/**
 * Splits one datagram into messages. A length that runs past the datagram means the buffer was
 * truncated or corrupt: that is an error, never silently dropped data.
 */
export function parseMessages(buf: Uint8Array): Message[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Message[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= buf.byteLength) {
    const len = view.getUint32(off, true);
    if (len < NLMSG_HDRLEN || off + len > buf.byteLength) throw new Error(`malformed netlink message at offset ${off} (len ${len})`);
    out.push({
      type: view.getUint16(off + 4, true),
      flags: view.getUint16(off + 6, true),
      seq: view.getUint32(off + 8, true),
      pid: view.getUint32(off + 12, true),
      payload: buf.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += (len + 3) & ~3;
  }
  return out;
}

/** The contents of an NLMSG_ERROR (an ACK when errno is 0) or of a dump's NLMSG_DONE. */
export interface ErrorPayload {
  /** Positive errno; 0 for an ACK. */
  errno: number;
  /** Kernel's extended-ack message (NLMSGERR_ATTR_MSG), when it sent one. */
  extack?: string;
  /** Offset of the offending attribute in our request (NLMSGERR_ATTR_OFFS). */
  extackOffset?: number;
  /** The nlmsghdr of the request this answers. */
  requestType: number;
  requestSeq: number;
}

/**
 * Decodes struct nlmsgerr { int error; struct nlmsghdr msg; } followed by the echoed request
 * body (unless NLM_F_CAPPED; success ACKs never echo it) and, with NLM_F_ACK_TLVS, the
 * extended-ack attributes.
 */
export function parseError(msg: Message): ErrorPayload {
  const p = msg.payload;
  if (p.byteLength < 4) throw new Error("short NLMSG_ERROR");
  const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const error = view.getInt32(0, true);
  const out: ErrorPayload = { errno: error === 0 ? 0 : -error, requestType: 0, requestSeq: 0 };
  if (p.byteLength < 4 + NLMSG_HDRLEN) return out;
  const echoedLen = view.getUint32(4, true);
  out.requestType = view.getUint16(8, true);
  out.requestSeq = view.getUint32(12, true);
  if ((msg.flags & NLM_F_ACK_TLVS) === 0) return out;
  const capped = error === 0 || (msg.flags & NLM_F_CAPPED) !== 0;
  const tlvStart = 4 + (capped ? NLMSG_HDRLEN : (echoedLen + 3) & ~3);
  for (const a of attrs(p.subarray(Math.min(tlvStart, p.byteLength)))) {
    if (a.type === NLMSGERR_ATTR_MSG) out.extack = getString(a.data);
    else if (a.type === NLMSGERR_ATTR_OFFS) out.extackOffset = getU32(a.data);
  }
  return out;
}

/** NLMSG_DONE carries an int error (non-zero when a dump failed midway) and maybe ext-ack TLVs. */
export function parseDone(msg: Message): ErrorPayload {
  const p = msg.payload;
  if (p.byteLength < 4) return { errno: 0, requestType: 0, requestSeq: msg.seq };
  const error = new DataView(p.buffer, p.byteOffset, p.byteLength).getInt32(0, true);
  const out: ErrorPayload = { errno: error === 0 ? 0 : -error, requestType: 0, requestSeq: msg.seq };
  if ((msg.flags & NLM_F_ACK_TLVS) !== 0) {
    for (const a of attrs(p.subarray(4))) if (a.type === NLMSGERR_ATTR_MSG) out.extack = getString(a.data);
  }
  return out;
}
