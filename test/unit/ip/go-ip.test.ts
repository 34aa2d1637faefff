import { describe, expect, test } from "bun:test";
import { ipString, nextIP, parseCIDR, parseIP } from "../../../src/ip/index.ts";

describe("Go-compatible IP parsing", () => {
  test.each([
    ["10.1.2.3", "10.1.2.3"],
    ["::ffff:10.1.2.3", "10.1.2.3"],
    ["2001:DB8:1::24", "2001:db8:1::24"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["::", "::"],
    ["::1.2.3.4", "::102:304"],
  ])("%s prints as %s", (input, out) => {
    const ip = parseIP(input);
    expect(ip).toBeDefined();
    expect(ipString(ip!)).toBe(out);
  });

  test.each(["010.1.2.3", "10.1.2", "0x0a.1.2.3", "10", "1.2.3.256", "fe80::1%eth0", "", " 10.1.2.3", "12345::1", "::1.2.3"])(
    "%p is rejected like net.ParseIP",
    (input) => expect(parseIP(input)).toBeUndefined(),
  );

  test("CIDRs keep host bits and the text's mask length", () => {
    expect(parseCIDR("10.1.2.3/024")).toMatchObject({ prefix: 24, bits: 32 });
    expect(ipString(parseCIDR("10.1.2.3/24")!.ip)).toBe("10.1.2.3");
    const mapped = parseCIDR("::ffff:10.0.0.0/120")!;
    expect(mapped.bits).toBe(128);
    expect(mapped.ip.kind()).toBe("ipv4");
    expect(parseCIDR("10.0.0.0/33")).toBeUndefined();
    expect(parseCIDR("10.0.0.0")).toBeUndefined();
    expect(parseCIDR("10.0.0.0/")).toBeUndefined();
    expect(parseCIDR("2001:db8::/129")).toBeUndefined();
  });

  test("nextIP carries across bytes and wraps", () => {
    expect(ipString(nextIP(parseIP("10.0.0.255")!))).toBe("10.0.1.0");
    expect(ipString(nextIP(parseIP("255.255.255.255")!))).toBe("0.0.0.0");
    expect(ipString(nextIP(parseIP("2001:db8::ffff")!))).toBe("2001:db8::1:0");
  });
});
