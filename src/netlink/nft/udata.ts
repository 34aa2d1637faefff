/**
 * libnftnl's userdata TLVs (u8 type, u8 length, value): where nft and iptables-nft keep a
 * table's, chain's or rule's comment. The comment value is NUL-terminated.
 */
import { NFTNL_UDATA_RULE_COMMENT } from "./constants.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

export function readComment(b: Uint8Array | undefined): string | undefined {
  if (b === undefined) return undefined;
  let off = 0;
  while (off + 2 <= b.byteLength) {
    const type = b[off] ?? 0;
    const len = b[off + 1] ?? 0;
    if (off + 2 + len > b.byteLength) return undefined;
    if (type === NFTNL_UDATA_RULE_COMMENT) {
      const v = b.subarray(off + 2, off + 2 + len);
      const nul = v.indexOf(0);
      return dec.decode(nul >= 0 ? v.subarray(0, nul) : v);
    }
    off += 2 + len;
  }
  return undefined;
}

/** A comment TLV; nft limits comments to 128 bytes, so the u8 length always fits. */
export function writeComment(comment: string): Uint8Array {
  const s = enc.encode(comment);
  if (s.byteLength + 1 > 255) throw new RangeError("nft comment longer than 254 bytes");
  const out = new Uint8Array(2 + s.byteLength + 1);
  out[0] = NFTNL_UDATA_RULE_COMMENT;
  out[1] = s.byteLength + 1;
  out.set(s, 2);
  return out;
}
