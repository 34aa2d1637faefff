/**
 * `make demo`: tscni end to end, in a throwaway network + mount namespace (nothing touches the
 * machine's own network, /run or /var/lib/cni). Installs the built binary into a temp bin dir
 * with a default conflist, attaches two "containers" with `tscni run add`, shows their
 * addresses, pings between them, hits a mapped port, deletes both and shows nothing is left.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { probe, serveTag, stopServers } from "../fixtures/traffic.ts";
import { prepareThrowawayHost, SYSTEM_PATH, tempNetns, type TempNetns } from "../harness.ts";
import { runDemo } from "./throwaway.ts";

const root = resolve(import.meta.dir, "../..");
const tscni = join(root, "dist/tscni");
const PATH = SYSTEM_PATH;
/** How long one command may run, the mapped port take to answer, and the whole demo take. */
const STEP_MS = 60_000;
const ANSWER_MS = 5_000;
const DEMO_MS = 180_000;

function sh(argv: string[], opts: { quiet?: boolean; allowFail?: boolean } = {}): string {
  if (opts.quiet !== true) console.log(`\x1b[2m$ ${argv.join(" ")}\x1b[0m`);
  const r = Bun.spawnSync(argv, { env: { PATH }, stdout: "pipe", stderr: "pipe", timeout: STEP_MS });
  const out = r.stdout.toString();
  if (r.exitedDueToTimeout === true) throw new Error(`${argv.join(" ")} did not finish within ${STEP_MS / 1000} s`);
  if (r.exitCode !== 0 && opts.allowFail !== true) {
    throw new Error(`${argv.join(" ")} exited ${r.exitCode}: ${r.stderr.toString()}${out}`);
  }
  if (opts.quiet !== true && out.trim() !== "") console.log(out.trimEnd());
  return out;
}

function step(title: string): void {
  console.log(`\n\x1b[1m== ${title}\x1b[0m`);
}

async function inner(): Promise<void> {
  prepareThrowawayHost();
  const tmp = mkdtempSync(join(tmpdir(), "tscni-demo-"));
  const containers: TempNetns[] = [];
  try {
    const bin = join(tmp, "bin");
    const conf = join(tmp, "net.d");
    const cache = join(tmp, "cache");
    step("install tscni with a default network (10.123.0.0/24)");
    sh([tscni, "install", "--dir", bin, "--conf-dir", conf, "--default-network", "10.123.0.0/24"]);
    // Keep host-local's state in the temp dir too.
    const file = join(conf, "10-tscni.conflist");
    const c = JSON.parse(readFileSync(file, "utf8")) as { plugins: { ipam?: Record<string, unknown> }[] };
    for (const p of c.plugins) if (p.ipam) p.ipam.dataDir = join(tmp, "ipam");
    writeFileSync(file, JSON.stringify(c, null, 2));

    step("two containers");
    for (let i = 0; i < 2; i++) containers.push(await tempNetns());
    const [a = "", b = ""] = containers.map((c) => c.path);
    const [nsA, nsB] = containers as [TempNetns, TempNetns];
    const run = (verb: string, path: string, id: string, extra: string[] = []): string =>
      sh([tscni, "run", verb, "tscni", path, "--container-id", id, "--conf-dir", conf, "--bin-dir", bin, "--cache-dir", cache, ...extra]);

    step("tscni run add (container A publishes 8080 -> 80)");
    const pm = JSON.stringify({ portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }] });
    const ra = JSON.parse(run("add", a, "demo-a", ["--cap-args", pm])) as { ips: { address: string }[] };
    run("add", b, "demo-b");
    const ipA = (ra.ips[0]?.address ?? "").split("/")[0] ?? "";

    step("addresses");
    sh(["nsenter", `--net=${a}`, "ip", "-br", "addr"]);
    sh(["nsenter", `--net=${b}`, "ip", "-br", "addr"]);
    sh(["ip", "-br", "addr", "show", "cni0"]);

    step("B pings A");
    if (Bun.which("ping", { PATH }) !== null) sh(["nsenter", `--net=${b}`, "ping", "-c", "2", "-W", "2", ipA]);
    else console.log("(ping is not installed here — apt-get install iputils-ping; B reaches A over TCP below)");

    step("a mapped port: host:8080 -> A:80");
    await serveTag(nsA, "hello from container A", { tcp: 80 });
    // portmap's rules are in place when ADD returns; the retries only absorb a loaded machine.
    let answer = "";
    for (const deadline = performance.now() + ANSWER_MS; performance.now() < deadline; await Bun.sleep(100)) {
      answer = await probe(nsB, "tcp", "10.123.0.1", 8080);
      if (!answer.startsWith("ERR")) break;
    }
    console.log(`B -> 10.123.0.1:8080 answered: ${answer}`);
    if (answer.startsWith("ERR")) throw new Error(`the mapped port did not answer within ${ANSWER_MS} ms (${answer})`);
    const direct = await probe(nsB, "tcp", ipA, 80);
    console.log(`B -> ${ipA}:80 (directly over the bridge) answered: ${direct}`);
    if (direct.startsWith("ERR")) throw new Error(`container A is not reachable from B (${direct})`);

    step("tscni run check, then del");
    run("check", a, "demo-a");
    run("del", a, "demo-a", ["--cap-args", pm]);
    run("del", b, "demo-b");

    step("nothing left");
    const left = [
      ...readdirSync(join(cache, "results")).map((f) => `cache: ${f}`),
      ...readdirSync(join(tmp, "ipam", "tscni")).filter((f) => f !== "lock" && !f.startsWith("last_reserved_ip")).map((f) => `ipam: ${f}`),
      ...sh(["ip", "-br", "link"], { quiet: true }).split("\n").filter((l) => l.startsWith("veth")).map((l) => `link: ${l}`),
      ...sh(["iptables-save", "-t", "nat"], { quiet: true, allowFail: true }).split("\n").filter((l) => /demo-|CNI-DN|CNI-[0-9a-f]/.test(l)).map((l) => `rule: ${l}`),
    ];
    console.log(left.length === 0 ? "no cache entries, no reservations, no container veths, no per-container rules" : left.join("\n"));
    if (left.length > 0) throw new Error("something was left behind");
    console.log("\n\x1b[1mdemo ok\x1b[0m");
  } finally {
    await stopServers();
    for (const c of containers) await c[Symbol.asyncDispose]();
    rmSync(tmp, { recursive: true, force: true });
  }
}

runDemo("demo", import.meta.path, DEMO_MS, inner);
