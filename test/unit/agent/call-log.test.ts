/**
 * The call log stays bounded: it is rotated to <log>.1 once it reaches the size (the older .1
 * replaced, so two files at most), metrics still count the calls of both files, and a log under
 * the size or missing is left alone.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { previousCallLog, rotateCallLog } from "../../../src/agent/call-log.ts";
import { renderMetrics } from "../../../src/agent/metrics.ts";
import { tempDir } from "../../harness.ts";

const line = (command: string): string =>
  `${JSON.stringify({ time: "t", plugin: "bridge", command, containerId: "c", ifname: "eth0", network: "n", steps: [], durationMs: 5, result: "ok" })}\n`;
const count = (doc: string, verb: string): string | undefined => doc.split("\n").find((l) => l.startsWith(`tscni_plugin_calls_total{plugin="bridge",verb="${verb}"`))?.split(" ")[1];

describe("call log rotation", () => {
  test("a log at the size becomes .1 (replacing the older), one under it stays, a missing one is nothing", () => {
    using dir = tempDir("tscni-call-log-");
    const log = join(dir.path, "calls.jsonl");
    expect(rotateCallLog(log, 100)).toBe(false);
    writeFileSync(log, line("ADD"));
    const small = statSync(log).size;
    expect(rotateCallLog(log, small + 1)).toBe(false);
    expect(existsSync(previousCallLog(log))).toBe(false);
    expect(rotateCallLog(log, small)).toBe(true);
    expect(existsSync(log)).toBe(false);
    expect(readFileSync(previousCallLog(log), "utf8")).toBe(line("ADD"));
    writeFileSync(log, line("DEL").repeat(3));
    expect(rotateCallLog(log, small)).toBe(true);
    expect(readFileSync(previousCallLog(log), "utf8")).toBe(line("DEL").repeat(3));
  });

  test("metrics count the calls of the log and of its previous file", () => {
    using dir = tempDir("tscni-call-log-");
    const log = join(dir.path, "calls.jsonl");
    writeFileSync(log, line("ADD").repeat(2));
    expect(rotateCallLog(log, 1)).toBe(true);
    writeFileSync(log, line("ADD") + line("DEL"));
    const doc = renderMetrics({ callLog: log, confDir: join(dir.path, "none") });
    expect(count(doc, "ADD")).toBe("3");
    expect(count(doc, "DEL")).toBe("1");
  });
});
