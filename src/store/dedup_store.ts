import type { Message } from "../message/schema.ts";
import type { KvBatcher } from "./kv_batcher.ts";

/** What a receiver remembers of a message it has taken on. */
export interface DedupRecord {
  state: "running" | "done";
  at: number;
  /**
   * The message, to answer it if a restart interrupts it. Its data is kept only for a reply
   * while it runs (the result it carries exists nowhere else once ACKed) and when it fits in
   * one KV value; otherwise it is dropped.
   */
  message: Message;
}

// Deno KV values are at most 64 KiB; leave room for the rest of the record.
const MAX_KEPT_DATA = 48 * 1024;

/**
 * Remembers which message ids a receiver has accepted, so that a resent message is ACKed again
 * but never executed twice, even across restarts. Records expire after `retentionMs`.
 *
 * @example
 * ```ts ignore
 * import { DedupStore } from "./dedup_store.ts";
 * const dedup = new DedupStore(kv, batcher, 86_400_000);
 * if (await dedup.claim(id)) { ... }
 * ```
 */
export class DedupStore {
  #kv: Deno.Kv;
  #batcher: KvBatcher;
  #retentionMs: number;
  // Ids taken on by this process: answers most duplicate checks without a KV read.
  #recent = new Map<string, number>();

  constructor(kv: Deno.Kv, batcher: KvBatcher, retentionMs: number) {
    this.#kv = kv;
    this.#batcher = batcher;
    this.#retentionMs = retentionMs;
  }

  /**
   * Claims `id` for execution: true the first time, false when it was taken on before, by
   * this process or an earlier one. The claim is made before any await, so a resend arriving
   * while the first copy is still being recorded cannot also be claimed.
   */
  async claim(id: string): Promise<boolean> {
    const now = Date.now();
    const at = this.#recent.get(id);
    if (at !== undefined && now - at < this.#retentionMs) return false;
    this.#recent.set(id, now);
    const entry = await this.#kv.get<DedupRecord>(["dedup", id]);
    // KV drops expired keys lazily (an open database still reads them back): past the
    // retention a record no longer counts, in this process as after a restart.
    return entry.value === null || now - entry.value.at >= this.#retentionMs;
  }

  /** Gives up a claim that could not be recorded, so a resend can be taken on. */
  release(id: string): void {
    this.#recent.delete(id);
  }

  /** Records `message` as taken on (`running`) or finished (`done`). */
  record(message: Message, state: DedupRecord["state"]): Promise<void> {
    const now = Date.now();
    if (!this.#recent.has(message.id)) this.#recent.set(message.id, now);
    this.#prune(now);
    const keep = state === "running" && message.isReply &&
      new TextEncoder().encode(message.data).length <= MAX_KEPT_DATA;
    const value: DedupRecord = {
      state,
      at: now,
      message: keep ? message : { ...message, data: "" },
    };
    return this.#batcher.write([{
      op: "set",
      key: ["dedup", message.id],
      value,
      expireIn: this.#retentionMs,
      bytes: 1024 + (keep ? message.data.length * 3 : 0),
    }]);
  }

  /** Records left `running` by an earlier process that stopped before finishing them. */
  async *interrupted(): AsyncGenerator<DedupRecord> {
    for await (const e of this.#kv.list<DedupRecord>({ prefix: ["dedup"] })) {
      if (e.value.state === "running" && !this.#recent.has(e.key[1] as string)) yield e.value;
    }
  }

  #prune(now: number): void {
    if (this.#recent.size < 100_000) return;
    for (const [id, at] of this.#recent) {
      if (now - at < 600_000) break;
      this.#recent.delete(id);
    }
  }
}
