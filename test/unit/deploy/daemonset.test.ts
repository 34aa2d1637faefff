/**
 * deploy/tscni-daemonset.yaml checked offline: it parses, and carries what a kubelet and the API
 * server require (kinds, selector matching the template, named containers with images, mounts
 * naming volumes, absolute hostPaths, every $(VAR) defined, ConfigMap keys that exist), the
 * install step and the agent are the tscni binary itself with no shell, RBAC is no wider than the
 * agent needs (nodes get/list/watch, events create), and nothing is forced or uninstalled by default.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../harness.ts";

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { configMapKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  volumeMounts?: { name: string; mountPath: string }[];
}
interface Volume {
  name: string;
  hostPath?: { path: string; type?: string };
  configMap?: { name: string; items?: { key: string; path: string }[] };
}
interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace: string }[];
  spec?: {
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: { serviceAccountName?: string; nodeSelector?: Record<string, string>; hostNetwork?: boolean; hostPID?: boolean; initContainers: Container[]; containers: Container[]; volumes: Volume[] };
    };
  };
}

const docs = Bun.YAML.parse(readFileSync(join(repoRoot, "deploy/tscni-daemonset.yaml"), "utf8")) as Doc[];
const of = (kind: string): Doc | undefined => docs.find((d) => d.kind === kind);
const cm = of("ConfigMap");
const ds = of("DaemonSet");
const pod = ds?.spec?.template.spec;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe("deploy/tscni-daemonset.yaml", () => {
  test("ServiceAccount, ClusterRole, ClusterRoleBinding, ConfigMap and DaemonSet; namespaced ones in kube-system", () => {
    expect(docs.map((d) => d.kind)).toEqual(["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap", "DaemonSet"]);
    expect(cm?.apiVersion).toBe("v1");
    expect(ds?.apiVersion).toBe("apps/v1");
    for (const d of docs) {
      expect(d.metadata.name).toMatch(DNS_LABEL);
      if (!d.kind.startsWith("Cluster")) expect(d.metadata.namespace).toBe("kube-system");
    }
  });

  test("RBAC: nodes get/list/watch and events create, nothing else, bound to the DaemonSet's service account", () => {
    const rules = of("ClusterRole")?.rules ?? [];
    const grants = rules.flatMap((r) => r.resources.flatMap((res) => r.verbs.map((v) => `${res}:${v}`))).sort();
    expect(grants).toEqual(["events:create", "nodes:get", "nodes:list", "nodes:watch"]);
    const binding = of("ClusterRoleBinding");
    expect(binding?.roleRef).toMatchObject({ kind: "ClusterRole", name: of("ClusterRole")?.metadata.name });
    const sa = of("ServiceAccount");
    expect(binding?.subjects).toEqual([{ kind: "ServiceAccount", name: sa?.metadata.name ?? "", namespace: "kube-system" }]);
    expect(pod?.serviceAccountName).toBe(sa?.metadata.name);
  });

  test("selector matches the template; containers named, imaged, mounts name volumes, hostPaths absolute", () => {
    const spec = ds?.spec;
    if (spec === undefined || pod === undefined) throw new Error("no DaemonSet spec");
    for (const [k, v] of Object.entries(spec.selector.matchLabels)) expect(spec.template.metadata.labels[k]).toBe(v);
    const all = [...pod.initContainers, ...pod.containers];
    expect(new Set(all.map((c) => c.name)).size).toBe(all.length);
    const volumes = new Set(pod.volumes.map((v) => v.name));
    for (const c of all) {
      expect(c.name).toMatch(DNS_LABEL);
      expect(c.image).toMatch(/^[a-z0-9./-]+(:[\w.-]+)?$/);
      for (const m of c.volumeMounts ?? []) {
        expect(volumes.has(m.name)).toBe(true);
        expect(m.mountPath.startsWith("/")).toBe(true);
      }
    }
    for (const v of pod.volumes) if (v.hostPath !== undefined) expect(v.hostPath.path.startsWith("/")).toBe(true);
    for (const v of pod.volumes) for (const i of v.configMap?.items ?? []) expect(Object.keys(cm?.data ?? {})).toContain(i.key);
  });

  test("every container is tscni itself (no shell); every $(VAR) defined; ConfigMap keys exist", () => {
    for (const c of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
      expect(c.command).toBeUndefined();
      const defined = new Set((c.env ?? []).map((e) => e.name));
      for (const a of c.args ?? []) for (const m of a.matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) expect(defined.has(m[1] ?? "")).toBe(true);
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.configMapKeyRef;
        if (ref === undefined) continue;
        expect(ref.name).toBe(cm?.metadata.name ?? "");
        expect(Object.keys(cm?.data ?? {})).toContain(ref.key);
      }
    }
  });

  test("the init container installs; the long-running container is the agent, told its node by the downward API", () => {
    const init = pod?.initContainers[0];
    expect(init?.args?.[0]).toBe("install");
    expect(init?.args).toContain("--dir=/host/opt/cni/bin");
    expect(init?.env?.find((e) => e.name === "TSCNI_INSTALL_CALLER")?.value).toBe("daemonset");
    expect(pod?.containers.map((c) => c.name)).toEqual(["agent"]);
    const agent = pod?.containers[0];
    expect(agent?.args?.[0]).toBe("agent");
    expect(agent?.image).toBe(init?.image ?? "");
    expect(agent?.env?.find((e) => e.name === "NODE_NAME")?.valueFrom?.fieldRef?.fieldPath).toBe("spec.nodeName");
    // The agent uninstalls what the init container installed, from the same host dir.
    expect(agent?.args).toContain("--install-dir=/host/opt/cni/bin");
    const uninstallFile = agent?.args?.find((a) => a.startsWith("--uninstall-file="))?.split("=")[1] ?? "";
    const mount = agent?.volumeMounts?.find((m) => uninstallFile.startsWith(`${m.mountPath}/`));
    const volume = pod?.volumes.find((v) => v.name === mount?.name);
    expect(volume?.configMap?.items?.map((i) => `${mount?.mountPath}/${i.path}`)).toContain(uninstallFile);
  });

  test("every Linux node is selected, whatever its architecture: the image index carries amd64 and arm64 (build/image.ts)", () => {
    // An arch selector would leave the other architecture's nodes without a pod network (NotReady).
    expect(pod?.nodeSelector).toEqual({ "kubernetes.io/os": "linux" });
  });

  test("the agent sees the host's netns paths as a runtime records them: /run/netns, /var/run/netns and /proc/<pid>/ns/net (hostPID)", () => {
    // gc frees what a pod whose netns path is gone held: a path the agent cannot see is a live pod lost.
    expect(pod?.hostNetwork).toBe(true);
    expect(pod?.hostPID).toBe(true);
    const agent = pod?.containers.find((c) => c.args?.[0] === "agent");
    expect(agent?.volumeMounts?.map((m) => m.mountPath)).toEqual(expect.arrayContaining(["/run/netns", "/var/run/netns"]));
  });

  test("defaults: no pod CIDR (the Node's), nothing forced, no uninstall", () => {
    expect(cm?.data).toEqual({ podCIDR: "", force: "false", uninstall: "false" });
  });
});
