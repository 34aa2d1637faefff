/**
 * One consistent read of nf_tables (NftSession.readOnce): tables, chains and rules of the tables
 * asked for, all at one generation. What is asked for by name goes out in ONE datagram
 * (get-many.ts): the generation, each table, each chain named and each rule asked for by handle,
 * then the generation again, which closes the read when nothing is left to dump. Only a chain
 * list or rules to dump take more round trips, and one more generation after them.
 */
import { Errno } from "../../sys/index.ts";
import { NetlinkError } from "../errors.ts";
import type { Message, Request } from "../message.ts";
import type { Transport } from "../socket.ts";
import { GenerationMoved } from "./busy.ts";
import { type GetAnswer, getMany, presentOrAbsent } from "./get-many.ts";
import {
  chainDumpRequest,
  chainGetRequest,
  decodeChain,
  decodeGenId,
  decodeRule,
  decodeTable,
  getGenRequest,
  type NftChain,
  type NftRule,
  type NftTable,
  ruleDumpRequest,
  ruleGetRequest,
  tableGetRequest,
} from "./messages.ts";
import type { Ruleset, TableRef } from "./session.ts";

/** What a read needs of the session's connection. */
export interface ReadIo {
  readonly transport: Transport;
  nextSeq(): number;
  dump(op: string, req: Request): Message[];
  genId(): number;
}

interface Asked {
  readonly ref: TableRef;
  /** The chains to look up by name, without repeats; undefined: list them all (a dump). */
  readonly chainNames?: readonly string[];
}

/** Each table once (the first ref naming it decides, as before), its chain names without repeats. */
function askedOnce(refs: readonly TableRef[]): Asked[] {
  const out: Asked[] = [];
  const seen = new Set<string>();
  for (const ref of refs) {
    const key = `${ref.family}:${ref.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (ref.chainNames === undefined) {
      out.push({ ref });
      continue;
    }
    const names: string[] = [];
    for (const n of new Set(ref.chainNames)) names.push(n);
    out.push({ ref, chainNames: names });
  }
  return out;
}

const enc = new TextEncoder();
/** Bun's Buffer search (native, any Uint8Array as `this`): a loop over a rule's bytes in JS costs far more. */
const indexOf = Buffer.prototype.indexOf as (this: Uint8Array, value: Uint8Array) => number;

/**
 * The rule messages of `dump` that hold the bytes of one of `names`, added to `out`. A rule
 * that jumps or goes to a chain carries its name in the verdict, so no such rule is left out;
 * the rest (a jump per pod in an entry chain) are never decoded.
 */
function keepNaming(dump: readonly Message[], names: readonly string[], out: Message[]): void {
  const needles: Uint8Array[] = [];
  for (const n of names) needles.push(enc.encode(n));
  for (const m of dump) {
    for (const needle of needles) {
      if (indexOf.call(m.payload, needle) < 0) continue;
      out.push(m);
      break;
    }
  }
}

function genOf(a: GetAnswer): number {
  const m = presentOrAbsent("NFT_MSG_GETGEN", a);
  const id = m === undefined ? undefined : decodeGenId(m);
  if (id === undefined) throw new NetlinkError("NFT_MSG_GETGEN", Errno.EPROTO, "no generation id in reply", a.seq);
  return id;
}

/** Tables, chains and rules of `refs` (missing tables are simply absent); GenerationMoved when another writer committed meanwhile. */
export function readRulesetOnce(io: ReadIo, refs: readonly TableRef[]): Ruleset {
  const asked = askedOnce(refs);
  const reqs: Request[] = [getGenRequest()];
  for (const a of asked) {
    reqs.push(tableGetRequest(a.ref.family, a.ref.name));
    for (const name of a.chainNames ?? []) reqs.push(chainGetRequest(a.ref.family, a.ref.name, name));
    for (const h of a.ref.ruleHandles ?? []) reqs.push(ruleGetRequest(a.ref.family, a.ref.name, h.chain, h.handle));
  }
  // The closing generation, unless a chain list is certainly dumped (a table listed whole).
  let dumped = false;
  for (const a of asked) if (a.chainNames === undefined) dumped = true;
  if (!dumped) reqs.push(getGenRequest());
  const answers = getMany(io.transport, io.nextSeq, "nf_tables read", reqs);
  let k = 0;
  const next = (): GetAnswer => answers[k++] as GetAnswer;
  /** The present ones of the next `n` answers. */
  const present = (op: string, n: number): Message[] => {
    const out: Message[] = [];
    for (let i = 0; i < n; i++) {
      const m = presentOrAbsent(op, next());
      if (m !== undefined) out.push(m);
    }
    return out;
  };
  const genId = genOf(next());
  const tables: NftTable[] = [];
  const chains: NftChain[] = [];
  const rules: NftRule[] = [];
  for (const { ref, chainNames } of asked) {
    const tm = present("NFT_MSG_GETTABLE", 1)[0];
    const named = present("NFT_MSG_GETCHAIN", chainNames?.length ?? 0);
    const fetched = present("NFT_MSG_GETRULE", ref.ruleHandles?.length ?? 0);
    const t = tm === undefined ? undefined : decodeTable(tm);
    if (t === undefined || t.family !== ref.family || t.name !== ref.name) continue;
    tables.push(t);
    const existing = new Set<string>();
    for (const m of chainNames === undefined ? io.dump("NFT_MSG_GETCHAIN", chainDumpRequest(t.family, t.name)) : named) {
      const c = decodeChain(m);
      if (c === undefined || c.table !== t.name || c.family !== t.family) continue;
      chains.push(c);
      existing.add(c.name);
    }
    const scope = typeof ref.chains === "function" ? ref.chains(existing) : ref.chains;
    const jumpsOnly = ref.jumpsOnly?.(existing);
    const messages: Message[] = [];
    for (const chain of scope ? new Set(scope) : [undefined]) {
      dumped = true;
      const dump = io.dump("NFT_MSG_GETRULE", ruleDumpRequest(t.family, t.name, chain));
      const targets = chain === undefined ? undefined : jumpsOnly?.get(chain);
      if (targets === undefined) messages.push(...dump);
      else keepNaming(dump, targets, messages);
    }
    messages.push(...fetched);
    for (const m of messages) {
      const r = decodeRule(m);
      if (r && r.table === t.name && r.family === t.family) rules.push(r);
    }
  }
  const now = dumped ? io.genId() : genOf(next());
  if (now !== genId) throw new GenerationMoved(`generation ${genId} became ${now} during the read`);
  return { genId, tables, chains, rules };
}
