/**
 * The renaming behind transforms 2, 3 and the link-local part of 5 (the list and the reasons are
 * in normalize.ts): one instance per scenario run numbers random MACs and veth names in order of
 * first appearance, keeps the MACs a test chose, and replaces scenario paths by placeholders.
 */
import ipaddr from "ipaddr.js";

const MAC_RE = /\b(?:[0-9a-f]{2}:){5}[0-9a-f]{2}\b/gi;
const VETH_RE = /\bveth[0-9a-f]{8}\b/g;
const FIXED_MAC = /^(00:00:00:00:00:00|ff:ff:ff:ff:ff:ff|01:80:c2:00:00:[0-9a-f]{2}|33:33:.*|01:00:5e:.*)$/i;

/** 2/3: one per scenario run; the same instance must see results and state in step order. */
export class BridgeNames {
  private readonly macs = new Map<string, string>();
  private readonly veths = new Map<string, string>();
  private readonly keep = new Set<string>();
  private readonly paths: [string, string][] = [];

  /** MACs the test chose itself stay literal. */
  keepMac(mac: string): void {
    this.keep.add(mac.toLowerCase());
  }

  /** A literal path (netns, CNI_PATH) replaced by a placeholder wherever it appears. */
  path(literal: string, placeholder: string): void {
    this.paths.push([literal, placeholder]);
    this.paths.sort((a, b) => b[0].length - a[0].length);
  }

  mac(m: string): string {
    const k = m.toLowerCase();
    if (this.keep.has(k) || FIXED_MAC.test(k)) return k;
    let v = this.macs.get(k);
    if (v === undefined) this.macs.set(k, (v = `MAC${this.macs.size + 1}`));
    return v;
  }

  veth(name: string): string {
    let v = this.veths.get(name);
    if (v === undefined) this.veths.set(name, (v = `VETH${this.veths.size + 1}`));
    return v;
  }

  /** Applies 2 and 3 to any text (a result, an error, iptables-save output). */
  text(t: string): string {
    let out = t;
    for (const [lit, ph] of this.paths) out = out.replaceAll(lit, ph);
    out = out.replace(/(peer provided \(\\?")veth[0-9a-f]{8}(\\?"\))/g, "$1VETH?$2");
    return out.replace(MAC_RE, (m) => this.mac(m)).replace(VETH_RE, (m) => this.veth(m));
  }

  /** 5: an IPv6 link-local address as the MAC it was derived from (EUI-64), else fe80::LL. */
  linkLocal(addr: string): string {
    let bytes: number[];
    try {
      bytes = ipaddr.IPv6.parse(addr).toByteArray();
    } catch {
      return addr;
    }
    if (bytes[0] !== 0xfe || ((bytes[1] ?? 0) & 0xc0) !== 0x80) return addr;
    const iid = bytes.slice(8);
    if (iid[3] !== 0xff || iid[4] !== 0xfe) return "fe80::LL";
    const mac = [(iid[0] ?? 0) ^ 0x02, iid[1], iid[2], iid[5], iid[6], iid[7]]
      .map((b) => (b ?? 0).toString(16).padStart(2, "0"))
      .join(":");
    return `fe80::eui64(${this.mac(mac)})`;
  }
}
