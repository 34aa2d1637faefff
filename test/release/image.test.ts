/**
 * The OCI image as the DaemonSet runs it: loaded from the archive into a private podman store,
 * the init container's exact command (from deploy/tscni-daemonset.yaml, $(VAR)s expanded as the
 * kubelet does) run with no network and a read-only root against a temp "host" dir, then VERSION
 * through every installed name on the host; a foreign plugin file is refused in the ConfigMap's
 * words and left alone.
 *
 * Where podman cannot start containers on this machine (crun refuses its cgroup layout or
 * rlimits), the same image is run the way a runtime would without podman: its layer unpacked
 * from the archive as the root, the host dirs bind-mounted, its entry point exec'd in a private
 * mount+net+pid namespace with a read-only root. The reason is printed.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { podmanArgv } from "../../build/image.ts";
import { type Exec, exec, mustExec, PLUGINS, repoRoot, SYSTEM_PATH, tempDir } from "../harness.ts";
import { snapshot } from "../netns/install-watcher.ts";
import { elfMachine, imageArchive, ociImage, releaseDir, requireRelease, version } from "./release-fixture.ts";

type Runner = (mounts: [string, string][], env: Record<string, string>, args: string[]) => Promise<Exec>;

/** podman run, when this machine lets crun start a container; otherwise why not. */
async function podmanRunner(podman: string[], image: string): Promise<Runner | string> {
  const probe = await exec([...podman, "run", "--rm", "--network", "none", image, "version"]);
  if (probe.code !== 0) return probe.stderr.trim().split("\n")[0] ?? `exit ${probe.code}`;
  return (mounts, env, args) =>
    exec([
      ...podman, "run", "--rm", "--network", "none", "--read-only",
      ...mounts.flatMap(([h, c]) => ["--volume", `${h}:${c}`]),
      ...Object.entries(env).flatMap(([k, v]) => ["--env", `${k}=${v}`]),
      image, ...args,
    ]);
}

/** The image's root and entry point run in private namespaces, as crun would: the argv. */
function rootfsArgv(rootfs: string, entrypoint: string[], mounts: [string, string][], args: string[]): string[] {
  const script = [
    'R="$1"; shift; n="$1"; shift',
    'mount --bind "$R" "$R"',
    'i=0; while [ "$i" -lt "$n" ]; do mkdir -p "$R$2"; mount --bind "$1" "$R$2"; shift 2; i=$((i+1)); done',
    'mkdir -p "$R/proc" "$R/dev" "$R/tmp"; mount -t proc proc "$R/proc"; mount --rbind /dev "$R/dev"',
    'mount -o remount,bind,ro "$R"',
    'exec chroot "$R" "$@"',
  ].join("\n");
  return ["unshare", "--mount", "--net", "--pid", "--fork", "--", "sh", "-c", script, "sh", rootfs, String(mounts.length), ...mounts.flat(), ...entrypoint, ...args];
}

function rootfsRunner(rootfs: string, entrypoint: string[]): Runner {
  return (mounts, env, args) => exec(rootfsArgv(rootfs, entrypoint, mounts, args), { env: { PATH: SYSTEM_PATH, ...env } });
}

/**
 * Debian's qemu-user-static registration for aarch64 (/usr/share/binfmts/qemu-aarch64: fix_binary,
 * preserve argv0), made in a binfmt_misc instance of a user namespace of our own (Linux 6.7+), so
 * the machine's binfmt_misc stays untouched. Then `argv` runs with aarch64 ELF files exec'able.
 */
const AARCH64_BINFMT =
  ":qemu-aarch64:M::\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:" +
  "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:/usr/libexec/qemu-binfmt/aarch64-binfmt-P:FP";
function withAarch64(argv: string[], env: Record<string, string> = {}): Promise<Exec> {
  const script = 'mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc && printf %s "$BINFMT" > /proc/sys/fs/binfmt_misc/register && exec "$@"';
  return exec(["unshare", "--user", "--map-root-user", "--mount", "--fork", "--", "sh", "-c", script, "sh", ...argv], { env: { PATH: SYSTEM_PATH, BINFMT: AARCH64_BINFMT, ...env } });
}

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

/** The init container's command with the kubelet's $(VAR) expansion and its host dirs under `host`. */
async function runInitContainer(runner: Runner, init: InitContainer, data: Record<string, string>, host: string): Promise<Exec> {
  const env = Object.fromEntries(init.env.map((e) => [e.name, e.value ?? data[e.valueFrom?.configMapKeyRef.key ?? ""] ?? ""]));
  const args = init.args.map((a) => a.replace(/\$\(([A-Z_]+)\)/g, (_, n: string) => env[n] ?? ""));
  const mounts = init.volumeMounts.map((m): [string, string] => {
    const dir = join(host, m.mountPath.replace(/^\/host\//, ""));
    mkdirSync(dir, { recursive: true });
    return [dir, m.mountPath];
  });
  return await runner(mounts, env, args);
}

describe("OCI image", () => {
  test("the DaemonSet's install step, run by podman against a temp host dir, installs every name; a foreign file is refused", async () => {
    using store = tempDir("tscni-podman-");
    using host = tempDir("tscni-host-");
    using img = ociImage(join(releaseDir, imageArchive));
    expect(img.config.config.Entrypoint).toEqual(["/tscni"]);
    const rootfs = join(img.dir, "rootfs");
    mkdirSync(rootfs);
    for (const layer of img.layers) await mustExec(["tar", "-xzf", layer, "-C", rootfs]);
    expect(readdirSync(rootfs, { recursive: true, encoding: "utf8" }).filter((f) => /(^|\/)(sh|bash|busybox)$/.test(f))).toEqual([]);
    const podman = podmanArgv(store.path);
    await mustExec([...podman, "load", "--quiet", "--input", join(releaseDir, imageArchive)]);
    const { init, config } = manifest();
    expect(init.image).toBe(`localhost/tscni:${version}`);
    let runner = await podmanRunner(podman, init.image);
    if (typeof runner === "string") {
      console.log(`SKIP podman run here (${runner}): running the image's root and entry point in private namespaces instead`);
      runner = rootfsRunner(rootfs, img.config.config.Entrypoint);
    }
    const runInit = runner;
    const run = async (data: Record<string, string>) => await runInitContainer(runInit, init, data, host.path);
    const bin = join(host.path, "opt/cni/bin");
    mkdirSync(bin, { recursive: true });
    mkdirSync(join(host.path, "etc/cni/net.d"), { recursive: true });
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

  test("one image index, amd64 and arm64: podman loads the arm64 variant; its install step runs under qemu-aarch64 and installs arm64 names", async () => {
    using store = tempDir("tscni-podman-");
    using host = tempDir("tscni-host-");
    const archive = join(releaseDir, imageArchive);
    using img = ociImage(archive, "arm64");
    expect(img.platforms).toEqual(["amd64", "arm64"]);
    expect(img.config.architecture).toBe("arm64");
    const podman = podmanArgv(store.path);
    // What a runtime on an arm64 node takes from the index (podman picks by --arch).
    const id = (await mustExec([...podman, "pull", "--quiet", "--arch", "arm64", `oci-archive:${archive}`])).trim();
    expect((await mustExec([...podman, "image", "inspect", "--format", "{{.Architecture}}", id])).trim()).toBe("arm64");
    const rootfs = join(img.dir, "rootfs");
    mkdirSync(rootfs);
    for (const layer of img.layers) await mustExec(["tar", "-xzf", layer, "-C", rootfs]);
    expect(elfMachine(join(rootfs, "tscni"))).toBe(0xb7);
    const { init, config } = manifest();
    const arm64: Runner = (mounts, env, args) => withAarch64(rootfsArgv(rootfs, img.config.config.Entrypoint, mounts, args), env);
    const ok = await runInitContainer(arm64, init, { ...config, podCIDR: "10.244.2.0/24", force: "true" }, host.path);
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("answer VERSION");
    const bin = join(host.path, "opt/cni/bin");
    expect(readFileSync(join(bin, "tscni"))).toEqual(readFileSync(join(rootfs, "tscni")));
    for (const p of PLUGINS) {
      const v = await withAarch64([join(bin, p)], { CNI_COMMAND: "VERSION", QEMU_LD_PREFIX: rootfs });
      expect(JSON.parse(v.stdout)).toMatchObject({ cniVersion: "1.1.0" });
    }
    expect(readFileSync(join(host.path, "etc/cni/net.d/10-tscni.conflist"), "utf8")).toContain('"subnet": "10.244.2.0/24"');
  }, 600_000);
});
