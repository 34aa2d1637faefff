/** The call log's pure parts: where a line goes and what it says. */
import { describe, expect, test } from "bun:test";
import { CniError } from "../../src/cni/index.ts";
import { callLogLine } from "../../src/log-file.ts";
import { DEFAULT_LOG_FILE, logTarget } from "../../src/log.ts";

describe("call log", () => {
  test("TSCNI_LOG chooses the path; a config may only switch logging on, to the fixed file", () => {
    expect(logTarget({ TSCNI_LOG: "/a" }, { log: "/b" })).toBe("/a");
    expect(logTarget({}, { log: "/b" })).toBeUndefined();
    expect(logTarget({}, { log: true })).toBe(DEFAULT_LOG_FILE);
    expect(logTarget({}, undefined)).toBeUndefined();
  });

  test("a line: pod from CNI_ARGS, addresses from the result, steps, the error and what was rolled back", () => {
    const args = {
      command: "ADD" as const,
      containerId: "c1",
      netns: "/x",
      ifname: "eth0",
      args: "IgnoreUnknown=1;K8S_POD_NAMESPACE=kube-system;K8S_POD_NAME=coredns-1",
      path: "/opt/cni/bin",
      stdin: new Uint8Array(),
      config: { name: "net" },
      cniVersion: "1.0.0",
      env: {},
    };
    const output = JSON.stringify({ cniVersion: "1.0.0", ips: [{ address: "10.0.0.2/24" }, { address: "fd00::2/64" }] });
    const ok = callLogLine({ plugin: "bridge", outcome: { command: "ADD", args, output }, durationMs: 1.23456, steps: [{ step: "ipam", ms: 0.5 }], rolledBack: [] }, new Date(0));
    expect(ok).toEqual({
      time: "1970-01-01T00:00:00.000Z",
      plugin: "bridge",
      command: "ADD",
      containerId: "c1",
      ifname: "eth0",
      network: "net",
      pod: { namespace: "kube-system", name: "coredns-1" },
      addresses: ["10.0.0.2/24", "fd00::2/64"],
      steps: [{ step: "ipam", ms: 0.5 }],
      durationMs: 1.235,
      result: "ok",
    });
    const failed = callLogLine(
      { plugin: "bridge", outcome: { command: "ADD", args: { ...args, args: "" }, error: new CniError(11, "timed out") }, durationMs: 2, steps: [], rolledBack: ["delete veth"] },
      new Date(0),
    );
    expect(failed).toMatchObject({ result: "error", error: { code: 11, msg: "timed out" }, rolledBack: ["delete veth"] });
    expect(failed.pod).toBeUndefined();
  });
});
