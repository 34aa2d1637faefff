/**
 * Go's net.ParseMAC for the container MAC: `xx:xx:…`, `xx-xx-…` or `xxxx.xxxx.…`, 6, 8 or 20
 * bytes. Only 6-byte (Ethernet) addresses can be given to a veth; longer ones are refused by the
 * kernel later, exactly as with the reference.
 */
import { internalError } from "../cni/index.ts";

const HEX = /^[0-9a-fA-F]+$/;

function groups(s: string, sep: string, width: number): string[] | undefined {
  const parts = s.split(sep);
  return parts.every((p) => p.length === width && HEX.test(p)) ? parts : undefined;
}

/** Lower-case colon form, or undefined when Go would reject the text. */
export function parseGoMac(s: string): string | undefined {
  let bytes: string[] | undefined;
  if (s.length >= 14 && s[4] === ".") {
    bytes = groups(s, ".", 4)?.flatMap((g) => [g.slice(0, 2), g.slice(2)]);
  } else if (s.length >= 14 && (s[2] === ":" || s[2] === "-")) {
    bytes = groups(s, s[2], 2);
  }
  if (bytes === undefined || ![6, 8, 20].includes(bytes.length)) return undefined;
  return bytes.map((b) => b.toLowerCase()).join(":");
}

/** The veth's MAC, or the reference's error for text Go cannot parse. */
export function containerMac(s: string): string | undefined {
  if (s === "") return undefined;
  const mac = parseGoMac(s);
  if (mac === undefined) throw internalError(`failed to make veth pair: address ${s}: invalid MAC address`);
  return mac;
}
