/** The bench's command line: which scenarios, how many rounds and pods, how strict. */
import type { Scenario } from "./model.ts";

export interface Options {
  quick: boolean;
  rounds: number;
  only: string[];
  strict: boolean;
  list: boolean;
  pods: number;
}

function usage(): never {
  console.error("usage: bench.ts [--quick] [--rounds N] [--only id[,id…]] [--pods N] [--strict] [--list]");
  process.exit(2);
}

export function parseArgs(argv: string[]): Options {
  const o: Options = { quick: false, rounds: 0, only: [], strict: false, list: false, pods: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    const [flag, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = (): string => inline ?? argv[++i] ?? usage();
    if (flag === "--quick") o.quick = true;
    else if (flag === "--strict") o.strict = true;
    else if (flag === "--list") o.list = true;
    else if (flag === "--rounds") {
      o.rounds = Number(value());
      if (!Number.isInteger(o.rounds) || o.rounds < 1) usage();
    } else if (flag === "--pods") {
      o.pods = Number(value());
      if (!Number.isInteger(o.pods) || o.pods < 2) usage();
    } else if (flag === "--only") o.only.push(...value().split(",").filter((s) => s !== ""));
    else usage();
  }
  if (o.rounds === 0) o.rounds = o.quick ? 3 : 20;
  if (o.pods === 0) o.pods = o.quick ? 30 : 250;
  return o;
}

/** `--only bridge` picks every `bridge-…` scenario too. */
export function selected(s: Scenario, only: readonly string[]): boolean {
  return only.length === 0 || only.some((x) => s.id === x || s.id.startsWith(`${x}-`));
}
