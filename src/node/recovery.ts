/**
 * What a node does at start about the work an earlier process left unfinished: messages
 * accepted and not yet delivered are queued again, stores noted in the journal are finished
 * once, and messages that were running are answered (or, for a store, finished).
 *
 * @module
 */
import type { Message } from "../message/schema.ts";
import { methodNamed } from "../methods/registry.ts";
import type { CommandSpool } from "../methods/command_spool.ts";
import type { MethodDefinition } from "../methods/types.ts";
import type { DedupStore } from "../store/dedup_store.ts";
import type { InflightStore } from "../store/inflight_store.ts";
import type { StoreJournal } from "../store/store_journal.ts";
import type { ResumeOptions } from "./method_runner.ts";
import type { ReplyFiles } from "./reply_files.ts";

/** What {@linkcode Recovery} reads, runs and reports through. */
export interface RecoveryDeps {
  /** This node's name, at the start of its log lines. */
  nodeName: string;
  /** Where the store journal lives, named when lines of it are refused. */
  databaseFolder: string;
  /** Messages accepted and not finished when the last process ended. */
  inflight: Pick<InflightStore, "list">;
  /** Queues a message to be sent (waits while the ring buffer is full). */
  queue: (m: Message) => Promise<void>;
  /** Stores the last process noted before their effect. */
  journal: Pick<StoreJournal, "left" | "placements" | "refused" | "leftHandled">;
  /** Which messages were recorded as taken on or done. */
  dedup: Pick<DedupStore, "recorded" | "interrupted" | "record">;
  /** Runs a message here and replies; resolves once its "done" mark is durable. */
  execute: (m: Message, def: MethodDefinition, options?: ResumeOptions) => Promise<void>;
  /** Sends `m` the error reply `error` (a failure is reported for a method without a reply). */
  replyError: (m: Message, def: MethodDefinition, error: string) => Promise<unknown>;
  /** Sizes, cuts back and appends reply files, under the data folder's rules. */
  replyFiles: Pick<ReplyFiles, "size" | "truncate" | "write">;
  /** Reports an error line (local log and central). */
  reportError: (text: string) => void;
  /** Writes a local log line. */
  log: (line: string) => void;
  /** The node's command spool, when its commands are spooled. */
  spool?: Pick<CommandSpool, "sweep">;
}

/**
 * Recovers a node's unfinished work at start, in the order {@linkcode Node.start} calls it:
 * {@linkcode requeueInflight}, {@linkcode finishJournaledStores} (before any subscriber
 * listens), then {@linkcode answerInterrupted}.
 *
 * @example
 * ```ts
 * import { Recovery } from "./recovery.ts";
 * const queued: string[] = [];
 * const recovery = new Recovery({
 *   nodeName: "ship1",
 *   databaseFolder: "/tmp",
 *   inflight: { list: async function* () {} },
 *   queue: (m) => Promise.resolve(void queued.push(m.id)),
 *   journal: { left: [], placements: new Map(), refused: 0, leftHandled() {} },
 *   dedup: {
 *     recorded: () => Promise.resolve(false),
 *     interrupted: async function* () {},
 *     record: () => Promise.resolve(),
 *   },
 *   execute: () => Promise.resolve(),
 *   replyError: () => Promise.resolve(),
 *   replyFiles: { size: () => 0, truncate() {}, write: () => Promise.resolve() },
 *   reportError() {},
 *   log() {},
 * });
 * await recovery.requeueInflight(); // 0: nothing was left
 * ```
 */
export class Recovery {
  #deps: RecoveryDeps;
  #recovering = new Set<string>();
  /** When this process began to recover (before any subscriber listens). */
  #began = Date.now();

  /** Recovery through `deps`. */
  constructor(deps: RecoveryDeps) {
    this.#deps = deps;
  }

  /** Ids of stores being finished after a restart interrupted them. */
  get recovering(): ReadonlySet<string> {
    return this.#recovering;
  }

  /**
   * Queues again, oldest first, every message accepted and not finished; an unreadable record
   * is dropped and reported. Returns how many were queued.
   */
  async requeueInflight(): Promise<number> {
    let recovered = 0;
    const unreadable = (id: string, why: string) =>
      this.#deps.reportError(`dropped unreadable inflight record ${id}: ${why}`);
    for await (const m of this.#deps.inflight.list(unreadable)) {
      recovered++;
      await this.#deps.queue(m);
    }
    if (recovered > 0) this.#deps.log(`${this.#deps.nodeName}: re-sending ${recovered} unfinished`);
    return recovered;
  }

  /**
   * Finishes, once, each store the last process noted in its journal and did not record in KV:
   * its append is made unless its placement shows it was (see {@linkcode appendOnce}). Journal
   * lines without a valid MAC are reported, never acted on.
   */
  async finishJournaledStores(): Promise<void> {
    // In the order their appends were placed in each file: one cut back to its offset after a
    // torn append is followed by those placed after it.
    const { placements } = this.#deps.journal;
    const left = [...this.#deps.journal.left].sort((a, b) =>
      (placements.get(a.id)?.offset ?? Infinity) - (placements.get(b.id)?.offset ?? Infinity)
    );
    for (const m of left) {
      const def = methodNamed(m.method);
      // Recorded in KV: marked done, or finished from its KV record by answerInterrupted.
      if (def?.delivery !== "store" || await this.#deps.dedup.recorded(m.id)) continue;
      await this.#finish(m, def);
    }
    this.#deps.journal.leftHandled();
    const n = this.#deps.journal.refused;
    if (n > 0) {
      this.#deps.reportError(
        `store journal ${this.#deps.databaseFolder}/store_journal.log: ${n} ${
          n === 1 ? "line" : "lines"
        } without a valid MAC skipped, not acted on (planted, damaged, or written with another ` +
          `journal key)`,
      );
    }
  }

  /**
   * Handles each message recorded as running when the last process ended: a store whose data
   * was kept is finished; a pooled method (a command) that had not started yet is run now; a
   * spooled command that had started is collected from its spool (its run finds it there);
   * anything else is answered with an error and not run again (at most once), and recorded
   * done. Spools of messages no longer running are removed.
   */
  async answerInterrupted(): Promise<void> {
    const resumed = new Set<string>();
    for await (const record of this.#deps.dedup.interrupted()) {
      const def = methodNamed(record.message.method);
      if (def?.delivery === "store" && record.dataKept) {
        // An append that already reached its file is not repeated (see appendOnce).
        await this.#finish(record.message, def);
        continue;
      }
      const spooled = (def?.spooled === true && this.#deps.spool !== undefined) ||
        def?.resumable === true;
      if (
        def?.pooled && (!record.started || spooled) &&
        (record.dataKept || !record.message.isReply)
      ) {
        // Still waiting for a slot when the process ended: it never ran, so it runs now, once
        // (its "started" record is written before it is spawned). Started and spooled: its
        // run collects the command's result from the spool, or spawns it if the process died
        // before it did. Not awaited: it takes its turn in the executor like any other.
        resumed.add(record.message.id);
        const resume = {
          resumed: record.started,
          ...(record.streamed ? { streamed: record.streamed } : {}),
          ...(record.started && record.startedAt ? { startedAt: record.startedAt } : {}),
        };
        this.#deps.execute(record.message, def, resume).catch((err) =>
          this.#deps.log(`cannot run ${record.message.id} after the restart: ${err}`)
        );
        continue;
      }
      if (def) {
        await this.#deps.replyError(
          record.message,
          def,
          `${this.#deps.nodeName} restarted while running this message; ` +
            `not run again (at most once)`,
        );
      }
      await this.#deps.dedup.record(record.message, "done");
    }
    // Spools from before this process: a new message's spool is never taken for a leftover.
    const swept = this.#deps.spool?.sweep(this.#began, resumed) ?? 0;
    if (swept > 0) this.#deps.log(`${this.#deps.nodeName}: removed ${swept} finished spools`);
  }

  /**
   * The append of store `id` being finished: it may or may not have reached the file before
   * the process died. Its placement in the journal (where it was to go, written before the
   * append) decides, never the file's content: the file reaching past its end means it was
   * made; ending at or before its offset, it was not; ending inside it, it was torn, and the
   * file is cut back to its offset and the append made whole. Without a placement it had not
   * started.
   */
  async appendOnce(id: string, path: string, content: string): Promise<void> {
    const placed = this.#deps.journal.placements.get(id);
    if (placed && placed.path === path) {
      const size = this.#deps.replyFiles.size(path);
      if (size >= placed.offset + placed.length) return;
      if (size > placed.offset) {
        this.#deps.log(
          `${this.#deps.nodeName}: ${path}: the append of ${id} was torn by the crash; ` +
            `cut back to ${placed.offset} bytes and made again`,
        );
        this.#deps.replyFiles.truncate(path, placed.offset);
      }
    }
    await this.#deps.replyFiles.write(path, content, "append", id);
  }

  async #finish(m: Message, def: MethodDefinition): Promise<void> {
    this.#recovering.add(m.id);
    try {
      await this.#deps.execute(m, def); // Marks it done, durably, before it returns.
    } finally {
      this.#recovering.delete(m.id);
    }
  }
}
