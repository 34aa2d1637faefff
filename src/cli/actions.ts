/**
 * What the CLI's commands run, behind ONE dynamic import (each `*-command.ts` imports it when its
 * command runs). Every `import()` target is a bundler entry, and Bun's splitter puts a module in
 * one chunk per set of entries that reach it: one entry for the whole CLI instead of one per
 * command keeps the modules a plugin exec shares with the CLI in fewer, larger chunks, so a plugin
 * exec loads fewer of them (docs/performance.md, "Chunks").
 */
export { canonicalCidr } from "../agent/kube-types.ts";
export { renderMetrics } from "../agent/metrics.ts";
export { runAgent } from "../agent/run.ts";
export { readStatus } from "../agent/status.ts";
export { CniError } from "../cni/index.ts";
export { errorText } from "../runtime/index.ts";
export { chainModeCommand } from "./chain-mode.ts";
export { doctorCommand } from "./doctor.ts";
export { gcCommand } from "./gc.ts";
export { installCommand } from "./install-run.ts";
export { logCommand } from "./log-view.ts";
export { progressOn } from "./progress.ts";
export { runCommand } from "./run.ts";
export { validateCommand } from "./validate.ts";
