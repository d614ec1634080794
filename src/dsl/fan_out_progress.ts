/**
 * The progress of a fan-out as its operator sees it: a live line on a terminal, and a summary
 * at the end.
 *
 * @module
 */

/**
 * Where a fan-out's progress goes: `Deno.stderr` by default, or anything of that shape.
 *
 * @example
 * ```ts
 * import type { ProgressWriter } from "../../mod.ts";
 * const lines: string[] = [];
 * const quiet: ProgressWriter = {
 *   isTerminal: () => false,
 *   writeSync: (bytes) => lines.push(new TextDecoder().decode(bytes)) && bytes.length,
 * };
 * ```
 */
export interface ProgressWriter {
  /** True when live progress can be redrawn in place. */
  isTerminal(): boolean;
  /** Writes bytes; returns how many were written. */
  writeSync(bytes: Uint8Array): number;
}

/** How a fan-out ended, for its summary. */
export interface FanOutEnd {
  /** Nodes that failed, with why. */
  failed: readonly { node: string; error: string }[];
  /** Nodes never started because the run stopped early. */
  notStarted: readonly string[];
  /** Why the run stopped starting nodes, if it did. */
  stopReason?: string;
}

const REDRAW_MS = 250;
const LISTED = 20;

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function listed(nodes: readonly string[]): string {
  const more = nodes.length - LISTED;
  return nodes.slice(0, LISTED).join(", ") + (more > 0 ? ` and ${more} more` : "");
}

/**
 * Counts a fan-out's nodes as they start and finish. On a terminal it redraws one line
 * (`done / failed / running of N, elapsed`) at most every 250 ms and every second; `end()`
 * always writes the summary.
 *
 * @example
 * ```ts
 * import { FanOutProgress } from "./fan_out_progress.ts";
 * const out: string[] = [];
 * const progress = new FanOutProgress(2, {
 *   isTerminal: () => false,
 *   writeSync: (b) => out.push(new TextDecoder().decode(b)) && b.length,
 * });
 * progress.started();
 * progress.finished(true);
 * progress.end({ failed: [], notStarted: ["ship2"], stopReason: "a canary node failed" });
 * ```
 */
export class FanOutProgress {
  readonly #total: number;
  readonly #writer: ProgressWriter;
  readonly #live: boolean;
  readonly #startedAt = Date.now();
  #done = 0;
  #failed = 0;
  #running = 0;
  #drawnAt = 0;
  #ticker: ReturnType<typeof setInterval> | undefined;
  #ended = false;

  constructor(total: number, writer: ProgressWriter = Deno.stderr) {
    this.#total = total;
    this.#writer = writer;
    this.#live = writer.isTerminal();
    if (this.#live) {
      const ticker = setInterval(() => this.#draw(), 1000);
      Deno.unrefTimer(ticker);
      this.#ticker = ticker;
    }
  }

  /** A node started. */
  started(): void {
    this.#running++;
    this.#maybeDraw();
  }

  /** A node finished; `ok` false counts it as failed. */
  finished(ok: boolean): void {
    this.#running = Math.max(0, this.#running - 1);
    if (ok) this.#done++;
    else this.#failed++;
    this.#maybeDraw();
  }

  #line(): string {
    return `${this.#done} done / ${this.#failed} failed / ${this.#running} running of ` +
      `${this.#total}, ${seconds(Date.now() - this.#startedAt)}`;
  }

  #maybeDraw(): void {
    if (this.#live && Date.now() - this.#drawnAt >= REDRAW_MS) this.#draw();
  }

  #draw(): void {
    this.#drawnAt = Date.now();
    this.#write(`\r\x1b[K${this.#line()}`);
  }

  #write(text: string): void {
    const bytes = new TextEncoder().encode(text);
    let written = 0;
    while (written < bytes.length) written += this.#writer.writeSync(bytes.subarray(written));
  }

  /** Stops the live line and writes the summary; later calls do nothing. */
  end(how: FanOutEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    clearInterval(this.#ticker);
    const lines = [`fan-out: ${this.#line()}`];
    if (how.stopReason) lines.push(`stopped early: ${how.stopReason}`);
    if (how.failed.length > 0) {
      lines.push(
        `failed: ${listed(how.failed.map((f) => `${f.node} (${f.error.split("\n")[0]})`))}`,
      );
    }
    if (how.notStarted.length > 0) {
      lines.push(`never started (${how.notStarted.length}): ${listed(how.notStarted)}`);
    }
    this.#write(`${this.#live ? "\r\x1b[K" : ""}${lines.join("\n")}\n`);
  }
}
