/**
 * One NETLINK_NETFILTER socket for nf_tables: consistent reads (the generation id before and
 * after the dumps must match) and atomic batches. A batch carries the generation id the plan was
 * computed from (NFNL_BATCH_GENID): when another writer committed in between, the kernel refuses
 * the whole batch with ERESTART and the caller re-reads and re-plans, so a concurrent writer makes
 * tscni retry and never makes it delete the wrong handle.
 */
import { Errno } from "../../sys/index.ts";
import { Writer } from "../attrs.ts";
import { Conn } from "../conn.ts";
import { NETLINK_NETFILTER, NLM_F_REQUEST, NLMSG_ERROR } from "../constants.ts";
import { NetlinkError } from "../errors.ts";
import { encodeMessage, parseError, parseMessages, type Request } from "../message.ts";
import { NetlinkSocket, type Transport } from "../socket.ts";
import { ERESTART, NFNL_BATCH_GENID, NFNL_MSG_BATCH_BEGIN, NFNL_MSG_BATCH_END, NFNL_SUBSYS_NFTABLES } from "./constants.ts";
import { be32Bytes } from "./expr.ts";
import {
  chainDumpRequest,
  decodeChain,
  decodeGenId,
  decodeRule,
  decodeTable,
  getGenRequest,
  nfgenmsg,
  type NftChain,
  type NftRule,
  type NftTable,
  ruleDumpRequest,
  tableDumpRequest,
} from "./messages.ts";

export interface TableRef {
  /** NFPROTO_*. */
  readonly family: number;
  readonly name: string;
}

/** What one read saw, all at one generation. */
export interface Ruleset {
  readonly genId: number;
  readonly tables: readonly NftTable[];
  readonly chains: readonly NftChain[];
  readonly rules: readonly NftRule[];
}

const READ_RETRIES = 10;

export class NftSession implements Disposable {
  readonly #conn: Conn;
  #seq = (Date.now() >>> 0) & 0x3fffffff;

  constructor(readonly transport: Transport) {
    this.#conn = new Conn(transport);
  }

  static open(): NftSession {
    return new NftSession(NetlinkSocket.open(NETLINK_NETFILTER));
  }

  genId(): number {
    const id = decodeGenId(this.#conn.get("NFT_MSG_GETGEN", getGenRequest()));
    if (id === undefined) throw new NetlinkError("NFT_MSG_GETGEN", Errno.EPROTO, "no generation id in reply", 0);
    return id;
  }

  /** Tables, chains and rules of `refs` (missing tables are simply absent), at one generation. */
  read(refs: readonly TableRef[]): Ruleset {
    for (let attempt = 0; ; attempt++) {
      const genId = this.genId();
      const wanted = new Set(refs.map((r) => `${r.family}:${r.name}`));
      const families = [...new Set(refs.map((r) => r.family))];
      const tables: NftTable[] = [];
      for (const family of families) {
        for (const m of this.#conn.dump("NFT_MSG_GETTABLE", tableDumpRequest(family))) {
          const t = decodeTable(m);
          if (t && wanted.has(`${t.family}:${t.name}`)) tables.push(t);
        }
      }
      const chains: NftChain[] = [];
      const rules: NftRule[] = [];
      for (const t of tables) {
        for (const m of this.#conn.dump("NFT_MSG_GETCHAIN", chainDumpRequest(t.family, t.name))) {
          const c = decodeChain(m);
          if (c && c.table === t.name && c.family === t.family) chains.push(c);
        }
        for (const m of this.#conn.dump("NFT_MSG_GETRULE", ruleDumpRequest(t.family, t.name))) {
          const r = decodeRule(m);
          if (r && r.table === t.name && r.family === t.family) rules.push(r);
        }
      }
      if (this.genId() === genId) return { genId, tables, chains, rules };
      if (attempt >= READ_RETRIES) throw new NetlinkError("nf_tables read", Errno.EAGAIN, "ruleset kept changing", 0);
    }
  }

  /**
   * Sends `changes` as one batch tied to `genId`. Returns false when the kernel refused it because
   * the ruleset changed since (ERESTART): nothing of it was applied. Any other refusal throws,
   * and nothing of the batch was applied either.
   */
  commit(changes: readonly Request[], genId: number): boolean {
    if (changes.length === 0) return true;
    const w = new Writer();
    const beginSeq = this.#next();
    w.bytes(encodeMessage(batchBegin(genId), beginSeq));
    const pending = new Set<number>();
    for (const c of changes) {
      const seq = this.#next();
      pending.add(seq);
      w.bytes(encodeMessage(c, seq));
    }
    w.bytes(encodeMessage(batchEnd(), this.#next()));
    this.transport.send(w.finish());
    const deadline = Date.now() + this.#conn.timeoutMs;
    let failure: NetlinkError | undefined;
    while (pending.size > 0) {
      const dgram = this.transport.receive(Math.max(0, deadline - Date.now()));
      if (dgram === undefined) throw new NetlinkError("nf_tables batch", Errno.ETIMEDOUT, "no reply from the kernel", beginSeq);
      for (const m of parseMessages(dgram)) {
        if (m.type !== NLMSG_ERROR) continue;
        const e = parseError(m);
        if (m.seq === beginSeq && e.errno === ERESTART) return false;
        if (e.errno !== 0) failure ??= new NetlinkError("nf_tables batch", e.errno, e.extack, m.seq);
        if (m.seq === beginSeq && e.errno !== 0) throw failure;
        pending.delete(m.seq);
      }
    }
    if (failure) throw failure;
    return true;
  }

  /**
   * Whether this process may change nf_tables here, without changing anything: an empty batch
   * tied to a generation that has already passed is refused with ERESTART after the kernel's
   * CAP_NET_ADMIN check, or with EPERM by that check.
   */
  writable(): boolean {
    const w = new Writer();
    const seq = this.#next();
    w.bytes(encodeMessage(batchBegin((this.genId() - 1) >>> 0), seq));
    w.bytes(encodeMessage(batchEnd(), this.#next()));
    this.transport.send(w.finish());
    const deadline = Date.now() + this.#conn.timeoutMs;
    for (;;) {
      const dgram = this.transport.receive(Math.max(0, deadline - Date.now()));
      if (dgram === undefined) throw new NetlinkError("nf_tables probe", Errno.ETIMEDOUT, "no reply from the kernel", seq);
      for (const m of parseMessages(dgram)) {
        if (m.type !== NLMSG_ERROR || m.seq !== seq) continue;
        const e = parseError(m);
        if (e.errno === ERESTART) return true;
        if (e.errno === Errno.EPERM) return false;
        throw new NetlinkError("nf_tables probe", e.errno, e.extack, seq);
      }
    }
  }

  #next(): number {
    this.#seq = (this.#seq + 1) >>> 0;
    return this.#seq;
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
 * Reads, plans and commits until the batch goes in at the generation it was planned from.
 * `plan` returns the change messages for a ruleset (none: nothing to do).
 */
export function transact(s: NftSession, refs: readonly TableRef[], plan: (rs: Ruleset) => readonly Request[], retries = 20): Ruleset {
  for (let attempt = 0; ; attempt++) {
    const rs = s.read(refs);
    const changes = plan(rs);
    if (changes.length === 0 || s.commit(changes, rs.genId)) return rs;
    if (attempt >= retries) throw new NetlinkError("nf_tables batch", Errno.EAGAIN, "ruleset kept changing", 0);
  }
}
