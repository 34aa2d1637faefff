/**
 * portmap conditions: the allow-list grammars of both dialects. Matches pass unchanged; every
 * verdict, statement, target and unknown word is refused with CNI code 7 and a message naming it.
 */
import { describe, expect, test } from "bun:test";
import { CniError } from "../../../src/cni/index.ts";
import { checkIptablesMatches } from "../../../src/firewall/conditions-iptables.ts";
import { checkNftMatches, nftWords } from "../../../src/firewall/conditions-nft.ts";
import { checkConditions } from "../../../src/firewall/index.ts";
import { IPT_ACCEPTED, IPTABLES_REFUSED, IPTABLES_VALID_PREFIXES, NFT_ACCEPTED, NFT_REFUSED, NFT_VALID_PREFIXES } from "../../fixtures/conditions.ts";

function refusal(fn: () => unknown): { code: number; msg: string } | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    const e = CniError.from(err);
    return { code: e.code, msg: e.message };
  }
}

describe("accepted matches are returned unchanged", () => {
  test.each(NFT_ACCEPTED)("nft IPv%d %j", (family, tokens) => {
    expect(checkNftMatches("conditionsV4", tokens, family)).toBe(tokens);
    expect(checkConditions("nftables", "conditionsV4", tokens, family)).toBe(tokens);
  });
  test.each(IPT_ACCEPTED)("iptables IPv%d %j", (family, tokens) => {
    expect(checkIptablesMatches("conditionsV4", tokens, family)).toBe(tokens);
    expect(checkConditions("iptables", "conditionsV4", tokens, family)).toBe(tokens);
  });
});

describe("nft: verdicts and statements, alone and after matches, are refused naming the token", () => {
  const cases = NFT_REFUSED.flatMap(({ tokens, names }) => NFT_VALID_PREFIXES.map((prefix) => ({ tokens: [...prefix, ...tokens], names })));
  test.each(cases)("%j", ({ tokens, names }) => {
    const r = refusal(() => checkNftMatches("conditionsV4", tokens, 4));
    expect(r?.code).toBe(7);
    expect(r?.msg).toStartWith(`conditionsV4: ${JSON.stringify(names)} is not allowed`);
  });
});

describe("iptables: targets, gotos and side effects, alone and after matches, are refused naming the token", () => {
  const cases = IPTABLES_REFUSED.flatMap(({ tokens, names }) => IPTABLES_VALID_PREFIXES.map((prefix) => ({ tokens: [...prefix, ...tokens], names })));
  test.each(cases)("%j", ({ tokens, names }) => {
    const r = refusal(() => checkIptablesMatches("conditionsV6", tokens, 6));
    expect(r?.code).toBe(7);
    expect(r?.msg).toStartWith(`conditionsV6: ${JSON.stringify(names)} is not allowed`);
  });
});

describe("other refusals", () => {
  test.each([
    [["ip", "saddr", "fd00::/8"], 4, '"fd00::/8" is not allowed here'],
    [["ip6", "saddr", "fd00::/8"], 4, '"ip6" matches IPv6 packets, not IPv4'],
    [["ip", "saddr"], 4, "ends early"],
    [["ip", "saddr", "10.0.0.0/8;", "flush", "ruleset"], 4, '"10.0.0.0/8;" is not allowed here'],
    [["iifname", "drop"], 4, '"drop" is not allowed'],
    [["iifname", "a@b"], 4, '"a@b" is not allowed here'],
    [["oifname", "@s"], 4, '"@s" is not allowed here'],
    [["iifname", '"eth0'], 4, "is not allowed here"],
    [["tcp", "dport", "80,443"], 4, '"," is not allowed here'],
    [["ip", "saddr", "@allowed"], 4, '"@allowed" is not allowed here'],
    [["ip", "saddr", "$net"], 4, '"$net" is not allowed here'],
    [["a", "b"], 4, '"a" is not allowed here'],
    [["meta", "nfproto", "ipv4"], 4, '"nfproto" is not allowed here'],
    [["fib", "saddr", ".", "iif", "oif", "missing"], 4, '"iif" is not allowed here'],
    [[""], 4, "empty token"],
    [["ip\nsaddr"], 4, "control characters"],
    // nft splits words on spaces and tabs only: other Unicode whitespace is junk to its scanner.
    [["ip\u00a0saddr", "10.0.0.0/8"], 4, '"ip\u00a0saddr" is not allowed here'],
    [["ip", "saddr", "10.0.0.0/8\u3000"], 4, '"10.0.0.0/8\u3000" is not allowed here'],
    [["iifname", "eth0\ufeff"], 4, '"eth0\ufeff" is not allowed here'],
    // A reversed range: nft and iptables refuse it ("negative size", "min > max").
    [["tcp", "dport", "2000-1000"], 4, '"2000-1000" is not allowed here'],
    [["ip", "saddr", "10.0.0.9-10.0.0.1"], 4, '"10.0.0.9-10.0.0.1" is not allowed here'],
    [["meta", "mark", "5-1"], 4, '"5-1" is not allowed here'],
    // A bare name nft reads as a keyword: its syntax error, after validate said ok.
    [["iifname", "rt"], 4, '"rt" is not allowed here'],
    [["oifname", "eq", "mark", "1"], 4, '"eq" is not allowed here'],
    [["iifname", "{", "eth0,", "bridge", "}"], 4, '"bridge" is not allowed here'],
    // <, >, <=, >= compare one value: nft refuses a prefix, range or set after them.
    [["ip", "saddr", "<", "10.0.0.0/8"], 4, '"10.0.0.0/8" is not allowed here (expected one value after <'],
    [["ip", "saddr", ">=", "10.0.0.1-10.0.0.5"], 4, '"10.0.0.1-10.0.0.5" is not allowed here (expected one value after <'],
    [["tcp", "dport", "<", "1000-2000"], 4, '"1000-2000" is not allowed here (expected one value after <'],
    [["tcp", "dport", "<=", "{", "1,", "2", "}"], 4, '"{" is not allowed here (expected one value after <'],
    // iif/oif name one device (nft resolves it to its index): no wildcard.
    [["iif", "!=", "eth*"], 4, '"eth*" is not allowed here'],
    [["meta", "oif", '"eth*"'], 4, "is not allowed here"],
  ] as [string[], 4 | 6, string][])("nft %j (IPv%d)", (tokens, family, msg) => {
    const r = refusal(() => checkNftMatches("conditionsV4", tokens, family));
    expect(r?.code).toBe(7);
    expect(r?.msg).toContain(msg);
  });

  test.each([
    [["-s", "fd00::/8"], 4, '"fd00::/8" is not allowed here'],
    [["-s", "example.com"], 4, '"example.com" is not allowed here'],
    [["-s", "10.0.0.1,10.0.0.2"], 4, "is not allowed here"],
    [["-s", "10.0.0.1 -j DROP"], 4, "is not allowed here"],
    [["-s", "!", "10.0.0.1"], 4, '"!" is not allowed here'],
    [["-a", "b"], 4, '"-a" is not allowed here'],
    [["DROP"], 4, '"DROP" is not allowed: conditions may only match packets'],
    [["--dport", "80"], 4, '"--dport" is not allowed here'],
    [["-m", "tcp", "--dports", "80"], 4, '"--dports" is not allowed here'],
    [["!", "-m", "tcp"], 4, '"-m" is not allowed here'],
    [["-m", "set", "--match-set", "x", "src"], 4, '"set" is not allowed'],
    [["-m", "recent", "--set"], 4, '"recent" is not allowed here'],
    [["-m", "comment", "!", "--comment", "x"], 4, '"--comment" is not allowed here'],
    [["-s"], 4, "ends early"],
    // A value iptables-save prints bare where a reader takes it for an option: `-i -j -j CNI-DN-…`
    // made CHECK miss the rule ADD had just written.
    [["-i", "-j"], 4, '"-j" is not allowed'],
    [["!", "-o", "--goto"], 4, '"--goto" is not allowed'],
    [["-o", "--set-counters"], 4, '"--set-counters" is not allowed'],
    [["-m", "comment", "--comment", "-j"], 4, '"-j" is not allowed'],
    [["-m", "comment", "--comment", "--jump X"], 4, '"--jump X" is not allowed here'],
    // What iptables-restore refuses after validate said ok: the rule's own -p, an option twice
    // (under any spelling), options that exclude each other, a match without any option.
    [["-p", "tcp"], 4, '"-p" is not allowed here'],
    [["-m", "tcp", "--dport", "90:80"], 4, '"90:80" is not allowed here'],
    [["-m", "multiport", "--dports", "1,90:80"], 4, '"1,90:80" is not allowed here'],
    [["-m", "iprange", "--src-range", "10.0.0.9-10.0.0.1"], 4, '"10.0.0.9-10.0.0.1" is not allowed here'],
    [["!", "--protocol", "udp"], 4, '"--protocol" is not allowed here'],
    [["-s", "10.0.0.1", "--src", "10.0.0.2"], 4, '"--src" is not allowed here (-s is given already)'],
    [["-i", "eth0", "!", "-i", "eth1"], 4, '"-i" is not allowed here (-i is given already)'],
    [["-m", "tcp", "--dport", "1", "--destination-port", "2"], 4, '"--destination-port" is not allowed here (--dport is given already)'],
    [["-m", "tcp", "--syn", "--tcp-flags", "SYN", "SYN"], 4, '"--tcp-flags" is not allowed here (--syn is given already)'],
    [["-m", "multiport", "--dports", "1", "--sports", "2"], 4, '"--sports" is not allowed here (--dports is given already)'],
    [["-m", "addrtype", "--src-type", "LOCAL", "--limit-iface-in", "--limit-iface-out"], 4, '"--limit-iface-out" is not allowed here'],
    [["-m", "state"], 4, 'match "state" needs one of its options (--state)'],
    [["-m", "comment", "-s", "10.0.0.1"], 4, 'match "comment" needs one of its options (--comment)'],
    [Array.from({ length: 65 }, () => "-m"), 4, "too many tokens"],
  ] as [string[], 4 | 6, string][])("iptables %j (IPv%d)", (tokens, family, msg) => {
    const r = refusal(() => checkIptablesMatches("conditionsV4", tokens, family));
    expect(r?.code).toBe(7);
    expect(r?.msg).toContain(msg);
  });

  test("iptables: the same option in two instances of a match, and a protocol match without options, pass", () => {
    const tokens = ["-m", "tcp", "--dport", "1", "-m", "tcp", "--dport", "2:2", "-m", "udp", "--sport", ":80", "-m", "iprange", "--src-range", "10.0.0.1-10.0.0.1"];
    expect(checkIptablesMatches("conditionsV4", tokens, 4)).toBe(tokens);
  });

  test("nft words: spaces and tabs split, braces and commas stand alone, quotes stay", () => {
    expect(nftWords(["ip saddr", "{10.0.0.1,10.0.0.2}", '"eth0"'])).toEqual(["ip", "saddr", "{", "10.0.0.1", ",", "10.0.0.2", "}", '"eth0"']);
    expect(nftWords(["ip\tsaddr\u00a010.0.0.1"])).toEqual(["ip", "saddr\u00a010.0.0.1"]);
  });
});
