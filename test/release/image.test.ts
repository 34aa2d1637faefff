/**
 * The OCI image as the DaemonSet runs it: loaded from the archive into a private podman store,
 * the init container's exact command (from deploy/tscni-daemonset.yaml, $(VAR)s expanded as the
 * kubelet does) run with no network and a read-only root against a temp "host" dir, then VERSION
 * through every installed name on the host; a foreign plugin file is refused in the ConfigMap's
 * words and left alone.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { podmanArgv } from "../../build/image.ts";
import { exec, mustExec, PLUGINS, repoRoot, tempDir } from "../harness.ts";
import { snapshot } from "../netns/install-watcher.ts";
import { imageArchive, releaseDir, requireRelease, version } from "./release-fixture.ts";

requireRelease();

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { configMapKeyRef: { key: string } };
}
interface InitContainer {
  image: string;
  args: string[];
  env: EnvVar[];
  volumeMounts: { mountPath: string }[];
}

/** The init container and ConfigMap data from the shipped manifest. */
function manifest(): { init: InitContainer; config: Record<string, string> } {
  const docs = Bun.YAML.parse(readFileSync(join(repoRoot, "deploy/tscni-daemonset.yaml"), "utf8")) as Record<string, unknown>[];
  const cm = docs.find((d) => d.kind === "ConfigMap") as { data: Record<string, string> };
  const ds = docs.find((d) => d.kind === "DaemonSet") as { spec: { template: { spec: { initContainers: InitContainer[] } } } };
  const init = ds.spec.template.spec.initContainers[0];
  if (init === undefined) throw new Error("no init container");
  return { init, config: cm.data };
}

describe("OCI image", () => {
  test("the DaemonSet's install step, run by podman against a temp host dir, installs every name; a foreign file is refused", async () => {
    using store = tempDir("tscni-podman-");
    using host = tempDir("tscni-host-");
    const podman = podmanArgv(store.path);
    await mustExec([...podman, "load", "--quiet", "--input", join(releaseDir, imageArchive)]);
    const { init, config } = manifest();
    expect(init.image).toBe(`localhost/tscni:${version}`);
    const run = async (data: Record<string, string>) => {
      const env = Object.fromEntries(init.env.map((e) => [e.name, e.value ?? data[e.valueFrom?.configMapKeyRef.key ?? ""] ?? ""]));
      const args = init.args.map((a) => a.replace(/\$\(([A-Z_]+)\)/g, (_, n: string) => env[n] ?? ""));
      const mounts = init.volumeMounts.flatMap((m) => {
        const dir = join(host.path, m.mountPath.replace(/^\/host\//, ""));
        mkdirSync(dir, { recursive: true });
        return ["--volume", `${dir}:${m.mountPath}`];
      });
      const envArgs = Object.entries(env).flatMap(([k, v]) => ["--env", `${k}=${v}`]);
      return await exec([...podman, "run", "--rm", "--network", "none", "--read-only", ...mounts, ...envArgs, init.image, ...args]);
    };
    const bin = join(host.path, "opt/cni/bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "bridge"), "#!/bin/sh\n# someone else's bridge\n", { mode: 0o755 });
    const before = snapshot(host.path);
    const refused = await run({ ...config, podCIDR: "10.244.1.0/24" });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('set force: "true" in the tscni-config ConfigMap');
    expect(snapshot(host.path)).toEqual(before);

    const ok = await run({ ...config, podCIDR: "10.244.1.0/24", force: "true" });
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    for (const p of PLUGINS) {
      const v = await exec([join(bin, p)], { env: { CNI_COMMAND: "VERSION" } });
      expect(JSON.parse(v.stdout)).toMatchObject({ cniVersion: "1.1.0" });
    }
    expect(readFileSync(join(bin, ".tscni/backup/bridge"), "utf8")).toContain("someone else's bridge");
    expect(readFileSync(join(host.path, "etc/cni/net.d/10-tscni.conflist"), "utf8")).toContain('"subnet": "10.244.1.0/24"');
    // A restarted pod runs the same step again: nothing to do, still fine.
    const again = await run({ ...config, podCIDR: "10.244.1.0/24" });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("(same checksum)");
  }, 600_000);
});
