/**
 * The append-only audit log: one JSON line per message a publisher handles, with everything
 * needed to recreate it but its bulk: data over {@linkcode AUDIT_DATA_LIMIT} is recorded as its
 * size and SHA-256 (`dataBytes`, `dataSha256`), so a streaming command does not copy its whole
 * output into the log. A message that was delivered has two lines: "published" with the
 * message, and "delivered" with only its id (`"message":{"id":…}`), which refers to the first.
 * The file is rotated at a size limit (see rotating_log.ts).
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Message } from "./message/schema.ts";
import { RotatingLog, type RotatingLogOptions } from "./rotating_log.ts";

/** Data longer than this (in UTF-8 bytes) is audited as its size and SHA-256, not whole. */
export const AUDIT_DATA_LIMIT = 1024;

/** Least time between two reports of failing audit writes; the ones between are counted. */
const ERROR_REPORT_INTERVAL_MS = 60_000;

/** What happened to a message. */
export type AuditEvent = "published" | "delivered" | "failed" | "refused" | "superseded";

/** Options of {@linkcode AuditLog.open}. */
export interface AuditLogOptions extends Partial<RotatingLogOptions> {
  /**
   * Told when writes fail, with what failed and how many writes failed since the last report:
   * at most once a minute, so a full disk costs one line a minute, not one per message.
   */
  onError?: (text: string) => void;
}

/**
 * Appends audit lines to a file, batching writes so the hot path never waits on the disk.
 *
 * @example
 * ```ts
 * import { AuditLog } from "./audit.ts";
 * const dir = await Deno.makeTempDir();
 * const audit = await AuditLog.open(`${dir}/audit.log`, { maxBytes: 1 << 20, maxFiles: 2 });
 * audit.outcome("delivered", "ship1.REQPing.EventACK", "0000000001abcd");
 * await audit.close();
 * ```
 */
export class AuditLog {
  #log: RotatingLog;
  #lines: string[] = [];
  #flushing: Promise<void> | undefined;
  #encoder = new TextEncoder();
  #onError: (text: string) => void;
  #failures = 0;
  #reportedAt = -Infinity;

  private constructor(log: RotatingLog, onError: (text: string) => void) {
    this.#log = log;
    this.#onError = onError;
  }

  /**
   * Opens (creating if needed, 0600) the log at `path` for appending; it is rotated past
   * `maxBytes` (default 32 MiB), keeping `maxFiles` older files (default 4).
   */
  static async open(path: string, options: AuditLogOptions = {}): Promise<AuditLog> {
    const log = await RotatingLog.open(path, {
      maxBytes: options.maxBytes ?? 32 * 1024 * 1024,
      maxFiles: options.maxFiles ?? 4,
    });
    return new AuditLog(log, options.onError ?? (() => {}));
  }

  /** Queues one line for the log (data over {@linkcode AUDIT_DATA_LIMIT} as size and hash). */
  record(event: AuditEvent, subject: string, message: Message, detail?: string): void {
    this.#lines.push(
      JSON.stringify({
        time: new Date().toISOString(),
        event,
        subject,
        detail,
        message: auditedMessage(message),
      }),
    );
    this.#flushing ??= this.#flush();
  }

  /**
   * Queues the outcome line of a message whose "published" line already holds it whole: only
   * its id is written. Serialising every message a second time on delivery was a third of the
   * audit's cost (1.5–2.5% of the CPU of a ping burst, on both nodes).
   */
  outcome(event: AuditEvent, subject: string, id: string, detail?: string): void {
    this.#lines.push(
      JSON.stringify({ time: new Date().toISOString(), event, subject, detail, message: { id } }),
    );
    this.#flushing ??= this.#flush();
  }

  async #flush(): Promise<void> {
    await new Promise((r) => setTimeout(r, 20));
    while (this.#lines.length > 0) {
      const text = this.#lines.join("\n") + "\n";
      this.#lines = [];
      try {
        await this.#log.append(this.#encoder.encode(text));
      } catch (err) {
        this.#failed(err);
      }
    }
    this.#flushing = undefined;
  }

  /** Reports a failed write, or counts it when one was reported within the last minute. */
  #failed(err: unknown): void {
    this.#failures++;
    const now = Date.now();
    if (now - this.#reportedAt < ERROR_REPORT_INTERVAL_MS) return;
    const more = this.#failures > 1
      ? ` (${this.#failures} failed writes since the last report)`
      : "";
    this.#reportedAt = now;
    this.#failures = 0;
    const why = err instanceof Error ? err.message : String(err);
    this.#onError(`audit log: ${why}${more}`);
  }

  /** Writes what is queued and closes the file. */
  async close(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    this.#log.close();
  }
}

/**
 * The message as audited: whole when its data is short, else with `dataBytes` and `dataSha256`
 * in place of `data`.
 *
 * @example
 * ```ts ignore
 * import { auditedMessage } from "./audit.ts";
 * auditedMessage({ ...message, data: "y".repeat(5000) }); // { ..., dataBytes: 5000, dataSha256 }
 * ```
 */
export function auditedMessage(
  message: Message,
): Message | Omit<Message, "data"> & { dataBytes: number; dataSha256: string } {
  // A UTF-16 unit is at most 3 UTF-8 bytes: short data needs no encoding to be measured.
  if (message.data.length * 3 <= AUDIT_DATA_LIMIT) return message;
  const { data, ...rest } = message;
  const bytes = new TextEncoder().encode(data);
  if (bytes.length <= AUDIT_DATA_LIMIT) return message;
  const dataSha256 = createHash("sha256").update(bytes).digest("hex");
  return { ...rest, dataBytes: bytes.length, dataSha256 };
}
