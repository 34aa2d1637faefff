/**
 * Deliberate breakages of the product, each named after the behaviour it breaks, with the test
 * files that must notice it (`make test-mutants`, run.ts). Each `find` must occur exactly once in
 * its file: a mutant whose text moved away is reported as stale, not as killed.
 */
export interface Mutant {
  name: string;
  file: string;
  find: string;
  replace: string;
  /** The targeted test files (paths as test/run.ts takes them). */
  tests: string[];
}

export const MUTANTS: readonly Mutant[] = [
  {
    name: "host-local allocates the next-but-one IP",
    file: "src/ipam/host-local/allocator.ts",
    find: "        cur = nextIP(cur);\n",
    replace: "        cur = nextIP(nextIP(cur));\n",
    tests: ["test/differential/host-local.test.ts"],
  },
  {
    name: "host-local's default gateway is the subnet's second address",
    file: "src/ipam/host-local/range.ts",
    find: "const gateway = input.gateway ?? nextIP(network);",
    replace: "const gateway = input.gateway ?? nextIP(nextIP(network));",
    tests: ["test/differential/host-local.test.ts"],
  },
  {
    name: "host-local DEL releases nothing",
    file: "src/ipam/host-local/plugin.ts",
    find: "    store.releaseByID(a.containerId, a.ifname);\n",
    replace: "",
    tests: ["test/differential/host-local.test.ts"],
  },
  {
    name: "host-local GC keeps stale reservations",
    file: "src/ipam/host-local/plugin.ts",
    find: "    for (const r of staleReservations(store.reservations(), valid)) store.release(r);\n",
    replace: "",
    tests: ["test/differential/host-local.test.ts"],
  },
  {
    name: "bridge drops the per-pod MASQUERADE rule (iptables)",
    file: "src/firewall/iptables-plans.ts",
    find: '        { op: "append", chain, rule: { dst: { cidr: MULTICAST[family], not: true }, matches: [owned], verdict: masquerade } },\n',
    replace: "",
    tests: ["test/differential/bridge-options.test.ts"],
  },
  {
    name: "bridge's masquerade chain name hashes containerID + network (wrong order)",
    file: "src/firewall/names.ts",
    find: "return hashWithPrefix(CHAIN_NAME_LENGTH, CNI_CHAIN_PREFIX, network + containerId);",
    replace: "return hashWithPrefix(CHAIN_NAME_LENGTH, CNI_CHAIN_PREFIX, containerId + network);",
    tests: ["test/differential/bridge-options.test.ts"],
  },
  {
    name: "nft masquerade comment hashes containerID:ifname (wrong order)",
    file: "src/firewall/names.ts",
    find: "hashWithPrefix(16, \"\", `${ifname}:${containerId}`)",
    replace: "hashWithPrefix(16, \"\", `${containerId}:${ifname}`)",
    tests: ["test/netns/firewall-nft-reference.test.ts"],
  },
  {
    // In the result printer, where the order shows: 0.3.x/0.4.0 results keep Go's field order
    // (1.x sorts keys). Swapping the bridge's route object survived (not observable), and this
    // one survived until host-local's 0.4.0 differential got a route with a gw.
    name: "result routes swap two fields (gw printed before dst)",
    file: "src/cni/convert.ts",
    find: '    ["dst", r.dst, true],\n    ["gw", r.gw, nonEmpty(r.gw)],\n',
    replace: '    ["gw", r.gw, nonEmpty(r.gw)],\n    ["dst", r.dst, true],\n',
    tests: ["test/differential/host-local.test.ts"],
  },
  {
    name: "bridge skips the container's arp_notify sysctl",
    file: "src/container/sysctls.ts",
    find: "    trySet(`net/ipv4/conf/${ifname}/arp_notify`, \"1\");\n",
    replace: "",
    tests: ["test/differential/bridge.test.ts"],
  },
  {
    name: "bridge does not turn host forwarding on",
    file: "src/container/forwarding.ts",
    find: '    sysctlSet(name, "1");\n',
    replace: "",
    tests: ["test/differential/bridge.test.ts"],
  },
  {
    name: "bridge returns before the container's IPv6 addresses leave DAD (enabledad)",
    file: "src/container/configure.ts",
    find: "      await settleAddresses(nl, link);\n",
    replace: "",
    tests: ["test/differential/bridge-options.test.ts"],
  },
  {
    name: "bridge CHECK answers success without checking",
    file: "plugins/bridge/check.ts",
    find: "export function checkAttachment(ctx: CheckContext, res: Result): void {\n",
    replace: "export function checkAttachment(ctx: CheckContext, res: Result): void {\n  if (ctx.conf !== undefined) return;\n",
    tests: ["test/netns/bridge-del-check-gc.test.ts"],
  },
  {
    name: "portmap DNATs to the host port instead of the container port",
    file: "src/firewall/iptables-plans.ts",
    find: 'verdict: { kind: "dnat", addr: c.address, port: containerPort } }',
    replace: 'verdict: { kind: "dnat", addr: c.address, port: m.hostPort } }',
    tests: ["test/differential/portmap.test.ts"],
  },
  {
    name: "loopback leaves lo down",
    file: "plugins/loopback/index.ts",
    find: "  c.nl.linkSetUp(lo.index);\n",
    replace: "",
    tests: ["test/differential/loopback.test.ts"],
  },
  {
    name: "VERSION no longer lists 0.4.0",
    file: "src/cni/spec-versions.ts",
    find: '"0.3.1", "0.4.0", "1.0.0"',
    replace: '"0.3.1", "1.0.0"',
    tests: ["test/differential/loopback.test.ts"],
  },
  {
    name: "config type errors after the first go into details (v1.9.1 prints none)",
    file: "src/cni/schema.ts",
    find: "  throw new CniError(code, `${context}${first?.message ?? \"invalid configuration\"}`);",
    replace: "  throw new CniError(code, `${context}${first?.message ?? \"invalid configuration\"}`, r.problems.slice(1).map((p) => p.message).join(\"; \"));",
    tests: ["test/differential/config-decoding.test.ts"],
  },
];
