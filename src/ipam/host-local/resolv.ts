/**
 * resolv.conf → the result's `dns`, with the reference's rules (the same file must give the same
 * result): trimmed lines, `#`/`;` comments, whitespace-separated fields, four case-sensitive
 * keywords.
 */
import type { Dns } from "../../cni/result.ts";
import { nodeFs } from "../../lazy-node.ts";
import { goPathError } from "./errors.ts";
import { goFields, goTrim } from "./go-text.ts";

/** bufio.Scanner's default maximum line length. */
const MAX_LINE = 64 * 1024;

export function parseResolvConfText(text: string): Dns {
  const dns: Dns = {};
  for (const raw of text.split("\n")) {
    if (Buffer.byteLength(raw) > MAX_LINE) throw new Error("bufio.Scanner: token too long");
    const line = goTrim(raw);
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const fields = goFields(line);
    const [keyword, first] = fields;
    if (keyword === undefined || first === undefined) continue;
    switch (keyword) {
      case "nameserver":
        (dns.nameservers ??= []).push(first);
        break;
      case "domain":
        dns.domain = first;
        break;
      case "search":
        (dns.search ??= []).push(...fields.slice(1));
        break;
      case "options":
        (dns.options ??= []).push(...fields.slice(1));
        break;
    }
  }
  return dns;
}

/** Reads and parses `path`; failures carry Go's `open <path>: <reason>` wording. */
export function parseResolvConf(path: string): Dns {
  let text: string;
  try {
    // node:fs loaded only here: a config without resolvConf never pays for its import.
    text = nodeFs().readFileSync(path, "utf8");
  } catch (err) {
    throw goPathError(err, path);
  }
  return parseResolvConfText(text);
}
