/** The fakes and configs portmap's plugin-level unit tests share (portmap.test.ts, portmap-prevresult.test.ts). */
import { join } from "node:path";
import type { CmdArgs } from "../../../src/cni/index.ts";
import type { ToolResult } from "../../../src/firewall/exec.ts";
import type { PortmapDeps } from "../../../plugins/portmap/index.ts";

export interface Fake {
  deps: PortmapDeps;
  calls: { argv: string[]; stdin?: string }[];
  kernel: string[];
  logs: string[];
  probed: string[];
}

/** `usable`: what the backend probe answers per backend name (every one usable by default). */
export function fake(lockDir: string, opts: { save?: (argv: string[]) => string; conntrackFails?: boolean; usable?: (backend: string) => boolean } = {}): Fake {
  const f: Fake = { calls: [], kernel: [], logs: [], probed: [], deps: undefined as unknown as PortmapDeps };
  f.deps = {
    probe: async (b) => (f.probed.push(b.name), opts.usable?.(b.name) ?? true),
    firewall: {
      lockPath: join(lockDir, "fw.lock"),
      run: async (argv, stdin): Promise<ToolResult> => {
        f.calls.push({ argv: [...argv], ...(stdin !== undefined && { stdin }) });
        const isSave = argv.some((a) => a.endsWith("-save"));
        return { code: 0, stdout: isSave ? (opts.save?.([...argv]) ?? "") : "", stderr: "" };
      },
    },
    kernel: {
      deleteUdpConntrack: async (family, ports) => {
        f.kernel.push(`conntrack ${family} ${ports.join(",")}`);
        if (opts.conntrackFails) throw new Error("EPERM");
      },
      // The route's interface is cni0 here.
      enableRouteLocalnet: async (ip) => void f.kernel.push(`route ${ip}`, "route_localnet cni0"),
    },
    log: (line) => void f.logs.push(line),
  };
  return f;
}

export const prevResult = {
  cniVersion: "1.0.0",
  interfaces: [{ name: "host" }, { name: "eth0", sandbox: "/var/run/netns/x" }],
  ips: [
    { address: "10.0.0.1/24", interface: 0 },
    { address: "10.0.0.2/24", interface: 1 },
    { address: "2001:db8:1::2/64", interface: 1 },
  ],
};

export const mappings = [
  { hostPort: 8080, containerPort: 80, protocol: "tcp" },
  { hostPort: 8053, containerPort: 53, protocol: "udp" },
];

export function args(command: CmdArgs["command"], config: Record<string, unknown>, ifname = "eth0"): CmdArgs {
  const full = { cniVersion: "1.0.0", name: "test", type: "portmap", ...config };
  return {
    command,
    containerId: "ctr1",
    netns: "/var/run/netns/x",
    ifname,
    args: "",
    path: "/opt/cni/bin",
    stdin: new TextEncoder().encode(JSON.stringify(full)),
    config: full,
    cniVersion: String(full.cniVersion),
    env: {},
  };
}

export const withMappings = (extra: Record<string, unknown> = {}, pm: unknown = mappings): Record<string, unknown> => ({
  prevResult,
  runtimeConfig: { portMappings: pm },
  ...extra,
});

export async function errorOf(p: Promise<unknown>): Promise<{ code: number; msg: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { code: number; message: string };
    return { code: e.code, msg: e.message };
  }
  throw new Error("expected a failure");
}
