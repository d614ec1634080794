/**
 * Reporting of refused messages at a bounded cost. Anyone able to publish on the broker can
 * make a node refuse messages as fast as it can send them; each refusal used to be one line in
 * the local log, one error message to central (KV records, an audit line) and one line in
 * central's error log. Here identical refusals within a window become one line with a count,
 * and past a few lines a window the rest are only counted by reason, in one summary line.
 *
 * @module
 */
import { foldKey } from "../log/logger.ts";
import type { Message } from "../message/schema.ts";

/** Why a message was refused, as a bounded set (a metric label, never the sender's name). */
export type RefusalReason =
  | "malformed"
  | "unsigned"
  | "unknown_key"
  | "bad_signature"
  | "replay"
  | "not_allowed"
  | "misaddressed"
  | "too_large"
  | "other";

/**
 * Sorts the text of a refusal into a {@linkcode RefusalReason}.
 *
 * @example
 * ```ts
 * import { refusalReason } from "./refusal_reports.ts";
 * refusalReason("message 1 (REQPing) from x is not signed"); // "unsigned"
 * ```
 */
export function refusalReason(text: string): RefusalReason {
  if (/not valid (UTF-8|JSON)|is invalid|malformed/.test(text)) return "malformed";
  if (/is not signed|without its seal/.test(text)) return "unsigned";
  if (/no trusted key|pending approval/.test(text)) return "unknown_key";
  if (/signature does not match|not signed by the trusted key/.test(text)) {
    return "bad_signature";
  }
  if (/as a replay/.test(text)) return "replay";
  if (/not allowed|accepted only from/.test(text)) return "not_allowed";
  if (/ is for \S+, received by|has method \S+, received on|claims to be from/.test(text)) {
    return "misaddressed";
  }
  if (/exceeds the maxMessageSize|more than the \d+ bytes announced/.test(text)) {
    return "too_large";
  }
  return "other";
}

/** Options of {@linkcode RefusalReports}. */
export interface RefusalReportsOptions {
  /** Where a report goes (the node's error reporting). */
  report(text: string, about?: Message): void;
  /** Length of a window, in ms (default 1000). */
  windowMs?: number;
  /** Refusals reported one by one per window (default 10); the rest are summed up. */
  linesPerWindow?: number;
}

/**
 * Folds and rate-limits the reports of refused messages: at most `linesPerWindow` distinct
 * lines per window, then one line per folded refusal saying how many times more it came, and
 * one summary of those not reported one by one, by reason. Memory is bounded by
 * `linesPerWindow` and the reasons, whatever the flood.
 *
 * @example
 * ```ts
 * import { RefusalReports } from "./refusal_reports.ts";
 * const lines: string[] = [];
 * const reports = new RefusalReports({ report: (t) => lines.push(t), linesPerWindow: 1 });
 * reports.refused("refused: a is not signed");
 * reports.refused("refused: b is not signed");
 * reports.flush(); // lines: the first refusal, then "… 1 more refused message … (unsigned 1)"
 * ```
 */
export class RefusalReports {
  #options: Required<Omit<RefusalReportsOptions, "report">> & Pick<RefusalReportsOptions, "report">;
  // The lines reported in this window, with how many more identical ones came since.
  #reported = new Map<string, { about?: Message; more: number }>();
  #unreported = new Map<RefusalReason, number>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: RefusalReportsOptions) {
    this.#options = { windowMs: 1000, linesPerWindow: 10, ...options };
  }

  /** Reports (or counts) the refusal `text`, about message `about` when it was parsed. */
  refused(text: string, about?: Message): void {
    // Refusals equal but for the ids they quote (a node's resends, its error reports) are one.
    const key = foldKey(text);
    const seen = this.#reported.get(key);
    if (seen) {
      seen.more++;
    } else if (this.#reported.size < this.#options.linesPerWindow) {
      this.#reported.set(key, { about, more: 0 });
      this.#options.report(text, about);
    } else {
      const reason = refusalReason(text);
      this.#unreported.set(reason, (this.#unreported.get(reason) ?? 0) + 1);
    }
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.flush(), this.#options.windowMs);
      Deno.unrefTimer(this.#timer);
    }
  }

  /** Ends the window now: reports the counts it holds. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const seconds = this.#options.windowMs / 1000;
    for (const [key, { about, more }] of this.#reported) {
      if (more === 0) continue;
      this.#options.report(`${key} (${more} more times in the last ${seconds} s)`, about);
    }
    let total = 0;
    const parts: string[] = [];
    for (const [reason, n] of this.#unreported) {
      total += n;
      parts.push(`${reason} ${n}`);
    }
    if (total > 0) {
      this.#options.report(
        `refused: ${total} more refused message${total === 1 ? "" : "s"} in the last ` +
          `${seconds} s, not reported one by one (${parts.join(", ")})`,
      );
    }
    this.#reported.clear();
    this.#unreported.clear();
  }
}
