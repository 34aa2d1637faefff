/**
 * What a 0.x result said that the internal 1.1.0 shape does not hold, though Go's 0.x types do:
 * a result parsed and printed again within its family (portmap's prevResult, a chain member's
 * result) prints it as given, as the references do; a result built anew, or converted through
 * another family, is printed from its addresses.
 * - 0.3.x/0.4.0: each IP's `version` ("" when missing; the address's family otherwise).
 * - 0.1.0/0.2.0: which block (`ip4`/`ip6`) held an address and its routes, whatever their family.
 * Held beside the very `ips` (and `routes`) arrays they describe: a result given other arrays
 * prints from its addresses.
 */
import type { IpConfig, Result, Route } from "./result.ts";

const GIVEN = Symbol("tscni.given-fields");

/** One 0.x block: the key, its address (an index of `ips`) and its routes (`routes[from, to)`). */
export interface Block020 {
  key: "ip4" | "ip6";
  ip: number;
  from: number;
  to: number;
}

interface Given {
  ips: IpConfig[] | undefined;
  routes: Route[] | undefined;
  versions?: string[];
  blocks?: Block020[];
}

type WithGiven = Result & { [GIVEN]?: Given };

function given(r: Result): Given | undefined {
  const g = (r as WithGiven)[GIVEN];
  return g !== undefined && g.ips === r.ips && g.routes === r.routes ? g : undefined;
}

/** Not enumerable: no copy of the result (a spread, a deep comparison) sees it. */
function keep(r: Result, g: Given): Result {
  Object.defineProperty(r, GIVEN, { value: g, enumerable: false });
  return r;
}

export function keepIpVersions(r: Result, versions: string[]): Result {
  return keep(r, { ips: r.ips, routes: r.routes, versions });
}

export function keepBlocks(r: Result, blocks: Block020[]): Result {
  return keep(r, { ips: r.ips, routes: r.routes, blocks });
}

/** The version given for `r.ips[index]`, if `r` was parsed from the 0.3.x/0.4.0 family. */
export function givenIpVersion(r: Result, index: number): string | undefined {
  return given(r)?.versions?.[index];
}

/** The blocks as given, if `r` was parsed from the 0.1.0/0.2.0 family. */
export function givenBlocks(r: Result): Block020[] | undefined {
  return given(r)?.blocks;
}
