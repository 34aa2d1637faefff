import type { Result } from "./result.ts";

/**
 * The reference loopback builds a 1.x result and only relabels it with the config's version, so
 * for every explicit version it prints 1.x-style JSON. A result marked here gets that treatment.
 */
const LABEL_ONLY = Symbol("tscni.labelOnly");

export function labelOnly(result: Result): Result {
  return Object.assign(result, { [LABEL_ONLY]: true });
}

export function isLabelOnly(result: Result): boolean {
  return (result as Result & { [LABEL_ONLY]?: boolean })[LABEL_ONLY] === true;
}
