/**
 * portmap's `conditionsV4` / `conditionsV6`: user tokens placed in front of (nft) or inside
 * (iptables) the rule that sends traffic to the port-mapping chains. They may only narrow which
 * packets match. Each dialect has a strict allow-list grammar of match expressions; a verdict, a
 * statement, a target or anything the grammar does not know is refused, naming the token, before
 * any change is planned (CNI code 7, invalid network config).
 */
import { CniError, ErrorCode } from "../cni/index.ts";
import { parseCIDRLiteral, parseIPLiteral, toBigInt } from "../ip/index.ts";
import type { Family } from "./model.ts";

export const CONDITION_LIMITS = { tokens: 64, tokenBytes: 256 } as const;

export function conditionError(what: string, msg: string): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, `${what}: ${msg}`);
}

export function show(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
}

// C0 controls, DEL, and the Unicode line/paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/u;

/** Limits every dialect shares: the list and token sizes, no empty token, no control character. */
export function checkTokenList(what: string, tokens: readonly string[]): void {
  if (tokens.length > CONDITION_LIMITS.tokens) throw conditionError(what, `too many tokens (at most ${CONDITION_LIMITS.tokens})`);
  for (const t of tokens) {
    if (t === "") throw conditionError(what, "empty token");
    if (CONTROL.test(t)) throw conditionError(what, `token ${show(t)} contains control characters`);
    const n = Buffer.byteLength(t, "utf8");
    if (n > CONDITION_LIMITS.tokenBytes) throw conditionError(what, `token ${show(t.slice(0, 40))} is too long (${n} bytes, at most ${CONDITION_LIMITS.tokenBytes})`);
  }
}

/** Reads a token list front to back; running out names what was expected. */
export class Cursor {
  private i = 0;
  constructor(
    private readonly items: readonly string[],
    readonly what: string,
  ) {}

  get done(): boolean {
    return this.i >= this.items.length;
  }

  peek(): string | undefined {
    return this.items[this.i];
  }

  next(expected: string): string {
    const t = this.items[this.i++];
    if (t === undefined) throw conditionError(this.what, `ends early (expected ${expected})`);
    return t;
  }

  /** The next item, which must be one of `allowed`. */
  pick<T extends string>(allowed: readonly T[]): T {
    const t = this.next(allowed.join(", "));
    if (!(allowed as readonly string[]).includes(t)) throw refuseToken(this.what, t, allowed.join(", "));
    return t as T;
  }
}

/** A single address or a prefix, of `family` when one is given (both otherwise). */
export function isAddress(text: string, family: Family | undefined): boolean {
  const parsed = text.includes("/") ? parseCIDRLiteral(text)?.ip : parseIPLiteral(text);
  if (parsed === undefined) return false;
  return family === undefined || (parsed.kind() === "ipv4" ? 4 : 6) === family;
}

/** A plain address (no prefix) of `family`, for the ends of a range. */
export function isPlainAddress(text: string, family: Family | undefined): boolean {
  return !text.includes("/") && isAddress(text, family);
}

/** Decimal or 0x hex, within 32 bits. */
export function isNumber(text: string, max = 0xffffffff): boolean {
  if (!/^(0x[0-9a-f]{1,8}|[0-9]{1,10})$/i.test(text)) return false;
  return Number(text) <= max;
}

/** A range's ends (numbers or addresses, already checked) in order: nft and iptables refuse a reversed one. */
export function inOrder(lo: string, hi: string): boolean {
  const [a, b] = [parseIPLiteral(lo), parseIPLiteral(hi)];
  if (a !== undefined && b !== undefined) return toBigInt(a) <= toBigInt(b);
  return Number(lo) <= Number(hi);
}

export const isPort = (text: string): boolean => /^[0-9]{1,5}$/.test(text) && Number(text) <= 65535;

/** IP protocol names both tools know, or a protocol number. */
const IP_PROTOCOLS = new Set(["tcp", "udp", "udplite", "sctp", "dccp", "icmp", "icmpv6", "ipv6-icmp", "esp", "ah", "gre", "igmp"]);

export const isIpProtocol = (text: string): boolean => IP_PROTOCOLS.has(text.toLowerCase()) || (/^[0-9]{1,3}$/.test(text) && Number(text) <= 255);

/** Interface names as the kernel allows them, with the tool's wildcard suffix (`*` nft, `+` iptables). */
export function isIfName(text: string, wildcard: "*" | "+"): boolean {
  const name = text.endsWith(wildcard) ? text.slice(0, -1) : text;
  return /^[A-Za-z0-9_.@-]{1,15}$/.test(name) && name !== "." && name !== "..";
}

/** Verdicts, statements and commands, so a refusal can say why "drop" or "counter" is refused. */
export const VERDICTS_AND_STATEMENTS = new Set([
  "accept", "drop", "reject", "queue", "continue", "return", "jump", "goto", "counter", "log", "limit",
  "quota", "set", "masquerade", "redirect", "dnat", "snat", "notrack", "flow", "offload", "dup", "fwd",
  "synproxy", "tproxy", "secmark", "meter", "add", "update", "delete", "delete", "reset", "flush", "insert",
  "replace", "create", "destroy", "list", "define", "include", "notrack", "stateless",
]);

export function refuseToken(what: string, token: string, expected: string): CniError {
  const statement = VERDICTS_AND_STATEMENTS.has(token.toLowerCase()) || /^(-j|-g|--jump|--goto|--set.*)$/.test(token);
  return conditionError(
    what,
    statement
      ? `${show(token)} is not allowed: conditions may only match packets (no verdict, target or statement)`
      : `${show(token)} is not allowed here (expected ${expected})`,
  );
}
