/**
 * Real traffic for the variant scenarios, reusing the netns suite's tiny servers and clients:
 * a tagged TCP/UDP server (the tag says which container answered) and a UDP echo that reports the
 * source address it saw (masquerading). Every server is ended by PID in stopServers().
 */
import { join } from "node:path";
import { exec, type TempNetns } from "../harness.ts";

const TAGGED = join(import.meta.dir, "../netns/portmap-net-fixture.ts");
const ECHO = join(import.meta.dir, "../fixtures/bridge/udp-echo.ts");
const BUN = process.execPath;

const servers: { kill(sig?: number | NodeJS.Signals): void; exited: Promise<number> }[] = [];

const inNs = (ns: TempNetns, argv: string[]): string[] => ["nsenter", `--net=${ns.path}`, "--", ...argv];

async function started(proc: Bun.Subprocess<"ignore", "pipe", "pipe">, what: string): Promise<void> {
  servers.push(proc);
  const reader = proc.stdout.getReader();
  let text = "";
  while (!text.includes("ready\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${what} did not start: ${await new Response(proc.stderr).text()}`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
}

/** Answers `tag` on every TCP connection to tcpPort and every datagram to udpPort, in `ns`. */
export async function serveTag(ns: TempNetns, tag: string, tcpPort: number, udpPort: number): Promise<void> {
  const proc = Bun.spawn(inNs(ns, [BUN, TAGGED, "serve", tag, String(tcpPort), String(udpPort)]), { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  await started(proc, `tagged server ${tag}`);
}

/** The tag that answered host:port from `from`, or "ERR <reason>". */
export async function probe(from: TempNetns, proto: "tcp" | "udp", host: string, port: number): Promise<string> {
  const r = await exec(inNs(from, [BUN, TAGGED, proto, host, String(port)]));
  return r.stdout.trim() || `ERR ${r.stderr.trim()}`;
}

/** The source address a UDP echo server in `to` saw for a datagram from `from`, or "no reply". */
export async function sourceSeen(from: TempNetns, to: TempNetns, addr: string, port: number): Promise<string> {
  const proc = Bun.spawn(inNs(to, [BUN, ECHO, "serve", addr, String(port)]), { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  await started(proc, "udp echo");
  const r = await exec(inNs(from, [BUN, ECHO, "send", addr, String(port), "2500"]));
  proc.kill();
  return r.code === 0 ? r.stdout.trim() : "no reply";
}

export async function stopServers(): Promise<void> {
  for (const s of servers.splice(0)) {
    s.kill();
    await s.exited;
  }
}
