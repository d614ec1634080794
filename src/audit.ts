/**
 * The append-only audit log: one JSON line per message a publisher handles, with everything
 * needed to recreate it. A message that was delivered has two lines: "published" with the whole
 * message, and "delivered" with only its id (`"message":{"id":…}`), which refers to the first.
 *
 * @module
 */
import type { Message } from "./message/schema.ts";

/** What happened to a message. */
export type AuditEvent = "published" | "delivered" | "failed" | "refused";

/**
 * Appends audit lines to a file, batching writes so the hot path never waits on the disk.
 *
 * @example
 * ```ts ignore
 * import { AuditLog } from "./audit.ts";
 * const audit = await AuditLog.open("./var/lib/audit.log");
 * audit.record("published", "ship1.REQPing.EventACK", message);
 * await audit.close();
 * ```
 */
export class AuditLog {
  #file: Deno.FsFile;
  #lines: string[] = [];
  #flushing: Promise<void> | undefined;
  #encoder = new TextEncoder();
  #onError: (err: unknown) => void;

  private constructor(file: Deno.FsFile, onError: (err: unknown) => void) {
    this.#file = file;
    this.#onError = onError;
  }

  /** Opens (creating if needed) the log at `path` for appending. */
  static async open(path: string, onError: (err: unknown) => void = () => {}): Promise<AuditLog> {
    const file = await Deno.open(path, { append: true, create: true, mode: 0o600 });
    return new AuditLog(file, onError);
  }

  /** Queues one line for the log. */
  record(event: AuditEvent, subject: string, message: Message, detail?: string): void {
    this.#lines.push(
      JSON.stringify({ time: new Date().toISOString(), event, subject, detail, message }),
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
        const bytes = this.#encoder.encode(text);
        let written = 0;
        while (written < bytes.length) written += await this.#file.write(bytes.subarray(written));
      } catch (err) {
        this.#onError(err);
      }
    }
    this.#flushing = undefined;
  }

  /** Writes what is queued and closes the file. */
  async close(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    this.#file.close();
  }
}
