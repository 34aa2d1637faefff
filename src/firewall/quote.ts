/**
 * Quoting for the two syntaxes tscni writes or reads besides Go's %q (src/gofmt): the
 * iptables-restore line tokenizer and nft string literals. Inputs reaching these functions have
 * been through validate.ts already; the quoting only has to keep one token one token.
 */

// Characters the restore tokenizer treats as plain text outside quotes.
const IPT_BARE = /^[A-Za-z0-9_.,:/!+=@%^~[\]-]+$/;

/** One argv token written so that iptables-restore's tokenizer reads back exactly that token. */
export function iptablesToken(token: string): string {
  if (IPT_BARE.test(token)) return token;
  return `"${token.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/**
 * Splits a rule line the way iptables-restore does: whitespace separates, double quotes group,
 * and inside quotes a backslash takes the next character literally.
 */
export function splitRestoreLine(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inToken = false;
  let quoted = false;
  let escaped = false;
  for (const ch of line) {
    if (quoted) {
      if (escaped) {
        cur += ch;
        escaped = false;
      } else if (ch === "\\") {
        escaped = true;
      } else if (ch === '"') {
        quoted = false;
      } else {
        cur += ch;
      }
      continue;
    }
    if (ch === '"') {
      quoted = true;
      inToken = true;
    } else if (ch === " " || ch === "\t" || ch === "\n") {
      if (inToken) out.push(cur);
      cur = "";
      inToken = false;
    } else {
      cur += ch;
      inToken = true;
    }
  }
  if (inToken) out.push(cur);
  return out;
}

/** An nft string literal. nft has no escapes inside quotes, so the caller must exclude `"`. */
export function nftString(s: string): string {
  return `"${s}"`;
}
