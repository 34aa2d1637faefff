/**
 * deploy/tscni-daemonset.yaml checked offline: it parses, and carries what a kubelet and the API
 * server require (kinds, selector matching the template, named containers with images, mounts
 * naming volumes, absolute hostPaths, every $(VAR) defined, ConfigMap keys that exist), and the
 * install step is the tscni binary itself with no shell, never forcing by default.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../harness.ts";

interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { configMapKeyRef?: { name: string; key: string } } }[];
  volumeMounts?: { name: string; mountPath: string }[];
}
interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  spec?: {
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: { initContainers: Container[]; containers: Container[]; volumes: { name: string; hostPath?: { path: string; type?: string } }[] };
    };
  };
}

const docs = Bun.YAML.parse(readFileSync(join(repoRoot, "deploy/tscni-daemonset.yaml"), "utf8")) as Doc[];
const cm = docs.find((d) => d.kind === "ConfigMap");
const ds = docs.find((d) => d.kind === "DaemonSet");
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe("deploy/tscni-daemonset.yaml", () => {
  test("a v1 ConfigMap and an apps/v1 DaemonSet in kube-system, valid names", () => {
    expect(docs.length).toBe(2);
    expect(cm?.apiVersion).toBe("v1");
    expect(ds?.apiVersion).toBe("apps/v1");
    for (const d of docs) {
      expect(d.metadata.name).toMatch(DNS_LABEL);
      expect(d.metadata.namespace).toBe("kube-system");
    }
  });

  test("selector matches the template; containers named, imaged, mounts name volumes, hostPaths absolute", () => {
    const spec = ds?.spec;
    if (spec === undefined) throw new Error("no DaemonSet spec");
    for (const [k, v] of Object.entries(spec.selector.matchLabels)) expect(spec.template.metadata.labels[k]).toBe(v);
    const pod = spec.template.spec;
    const all = [...pod.initContainers, ...pod.containers];
    expect(pod.containers.length).toBeGreaterThan(0);
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
    for (const v of pod.volumes) expect(v.hostPath?.path.startsWith("/")).toBe(true);
  });

  test("the install step is tscni itself (no shell), every $(VAR) defined, ConfigMap keys exist, force off by default", () => {
    const init = ds?.spec?.template.spec.initContainers[0];
    if (init === undefined) throw new Error("no init container");
    expect(init.command).toBeUndefined();
    expect(init.args?.[0]).toBe("install");
    expect(init.args).toContain("--dir=/host/opt/cni/bin");
    const defined = new Set((init.env ?? []).map((e) => e.name));
    for (const a of init.args ?? []) for (const m of a.matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) expect(defined.has(m[1] ?? "")).toBe(true);
    for (const e of init.env ?? []) {
      const ref = e.valueFrom?.configMapKeyRef;
      if (ref === undefined) continue;
      expect(ref.name).toBe(cm?.metadata.name ?? "");
      expect(Object.keys(cm?.data ?? {})).toContain(ref.key);
    }
    expect(cm?.data?.force).toBe("false");
    expect(init.env?.find((e) => e.name === "TSCNI_INSTALL_CALLER")?.value).toBe("daemonset");
  });
});
