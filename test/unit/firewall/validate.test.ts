/**
 * Injection safety: every value a plan interpolates is either rejected or quoted so that it stays
 * inside the rule it belongs to. Where the tools exist (and we may unshare a throwaway network
 * namespace), the rendered text is also proven valid with `iptables-restore --test` / `nft -c`.
 */
import { describe, expect, test } from "bun:test";
import { type PortmapRequest } from "../../../src/firewall/index.ts";
import { parseIptablesSave, renderIptables } from "../../../src/firewall/iptables.ts";
import { masqIptablesAdd, portmapIptablesAdd } from "../../../src/firewall/iptables-plans.ts";
import { type IptablesPlan } from "../../../src/firewall/model.ts";
import { renderNft } from "../../../src/firewall/nftables.ts";
import { masqNftAdd, portmapNftAdd, spoofCheckAdd } from "../../../src/firewall/nftables-plans.ts";
import { iptablesToken, splitRestoreLine } from "../../../src/firewall/quote.ts";
import { truncateBytes } from "../../../src/firewall/validate.ts";

const EMPTY_IPT = parseIptablesSave("");

function req(over: Partial<PortmapRequest> = {}): PortmapRequest {
  return {
    network: "test",
    containerId: "ctr1",
    containerIp: "10.0.0.2/24",
    mappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }],
    snat: true,
    masqAll: false,
    markMasqBit: 13,
    ...over,
  };
}

const LINE_BREAKERS = ["a\nb", "a\rb", "a\u0000b", "a\u2028b", "a\u0085b".replace("\u0085", "\u001b")];

describe("rejected inputs", () => {
  test.each(LINE_BREAKERS)("control characters in container ID %j", (cid) => {
    expect(() => portmapIptablesAdd(req({ containerId: cid }))).toThrow("control characters");
    expect(() => portmapNftAdd(req({ containerId: cid }))).toThrow("control characters");
    expect(() => masqIptablesAdd({ network: "n", containerId: cid, ifname: "eth0", addresses: ["10.0.0.2/24"] })).toThrow();
    expect(() => masqNftAdd({ network: "n", containerId: cid, ifname: "eth0", addresses: ["10.0.0.2/24"] })).toThrow();
  });

  test.each(["tcp\n-A POSTROUTING -j ACCEPT", "tcp -j ACCEPT", "", "icmp", "tcp;", "all"])("protocol %j", (protocol) => {
    const mappings = [{ hostPort: 8080, containerPort: 80, protocol }];
    expect(() => portmapIptablesAdd(req({ mappings }))).toThrow();
    expect(() => portmapNftAdd(req({ mappings }))).toThrow();
  });

  test("protocol case is normalised like iptables does", () => {
    const mappings = [{ hostPort: 8080, containerPort: 80, protocol: "TCP" }];
    expect(renderNft(portmapNftAdd(req({ mappings })), new Map())).toContain(" tcp dport 8080 ");
  });

  test.each([0, -1, 65536, 70000, 1.5, Number.NaN])("port %p", (port) => {
    expect(() => portmapIptablesAdd(req({ mappings: [{ hostPort: port, containerPort: 80, protocol: "tcp" }] }))).toThrow();
    expect(() => portmapNftAdd(req({ mappings: [{ hostPort: 80, containerPort: port, protocol: "tcp" }] }))).toThrow();
  });

  test.each(["1.2.3.4 -j ACCEPT", "1.2.3", "1.2.3.4\n", "fe80::1%eth0", "1.2.3.4/32", "01.2.3.4x"])("hostIP %j", (hostIP) => {
    const mappings = [{ hostPort: 8080, containerPort: 80, protocol: "tcp", hostIP }];
    expect(() => portmapIptablesAdd(req({ mappings }))).toThrow();
    expect(() => portmapNftAdd(req({ mappings }))).toThrow();
  });

  test.each(["10.0.0.2/33", "10.0.0.2", "10.0.0.2/24 -j ACCEPT", "::1/129", "10.0.0.2/+1"])("container address %j", (containerIp) => {
    expect(() => portmapIptablesAdd(req({ containerIp }))).toThrow();
    expect(() => portmapNftAdd(req({ containerIp }))).toThrow();
  });

  test.each(["X -j ACCEPT", "-X", "A".repeat(29), 'a"b', ""])("externalSetMarkChain %j", (chain) => {
    expect(() => portmapIptablesAdd(req({ externalSetMarkChain: chain }))).toThrow("invalid chain name");
  });

  const badIptables: string[][] = [["a\nb"], [""], ["x".repeat(300)], Array.from({ length: 65 }, () => "-m")];
  test.each(badIptables.map((c) => ({ c })))("iptables conditions %j", ({ c }) => {
    expect(() => portmapIptablesAdd(req({ conditions: c }))).toThrow();
  });

  const badNft: string[][] = [["meta", "mark", "1;", "flush", "ruleset"], ["#"], ['iifname "eth0'], ["a\\"], ["a\nflush ruleset"]];
  test.each(badNft.map((c) => ({ c })))("nft conditions %j", ({ c }) => {
    expect(() => portmapNftAdd(req({ conditions: c }))).toThrow();
  });

  test.each(['ve"th', "veth0123456789012", "a b", "a/b", "."])("host interface %j", (hostIfname) => {
    expect(() => spoofCheckAdd({ containerId: "c", ifname: "eth0", hostIfname, containerMac: "0a:00:00:00:00:01" })).toThrow();
  });

  test.each(["0a:00:00:00:00", "zz:00:00:00:00:01", '0a:00:00:00:00:01" drop'])("MAC %j", (containerMac) => {
    expect(() => spoofCheckAdd({ containerId: "c", ifname: "eth0", hostIfname: "veth1", containerMac })).toThrow();
  });

  test("over-long values: iptables comments are cut to the 255 bytes iptables stores; nft comments over 128 bytes are refused", () => {
    const [v4] = masqIptablesAdd({ network: "n", containerId: "c".repeat(250), ifname: "eth0", addresses: ["10.0.0.2/24"] });
    const masqText = renderIptables(v4 as IptablesPlan, EMPTY_IPT);
    expect(masqText).toContain(` --comment "name: \\"n\\" id: \\"${"c".repeat(255 - 'name: "n" id: "'.length)}" -j ACCEPT`);
    expect(() => portmapNftAdd(req({ containerId: "c".repeat(129) }))).toThrow("too long");
    // portmap's entry comment is trimmed to 253 + "..." like the reference; iptables keeps 255 bytes of it.
    expect(renderIptables(portmapIptablesAdd(req({ containerId: "c".repeat(300) })), EMPTY_IPT)).toContain('c.." -m multiport');
    expect(() => renderIptables(portmapIptablesAdd(req({ conditions: Array.from({ length: 16 }, () => ["-m", "comment", "--comment", "x".repeat(250)]).flat() })), EMPTY_IPT)).toThrow(
      "too long",
    );
  });

  test.each(["it's", "hash#x", "semi;x", "sp ace", "a{b}"])("macspoofchk chain names from container ID %j are refused (written unquoted)", (cid) => {
    expect(() => spoofCheckAdd({ containerId: cid, ifname: "eth0", hostIfname: "veth1", containerMac: "0a:00:00:00:00:01" })).toThrow(
      "invalid chain name",
    );
  });

  test("double quotes cannot reach an nft string", () => {
    expect(() => portmapNftAdd(req({ containerId: 'a"b' }))).toThrow("double quotes");
    // bridge strips them from its comment, as the reference does.
    expect(renderNft(masqNftAdd({ network: 'n"x', containerId: 'a"b', ifname: "eth0", addresses: ["10.0.0.2/24"] }), new Map())).toContain(
      ", net: nx, if: eth0, id: ab",
    );
  });
});

const HOSTILE = ['quo"te', "back\\slash", "hash # x", "semi; -A POSTROUTING -j ACCEPT", "sp ace", "'single'", "-j"];

describe("neutralised inputs keep token boundaries", () => {
  test.each(HOSTILE)("iptables token %j survives the restore tokenizer", (t) => {
    expect(splitRestoreLine(`-A X ${iptablesToken(t)} -j Y`)).toEqual(["-A", "X", t, "-j", "Y"]);
  });

  test("a hostile container ID stays inside the comment of every rendered rule", () => {
    for (const cid of HOSTILE.filter((h) => !h.includes('"'))) {
      const plan = portmapIptablesAdd(req({ containerId: cid }));
      const text = renderIptables(plan, EMPTY_IPT);
      const rules = text.split("\n").filter((l) => l.startsWith("-A CNI-HOSTPORT-DNAT"));
      expect(rules).toHaveLength(1);
      expect(splitRestoreLine(rules[0] ?? "")).toContain(`dnat name: "test" id: "${cid}"`);
    }
  });
});

function canUnshare(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    return Bun.spawnSync(["unshare", "--net", "true"]).exitCode === 0;
  } catch {
    return false;
  }
}

const haveTools = canUnshare() && Bun.which("iptables-restore") !== null && Bun.which("nft") !== null;

/** Runs a tool inside a throwaway network namespace, so nothing reaches the host's rules. */
function inThrowawayNetns(argv: string[], stdin: string): { code: number; stderr: string } {
  const r = Bun.spawnSync(["unshare", "--net", "--", ...argv], { stdin: new TextEncoder().encode(stdin) });
  return { code: r.exitCode ?? -1, stderr: r.stderr.toString() };
}

describe.skipIf(!haveTools)("rendered text is accepted by the real tools (in a throwaway netns)", () => {
  const hostile = ["ctr1", "hash#x", "semi;x", "sp ace", "back\\slash", "it's"];

  test.each(hostile)("iptables-restore --test: portmap and masq for container %j", (cid) => {
    const plans: IptablesPlan[] = [
      portmapIptablesAdd(req({ containerId: cid, conditions: ["-m", "comment", "--comment", 'x "y" z'] })),
      portmapIptablesAdd(req({ containerId: cid, containerIp: "2001:db8::2/64", externalSetMarkChain: "CNI-HOSTPORT-DNAT" })),
      ...masqIptablesAdd({ network: "n", containerId: cid, ifname: "eth0", addresses: ["10.0.0.2/24", "2001:db8::2/64"] }),
    ];
    for (const plan of plans) {
      const tool = plan.family === 4 ? "iptables-restore" : "ip6tables-restore";
      const r = inThrowawayNetns([tool, "--test", "--noflush"], renderIptables(plan, EMPTY_IPT));
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    }
  });

  test.each(hostile.filter((h) => !h.includes("\\")))("nft -c: portmap, masq and spoofcheck for container %j", (cid) => {
    const text = [
      renderNft(portmapNftAdd(req({ containerId: cid, conditions: ["iifname", '"eth0"', "ip", "saddr", "{", "10.0.0.0/8,", "1.2.3.4", "}"] })), new Map()),
      renderNft(portmapNftAdd(req({ containerId: cid, containerIp: "2001:db8::2/64", masqAll: true })), new Map()),
      renderNft(masqNftAdd({ network: "n", containerId: cid, ifname: "eth0", addresses: ["10.0.0.2/24", "2001:db8::2/64"] }), new Map()),
      renderNft(spoofCheckAdd({ containerId: "c-1.x_y", ifname: "eth0", hostIfname: "veth1", containerMac: "0a:00:00:00:00:01" }), new Map()),
    ].join("");
    const r = inThrowawayNetns(["nft", "-c", "-f", "-"], text);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });
});

describe("truncateBytes", () => {
  // What it returned before its short-text shortcut: always through the UTF-8 bytes.
  function throughBytes(s: string, max: number): string {
    const bytes = Buffer.from(s, "utf8");
    if (bytes.length <= max) return s;
    let end = max;
    while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
    return bytes.subarray(0, end).toString("utf8");
  }
  // Every length around the shortcut's bound (max / 3 code units), in 1-, 2-, 3- and 4-byte
  // characters and lone surrogates (3 bytes each once encoded, as U+FFFD).
  const units = ["a", "é", "€", "😀", "\ud800", "\udc00"];
  const cases: { s: string; max: number }[] = [];
  for (const max of [0, 1, 2, 3, 8, 9, 10, 253, 255]) {
    for (const u of units) for (let n = 0; n <= max + 2 && n <= 90; n++) cases.push({ s: u.repeat(n), max });
    cases.push({ s: `a${"😀".repeat(max)}`, max }, { s: `${"\ud800".repeat(max)}é`, max });
  }

  test("equals the cut through the UTF-8 bytes on every length around its shortcut", () => {
    const wrong = cases.filter(({ s, max }) => truncateBytes(s, max) !== throughBytes(s, max)).map(({ s, max }) => `${JSON.stringify(s)}@${max}`);
    expect(cases.length).toBeGreaterThan(1000);
    expect(wrong).toEqual([]);
  });

  test("cuts what does not fit, at a character boundary", () => {
    expect(truncateBytes("abcd", 3)).toBe("abc");
    expect(truncateBytes("a€", 3)).toBe("a");
    expect(truncateBytes("€€", 6)).toBe("€€");
    expect(truncateBytes("€€€", 7)).toBe("€€");
  });
});
