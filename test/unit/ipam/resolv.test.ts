import { expect, test } from "bun:test";
import { parseResolvConfText } from "../../../src/ipam/host-local/resolv.ts";

test("resolv.conf parsing", () => {
  const text = [
    "# comment",
    "; also a comment",
    "   nameserver 10.0.0.1   extra",
    "nameserver\t2001:db8::53",
    "nameserver",
    "domain first.example",
    "domain second.example",
    "search a.example b.example",
    "search c.example",
    "options ndots:5 edns0",
    "options timeout:1",
    "sortlist 10.0.0.0/8",
    "NAMESERVER 9.9.9.9",
    "",
    "  #nameserver 1.1.1.1",
    "nameserver 8.8.8.8\r",
  ].join("\n");
  expect(parseResolvConfText(text)).toEqual({
    nameservers: ["10.0.0.1", "2001:db8::53", "8.8.8.8"],
    domain: "second.example",
    search: ["a.example", "b.example", "c.example"],
    options: ["ndots:5", "edns0", "timeout:1"],
  });
  expect(parseResolvConfText("")).toEqual({});
  expect(() => parseResolvConfText(`nameserver ${"x".repeat(70_000)}`)).toThrow("bufio.Scanner: token too long");
});
