/**
 * How the agent reaches the API server: the in-cluster config every pod gets (KUBERNETES_SERVICE_HOST
 * and _PORT, the service account's token and CA under /var/run/secrets/kubernetes.io/serviceaccount),
 * each part overridable by a flag so tests can point it at a fake server.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface KubeConfig {
  /** https://host:port, no trailing slash. */
  server: string;
  /** Re-read on every request: the kubelet rotates projected tokens. */
  tokenFile: string;
  /** PEM of the CA that signed the API server's certificate. */
  ca: string;
}

export interface KubeConfigFlags {
  server?: string;
  tokenFile?: string;
  caFile?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Brackets an IPv6 literal, as a URL needs. */
const hostPart = (host: string): string => (host.includes(":") && !host.startsWith("[") ? `[${host}]` : host);

export function inClusterConfig(flags: KubeConfigFlags, env: Env): KubeConfig {
  let server = flags.server;
  if (server === undefined || server === "") {
    const host = env.KUBERNETES_SERVICE_HOST;
    const port = env.KUBERNETES_SERVICE_PORT;
    if (host === undefined || host === "" || port === undefined || port === "") {
      throw new Error("not running in a cluster: KUBERNETES_SERVICE_HOST/PORT are unset (or pass --server)");
    }
    server = `https://${hostPart(host)}:${port}`;
  }
  if (!server.startsWith("https://")) throw new Error(`--server ${server}: only https:// is spoken (the token must not travel in clear)`);
  const tokenFile = flags.tokenFile ?? join(SERVICE_ACCOUNT_DIR, "token");
  const caFile = flags.caFile ?? join(SERVICE_ACCOUNT_DIR, "ca.crt");
  let ca: string;
  try {
    ca = readFileSync(caFile, "utf8");
  } catch (e) {
    throw new Error(`cannot read the API server's CA ${caFile}: ${(e as Error).message}`);
  }
  readToken(tokenFile);
  return { server: server.replace(/\/+$/, ""), tokenFile, ca };
}

export function readToken(tokenFile: string): string {
  try {
    return readFileSync(tokenFile, "utf8").trim();
  } catch (e) {
    throw new Error(`cannot read the service account token ${tokenFile}: ${(e as Error).message}`);
  }
}
