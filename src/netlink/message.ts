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
  // Written straight into a buffer of its size (a Writer's buffer, view and closing copy cost
  // more than the 16 header bytes in JSC's interpreter; docs/performance.md, portmap rows).
  const out = new Uint8Array((NLMSG_HDRLEN + req.body.byteLength + 3) & ~3);
  writeMessageAt(out, 0, req, req.flags, seq, pid);
  return out;
}

/**
 * One framed message (nlmsghdr, the body; the padding is the caller's zeroed buffer) written at
 * `off` of `out`, with `flags` in place of the request's own (a batch sets its members' flags).
 * Returns the offset after it, padded to 4 bytes.
 */
export function writeMessageAt(out: Uint8Array, off: number, req: Request, flags: number, seq: number, pid = 0): number {
  const len = NLMSG_HDRLEN + req.body.byteLength;
  le32At(out, off, len);
  le16At(out, off + 4, req.type);
  le16At(out, off + 6, flags);
  le32At(out, off + 8, seq);
  le32At(out, off + 12, pid);
  out.set(req.body, off + NLMSG_HDRLEN);
  return off + ((len + 3) & ~3);
}

// Header fields read with byte arithmetic (in bounds: the callers check lengths first).
const le16Of = (b: Uint8Array, off: number): number => (b[off] ?? 0) | ((b[off + 1] ?? 0) << 8);
const le32Of = (b: Uint8Array, off: number): number => ((b[off] ?? 0) | ((b[off + 1] ?? 0) << 8) | ((b[off + 2] ?? 0) << 16) | ((b[off + 3] ?? 0) << 24)) >>> 0;

/** Little-endian stores (netlink headers, host-order fields of xt info blobs). */
export function le16At(b: Uint8Array, off: number, v: number): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
}

export function le32At(b: Uint8Array, off: number, v: number): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
  b[off + 2] = (v >>> 16) & 0xff;
  b[off + 3] = (v >>> 24) & 0xff;
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
  const out: Message[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= buf.byteLength) {
    const len = le32Of(buf, off);
    if (len < NLMSG_HDRLEN || off + len > buf.byteLength) throw new Error(`malformed netlink message at offset ${off} (len ${len})`);
    out.push({
      type: le16Of(buf, off + 4),
      flags: le16Of(buf, off + 6),
      seq: le32Of(buf, off + 8),
      pid: le32Of(buf, off + 12),
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
  const error = le32Of(p, 0) | 0;
  const out: ErrorPayload = { errno: error === 0 ? 0 : -error, requestType: 0, requestSeq: 0 };
  if (p.byteLength < 4 + NLMSG_HDRLEN) return out;
  const echoedLen = le32Of(p, 4);
  out.requestType = le16Of(p, 8);
  out.requestSeq = le32Of(p, 12);
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
  const error = le32Of(p, 0) | 0;
  const out: ErrorPayload = { errno: error === 0 ? 0 : -error, requestType: 0, requestSeq: msg.seq };
  if ((msg.flags & NLM_F_ACK_TLVS) !== 0) {
    for (const a of attrs(p.subarray(4))) if (a.type === NLMSGERR_ATTR_MSG) out.extack = getString(a.data);
  }
  return out;
}
