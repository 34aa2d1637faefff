import { expect, test } from "bun:test";
import { cpuIdentity } from "../../bench/environment.ts";

// Two processors of this machine's /proc/cpuinfo, shortened: the first one's fields are the ones named.
const EPYC = [
  "processor\t: 0",
  "vendor_id\t: AuthenticAMD",
  "cpu family\t: 23",
  "model\t\t: 1",
  "model name\t: AMD EPYC",
  "stepping\t: 2",
  "cpu MHz\t\t: 1996.249",
  "",
  "processor\t: 1",
  "cpu family\t: 25",
  "model\t\t: 17",
  "model name\t: AMD EPYC 9R14",
  "cpu MHz\t\t: 3700.000",
].join("\n");

test("the bench header names the first CPU's family, model and clock", () => {
  expect(cpuIdentity(EPYC, "brand")).toBe("AMD EPYC (family 23 model 1, 2.0 GHz)");
});

test("two CPUs with one brand string get different identities", () => {
  const other = EPYC.replace("cpu family\t: 23", "cpu family\t: 25").replace("model\t\t: 1\n", "model\t\t: 17\n");
  expect(cpuIdentity(other, "brand")).toBe("AMD EPYC (family 25 model 17, 2.0 GHz)");
});

test("without family or model (an arm64 cpuinfo) the brand string is kept", () => {
  const arm = "processor\t: 0\nBogoMIPS\t: 50.00\nCPU implementer\t: 0x41\n";
  expect(cpuIdentity(arm, "Neoverse-N1")).toBe("Neoverse-N1");
  expect(cpuIdentity("model name\t: Some CPU\ncpu family\t: 6\nmodel\t\t: 85\n", "x")).toBe("Some CPU (family 6 model 85)");
});
