import { describe, expect, test } from "bun:test";
import { containerMac, Rollback } from "../../../src/container/index.ts";

describe("Rollback", () => {
  test("runs newest first; a failing step is logged under the plugin's name and the rest still run", async () => {
    const ran: string[] = [];
    const logged: string[] = [];
    const undo = new Rollback("ptp", (line) => logged.push(line));
    undo.push("delete veth", () => void ran.push("veth"));
    undo.push("IPAM DEL", async () => {
      ran.push("ipam");
      throw new Error("store locked");
    });
    undo.push("masquerade teardown", () => void ran.push("masq"));
    await undo.run();
    expect(ran).toEqual(["masq", "ipam", "veth"]);
    expect(logged).toEqual(["ptp: cleanup after failed ADD: IPAM DEL: store locked"]);
  });

  test("each step runs once: a second run has nothing left", async () => {
    let count = 0;
    const undo = new Rollback("bridge", () => {});
    undo.push("step", () => void count++);
    await undo.run();
    await undo.run();
    expect(count).toBe(1);
  });
});

describe("containerMac", () => {
  test("empty means the kernel chooses; Go's three notations give the colon form", () => {
    expect(containerMac("")).toBeUndefined();
    expect(containerMac("0A-58-0A-F4-00-07")).toBe("0a:58:0a:f4:00:07");
    expect(containerMac("0a58.0af4.0007")).toBe("0a:58:0a:f4:00:07");
  });

  test("text Go cannot parse fails with the reference's message", () => {
    expect(() => containerMac("0a:58:0a:f4:00")).toThrow("failed to make veth pair: address 0a:58:0a:f4:00: invalid MAC address");
  });
});
