/**
 * Undo steps for a failed ADD, run newest first. Each step is best effort: its error goes to the
 * log, and the remaining steps still run, so a failed ADD leaves no veth, reservation or rule.
 */
import { CniError } from "../cni/index.ts";
import { logRolledBack } from "../log.ts";

type Step = { what: string; undo: () => void | Promise<void> };

export class Rollback {
  readonly #steps: Step[] = [];

  /** `plugin` names who cleans up in the log line of a step that failed. */
  constructor(
    private readonly plugin: string,
    private readonly log: (line: string) => void,
  ) {}

  push(what: string, undo: () => void | Promise<void>): void {
    this.#steps.push({ what, undo });
  }

  async run(): Promise<void> {
    for (const step of this.#steps.splice(0).reverse()) {
      try {
        await step.undo();
        logRolledBack(step.what);
      } catch (err) {
        logRolledBack(`${step.what} (failed)`);
        this.log(`${this.plugin}: cleanup after failed ADD: ${step.what}: ${CniError.from(err).message}`);
      }
    }
  }
}
