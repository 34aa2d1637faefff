/** Prints the nf_tables generation id of the current netns (fresh-node-fixture.ts runs it via nsenter). */
import { NftSession } from "../../src/netlink/nft/session.ts";

using s = NftSession.open();
console.log(s.genId());
