import type { Result } from "./result.ts";

/**
 * A result already in wire form, printed by the dispatcher exactly as given: chain mode hands on
 * its last member's result at that member's own version, as libcni would have received it.
 */
const WIRE = Symbol("tscni.wire");

export function passThrough(wire: Record<string, unknown>): Result {
  return { [WIRE]: wire } as unknown as Result;
}

export function passedThrough(result: Result): Record<string, unknown> | undefined {
  return (result as Result & { [WIRE]?: Record<string, unknown> })[WIRE];
}
