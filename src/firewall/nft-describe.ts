/**
 * A kernel rule described as nft would print it, best effort, for a rule the typed decoder
 * (nft-decode.ts) could not read: what doctor and the logs show of a foreign rule. Statements
 * are read by nft-expr-reader.ts; each expression no statement here covers becomes a `?name`
 * token. Nothing is planned from this text.
 */
import { ipBytesString } from "../ip/index.ts";
import type { Expr } from "../netlink/nft/expr.ts";
import { NFPROTO_BRIDGE, NFPROTO_IPV4, NFPROTO_IPV6, NFT_CMP_NEQ } from "../netlink/nft/constants.ts";
import { loadsTransportHeader, NftExprReader, type NftStatement } from "./nft-expr-reader.ts";

// Not nft-compile's L4_NUMBER: these are the names nft prints, wider than the protocols the model writes ports for.
const L4: Readonly<Record<number, string>> = { 6: "tcp", 17: "udp", 132: "sctp", 33: "dccp", 136: "udplite" };

const neq = (op: number): string[] => (op === NFT_CMP_NEQ ? ["!="] : []);

/** What came before a statement that changes how it prints. */
interface Context {
  readonly tableFamily: number;
  /** "ip" / "ip6" once known (table family, nfproto dependency), an l4proto's number after one. */
  proto: string;
  /** Whether the statement after an l4proto reads the transport header (nft prints the protocol there). */
  transportNext: boolean;
}

/** `dnat [ip|ip6] to <addr>[:port]`; the family word only where the table does not imply it. */
function dnatText(s: Extract<NftStatement, { kind: "dnat" }>, tableFamily: number): string[] {
  const v6 = s.family === NFPROTO_IPV6;
  const a = ipBytesString(s.addr);
  const where = s.port === undefined ? a : v6 ? `[${a}]:${s.port}` : `${a}:${s.port}`;
  const famWord = tableFamily === NFPROTO_IPV4 || tableFamily === NFPROTO_IPV6 ? [] : [v6 ? "ip6" : "ip"];
  return ["dnat", ...famWord, "to", where];
}

/** The statement's words; undefined where it does not print in this context (each expression then shows as `?name`). */
function text(s: NftStatement, ctx: Context): string[] | undefined {
  switch (s.kind) {
    case "nfproto":
      if (ctx.tableFamily === NFPROTO_BRIDGE) return undefined;
      // The dependency nft adds in inet tables before an ip/ip6 match; it prints nothing.
      ctx.proto = s.family === NFPROTO_IPV6 ? "ip6" : "ip";
      return [];
    case "l4proto":
      ctx.proto = String(s.proto);
      return ctx.transportNext ? [] : ["meta", "l4proto", ...neq(s.op), L4[s.proto] ?? String(s.proto)];
    case "iface":
      return [s.dir === "iif" ? "iifname" : "oifname", ...neq(s.op), JSON.stringify(s.wildcard ? `${s.name}*` : s.name)];
    case "address": {
      if (ctx.proto === "ip" ? s.v6 : ctx.proto === "ip6" && !s.v6) return undefined;
      const addr = s.prefix === s.addr.byteLength * 8 ? ipBytesString(s.addr) : `${ipBytesString(s.addr)}/${s.prefix}`;
      return [s.v6 ? "ip6" : "ip", s.field, ...neq(s.op), addr];
    }
    case "port": {
      const name = L4[Number(ctx.proto)];
      return name === undefined ? undefined : [name, s.field, ...neq(s.op), String(s.port)];
    }
    case "ether":
      return ["ether", s.field, ...neq(s.op), s.mac];
    case "fib-daddr-type":
      return ["fib", "daddr", "type", ...neq(s.op), s.type];
    case "verdict":
      return s.chain === undefined ? [s.word] : [s.word, s.chain];
    case "load":
      return [];
    case "dnat":
      return dnatText(s, ctx.tableFamily);
    case "masquerade":
    case "counter":
      return [s.kind];
  }
}

/** The statements of one rule of a table of `tableFamily` (NFPROTO_*), as `nft list` prints them. */
export function describeNftExprs(tableFamily: number, exprs: readonly Expr[]): string {
  const out: string[] = [];
  const reader = new NftExprReader(exprs);
  const ctx: Context = { tableFamily, proto: tableFamily === NFPROTO_IPV4 ? "ip" : tableFamily === NFPROTO_IPV6 ? "ip6" : "", transportNext: false };
  for (let i = 0; i < exprs.length; ) {
    const s = reader.at(i);
    ctx.transportNext = loadsTransportHeader(exprs[i + 2]);
    const words = s && text(s, ctx);
    if (s && words) {
      out.push(...words);
      i += s.used;
    } else {
      out.push(`?${exprs[i]?.name}`);
      i++;
    }
  }
  return out.join(" ");
}
