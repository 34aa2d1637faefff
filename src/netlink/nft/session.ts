/**
 * One NETLINK_NETFILTER socket for nf_tables: consistent reads (the generation id before and
 * after the dumps must match) and atomic batches. A batch carries the generation id the plan was
 * computed from (NFNL_BATCH_GENID): when another writer committed in between, the kernel refuses
 * the whole batch with ERESTART and the caller re-reads and re-plans, so a concurrent writer makes
 * tscni retry (bounded by time, busy.ts) and never makes it delete the wrong handle.
 *
 * Waiting for the kernel: nfnetlink handles a batch inside our sendto(), so every reply it will
 * ever send is queued before send returns. What it sends is exact: one message for each request
 * carrying NLM_F_ACK (an ack or its error), or a single error on BATCH_BEGIN when it refused the
 * batch as a whole (ERESTART, EPERM) — and NOTHING for an empty batch that commits, nor for
 * BATCH_BEGIN/END themselves. So no empty batch is ever sent, every request carries NLM_F_ACK, and
 * the wait ends when each owed reply is in; the receive bound is a guard against a kernel that
 * breaks that rule, and hitting it is an error with a message.
 */
import { Errno } from "../../sys/index.ts";
import { Writer } from "../attrs.ts";
import { Conn, OWED_REPLY_MS } from "../conn.ts";
import { NETLINK_NETFILTER, NLM_F_ACK, NLM_F_REQUEST, NLMSG_ERROR } from "../constants.ts";
import { NetlinkError, NetlinkGaveUp } from "../errors.ts";
import { parseError, parseMessages, type Request } from "../message.ts";
import { NetlinkSocket, type Transport } from "../socket.ts";
import { BUSY_BUDGET_MS, GenerationMoved, whileBusy } from "./busy.ts";
import { ERESTART, NFNL_BATCH_GENID, NFNL_MSG_BATCH_BEGIN, NFNL_MSG_BATCH_END, NFNL_SUBSYS_NFTABLES, NFPROTO_IPV4, NFT_MSG_DELTABLE, NFTA_TABLE_NAME } from "./constants.ts";
import { be32Bytes } from "./expr.ts";
import { encodeMessages, type Outgoing } from "./flat-request.ts";
import { decodeGenId, getGenRequest, nfgenmsg, nftType, type NftChain, type NftRule, type NftTable } from "./messages.ts";
import { readRulesetOnce } from "./read.ts";

export interface TableRef {
  /** NFPROTO_*. */
  readonly family: number;
  readonly name: string;
  /**
   * Read only these chains' rules (the kernel filters the dump); all chains are still listed.
   * A function picks them knowing which chains the table has.
   */
  readonly chains?: readonly string[] | ((existing: ReadonlySet<string>) => readonly string[]);
  /**
   * List only these chains, each asked for by name, instead of dumping every chain of the table
   * (which grows with the pods on the node): for a call that knows every chain it can touch.
   */
  readonly chainNames?: readonly string[];
  /**
   * Chains (of those whose rules are read) where only the rules that may jump or go to one of the
   * given chains are wanted, picked knowing which chains the table has: a rule message holding
   * none of those names' bytes is dropped before it is decoded (read.ts).
   */
  readonly jumpsOnly?: (existing: ReadonlySet<string>) => ReadonlyMap<string, readonly string[]>;
  /** Single rules, each asked for by chain and handle (absent when gone), besides the dumped chains' rules. */
  readonly ruleHandles?: readonly { readonly chain: string; readonly handle: bigint }[];
}

/** What one read saw, all at one generation. */
export interface Ruleset {
  readonly genId: number;
  readonly tables: readonly NftTable[];
  readonly chains: readonly NftChain[];
  readonly rules: readonly NftRule[];
}

/** What the kernel answered to one batch. */
type BatchOutcome =
  /** Refused whole because its generation has passed: nothing applied. */
  | { readonly kind: "restart" }
  /** Refused whole for another reason (EPERM without CAP_NET_ADMIN, …): nothing applied. */
  | { readonly kind: "refused"; readonly error: NetlinkError }
  /** Every request answered; with a failure, the kernel aborted the batch: nothing applied. */
  | { readonly kind: "answered"; readonly failure?: NetlinkError };

export class NftSession implements Disposable {
  readonly #conn: Conn;

  constructor(readonly transport: Transport) {
    this.#conn = new Conn(transport);
  }

  static open(): NftSession {
    return new NftSession(NetlinkSocket.open(NETLINK_NETFILTER));
  }

  genId(): number {
    const id = decodeGenId(this.#conn.get("NFT_MSG_GETGEN", getGenRequest()));
    if (id === undefined) throw new NetlinkError("NFT_MSG_GETGEN", Errno.EPROTO, "no generation id in reply", 0);
    this.#seenGen = id;
    return id;
  }

  /** The last generation this session read: never the current one again once another passed. */
  #seenGen: number | undefined;

  /**
   * Tables, chains and rules of `refs` (missing tables are simply absent), at one generation;
   * re-read while other writers keep changing the ruleset (bounded by time, busy.ts).
   */
  read(refs: readonly TableRef[]): Ruleset {
    return whileBusy("nf_tables read", () => this.readOnce(refs));
  }

  /** One attempt at `read`: throws GenerationMoved when another writer committed meanwhile. */
  readOnce(refs: readonly TableRef[]): Ruleset {
    const conn = this.#conn;
    const rs = readRulesetOnce({ transport: this.transport, nextSeq: () => conn.nextSeq(), dump: (op, req) => conn.dump(op, req), genId: () => this.genId() }, refs);
    this.#seenGen = rs.genId;
    return rs;
  }

  /**
   * Sends `changes` as one batch tied to `genId`. Returns false when the kernel refused it because
   * the ruleset changed since (ERESTART): nothing of it was applied. Any other refusal throws,
   * and nothing of the batch was applied either. No changes: nothing is sent.
   */
  commit(changes: readonly Request[], genId: number): boolean {
    if (changes.length === 0) return true;
    const outcome = this.#batch("nf_tables batch", changes, genId);
    if (outcome.kind === "restart") return false;
    if (outcome.kind === "refused") throw outcome.error;
    if (outcome.failure) throw outcome.failure;
    return true;
  }

  /**
   * Whether this process may change nf_tables here, without changing anything. The probe batch
   * is tied to a generation that has already passed (never 0: the kernel reads 0 as "do not
   * check" and would commit it) and holds one request that cannot succeed (deleting a table whose
   * name is longer than any table's can be), so the kernel always sends exactly one reply:
   * EPERM on BATCH_BEGIN from its CAP_NET_ADMIN check, else ERESTART on BATCH_BEGIN, or — if the
   * generation were somehow current — the request's own error, which aborts the batch.
   */
  writable(): boolean {
    // Any generation read earlier, minus one, has passed: the session's first read (nftSession
    // opens with one) saves a round trip here.
    const stale = ((this.#seenGen ?? this.genId()) - 1) >>> 0 || 0xffffffff;
    const outcome = this.#batch("nf_tables probe", [impossibleDelete()], stale);
    switch (outcome.kind) {
      case "restart":
        return true;
      case "refused":
        if (outcome.error.errno === Errno.EPERM) return false;
        throw outcome.error;
      case "answered":
        if (outcome.failure) return true;
        throw new NetlinkGaveUp("nf_tables probe", Errno.EPROTO, "the kernel accepted a delete of a table that cannot exist", 0);
    }
  }

  /** Sends BEGIN, `requests` (each with NLM_F_ACK), END; collects exactly the replies owed. */
  #batch(op: string, requests: readonly Request[], genId: number): BatchOutcome {
    const beginSeq = this.#conn.nextSeq();
    const begin = batchBegin(genId);
    const msgs: Outgoing[] = [{ req: begin, flags: begin.flags, seq: beginSeq }];
    const owed = new Set<number>();
    for (const r of requests) {
      const seq = this.#conn.nextSeq();
      owed.add(seq);
      msgs.push({ req: r, flags: r.flags | NLM_F_ACK, seq });
    }
    const end = batchEnd();
    msgs.push({ req: end, flags: end.flags, seq: this.#conn.nextSeq() });
    this.transport.send(encodeMessages(msgs));
    return this.#collect(op, beginSeq, owed);
  }

  #collect(op: string, beginSeq: number, owed: Set<number>): BatchOutcome {
    const total = owed.size;
    const deadline = Date.now() + OWED_REPLY_MS;
    let failure: NetlinkError | undefined;
    while (owed.size > 0) {
      // After a failure the kernel may send one error in place of the remaining acks (ENOMEM),
      // and all it sends is already queued: take what is there, do not wait for more.
      const dgram = this.transport.receive(failure ? 0 : Math.max(0, deadline - Date.now()));
      if (dgram === undefined) {
        if (failure) break;
        throw new NetlinkGaveUp(op, Errno.ETIMEDOUT, `the kernel answered ${total - owed.size} of ${total} requests and then nothing for ${OWED_REPLY_MS} ms`, beginSeq);
      }
      for (const m of parseMessages(dgram)) {
        if (m.type !== NLMSG_ERROR) continue;
        const e = parseError(m);
        if (m.seq === beginSeq && e.errno !== 0) {
          if (e.errno === ERESTART) return { kind: "restart" };
          return { kind: "refused", error: new NetlinkError(op, e.errno, e.extack, m.seq) };
        }
        if (!owed.delete(m.seq)) continue;
        if (e.errno !== 0) failure ??= new NetlinkError(op, e.errno, e.extack, m.seq);
      }
    }
    return failure ? { kind: "answered", failure } : { kind: "answered" };
  }

  close(): void {
    this.#conn.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function batchBegin(genId: number): Request {
  const w = new Writer();
  w.bytes(nfgenmsg(0, NFNL_SUBSYS_NFTABLES));
  w.attrBytes(NFNL_BATCH_GENID, be32Bytes(genId));
  return { type: NFNL_MSG_BATCH_BEGIN, flags: NLM_F_REQUEST, body: w.finish() };
}

function batchEnd(): Request {
  return { type: NFNL_MSG_BATCH_END, flags: NLM_F_REQUEST, body: nfgenmsg(0, NFNL_SUBSYS_NFTABLES) };
}

/**
 * DELTABLE of an `ip` table named longer than NFT_TABLE_MAXNAMELEN: refused by the attribute
 * policy (or, failing that, not found). The family is explicit on purpose: DELTABLE with
 * NFPROTO_UNSPEC flushes every table.
 */
function impossibleDelete(): Request {
  const w = new Writer();
  w.bytes(nfgenmsg(NFPROTO_IPV4));
  w.attrString(NFTA_TABLE_NAME, "tscni-writable-probe-".padEnd(300, "x"));
  return { type: nftType(NFT_MSG_DELTABLE), flags: NLM_F_REQUEST | NLM_F_ACK, body: w.finish() };
}

/**
 * Reads, plans and commits until the batch goes in at the generation it was planned from, while
 * other writers keep moving the generation (bounded by time, busy.ts). `plan` returns the change
 * messages for a ruleset (none: nothing to do, and nothing is sent).
 */
export function transact(s: NftSession, refs: readonly TableRef[], plan: (rs: Ruleset) => readonly Request[], budgetMs = BUSY_BUDGET_MS): Ruleset {
  return whileBusy("nf_tables batch", () => {
    const rs = s.readOnce(refs);
    const changes = plan(rs);
    if (changes.length === 0 || s.commit(changes, rs.genId)) return rs;
    throw new GenerationMoved(`generation ${rs.genId} passed before the batch went in (ERESTART)`);
  }, budgetMs);
}
