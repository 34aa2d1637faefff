/** portmap conditions checked for the backend a config chose (its own file: backend.ts imports the apply path, which imports validate.ts). */
import { conditionsDialect } from "./backend.ts";
import { checkIptablesMatches } from "./conditions-iptables.ts";
import { checkNftMatches } from "./conditions-nft.ts";
import type { Family } from "./model.ts";

/**
 * portmap conditions for `backend` (its name): matches only, for `family`'s packets (CNI code 7
 * otherwise), read in the syntax the list is written in (the backend's, unless the config has a
 * conflict, reported on its own). The plans check them again without a family.
 */
export function checkConditions(backend: string | undefined, what: string, tokens: readonly string[], family?: Family): readonly string[] {
  const dialect = conditionsDialect(tokens) ?? (backend === "nftables" ? "statements" : "flags");
  return dialect === "statements" ? checkNftMatches(what, tokens, family) : checkIptablesMatches(what, tokens, family);
}
