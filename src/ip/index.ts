export { type Addr, cidrText, ipBytesString, ipFamily, type IpFamily, ipString, parseCIDR, parseCIDRLiteral, parseIP, parseIPLiteral, type ParsedCidr } from "./parse.ts";
export { isCIDR, isIP } from "./valid.ts";
export { scanV4, scanV4Cidr } from "./scan.ts";
export { bitLength, compareIP, equalIP, fromBigInt, inSubnet, lastAddress, networkAddress, nextIP, sameFamily, toBigInt } from "./arith.ts";
