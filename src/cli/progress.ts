/**
 * One self-overwriting status line on stderr for long operations. Only on a terminal: in a pipe,
 * a log file or CI it would be noise mixed into output that people grep, so there it is silent.
 * Never on stdout, which carries the result (and, with --json, must stay one document).
 */

export interface Progress {
  /** Replaces the status line (rate-limited; the last text wins at `done`). */
  update(text: string): void;
  /** Clears the line so the next output starts on a clean one. */
  done(): void;
}

export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

export const silentProgress: Progress = { update() {}, done() {} };

/** Redraws at most this often: a terminal repainting per reservation would slow gc down. */
const MIN_INTERVAL_MS = 80;
const CLEAR_LINE = "\r\x1b[2K";

export function progressOn(stream: ProgressStream, now: () => number = Date.now): Progress {
  if (stream.isTTY !== true) return silentProgress;
  let last = Number.NEGATIVE_INFINITY;
  let shown = false;
  return {
    update(text) {
      const t = now();
      if (t - last < MIN_INTERVAL_MS) return;
      last = t;
      // Longer than the terminal, the line would wrap and \r could no longer erase it.
      const width = Math.max(10, (stream.columns ?? 80) - 1);
      stream.write(`${CLEAR_LINE}${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
      shown = true;
    },
    done() {
      if (shown) stream.write(CLEAR_LINE);
      shown = false;
    },
  };
}
