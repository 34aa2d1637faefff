/**
 * A throwaway CA and a server certificate it signed (openssl), for the fake API server: the agent
 * must verify the chain with the CA it is given, as in a cluster.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SYSTEM_PATH } from "../harness.ts";

export interface TestPki {
  caPem: string;
  certPem: string;
  keyPem: string;
}

function openssl(args: string[], cwd: string): void {
  const r = Bun.spawnSync(["openssl", ...args], { cwd, env: { PATH: SYSTEM_PATH }, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr.toString()}`);
}

/** A CA and a certificate for `ips` (subjectAltName IP entries) and localhost. */
export function makePki(ips: readonly string[]): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "tscni-pki-"));
  try {
    openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=tscni-test-ca"], dir);
    openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=kube-apiserver"], dir);
    const san = ["DNS:localhost", ...ips.map((ip) => `IP:${ip}`)].join(",");
    writeFileSync(join(dir, "ext.cnf"), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
    openssl(["x509", "-req", "-in", "srv.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "srv.crt", "-days", "2", "-extfile", "ext.cnf"], dir);
    const read = (f: string): string => readFileSync(join(dir, f), "utf8");
    return { caPem: read("ca.crt"), certPem: read("srv.crt"), keyPem: read("srv.key") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
