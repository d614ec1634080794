import type { Message } from "../message/schema.ts";
import type { KvBatcher, KvWrite } from "./kv_batcher.ts";
import { KnownIds, MAX_KNOWN_IDS } from "./known_ids.ts";

/**
 * What a receiver remembers of a message it has taken on. While it runs, the message itself,
 * to answer it if a restart interrupts it: its data is kept only for a reply (the result it
 * carries exists nowhere else once ACKed) and when it fits in one KV value, otherwise dropped.
 * Once done, only the fact: nothing reads a finished message back (half the dedup bytes
 * written per message).
 */
export type DedupRecord =
  | {
    state: "running";
    at: number;
    message: Message;
    dataKept?: boolean;
    /**
     * Set just before a pooled method starts (a command is spawned): a record without it was
     * still waiting for its turn, and is run after a restart rather than answered as
     * interrupted.
     */
    started?: boolean;
    /**
     * How far a streaming method's output was sent, committed with each partial reply: where
     * its spool is to be read from after a restart, and the `seq` of the next partial reply.
     */
    streamed?: StreamProgress;
    /** When it started (ms since the epoch): its methodTimeout counts from then. */
    startedAt?: number;
  }
  | { state: "done"; at: number; message?: Message };

/** Where a streaming method's output was sent up to (see {@linkcode DedupRecord}). */
export interface StreamProgress {
  /** Bytes of its output sent. */
  offset: number;
  /** `seq` of its next partial reply. */
  seq: number;
}

// Deno KV values are at most 64 KiB; leave room for the rest of the record.
/** Most bytes of a reply's data kept for its recovery (in KV here, or in the store journal). */
export const MAX_KEPT_DATA = 48 * 1024;

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
  // Claims of the same tick, read from KV together (getMany, 10 keys a call) instead of one
  // kv.get each: under a burst a thousand single reads queued behind the commits on the
  // database's thread and took 0.3 s to clear (REQPong claims at central).
  #reads: {
    id: string;
    resolve: (at: number | undefined) => void;
    reject: (e: unknown) => void;
  }[] = [];
  // Every id recorded in KV, once listed (see interrupted()): a new id then needs no KV read.
  #known = new KnownIds(() => {
    // So many claimed lately that carrying them over would soon overflow again: the set stays
    // incomplete (claims read KV) until it starts over once more.
    if (this.#recent.size > MAX_KNOWN_IDS / 2) return [];
    this.#refill();
    // Claimed lately: their records may be committed behind the refill's listing.
    return this.#recent.keys();
  });
  #filling = false;

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
  async claim(id: string, lookup?: Promise<number | undefined>): Promise<boolean> {
    const now = Date.now();
    const at = this.#recent.get(id);
    if (at !== undefined && now - at < this.#retentionMs) return false;
    this.#recent.set(id, now);
    const read = lookup ?? this.#read(id); // Asked before the id is added to the known ones.
    this.#known.add(id);
    const recordedAt = await read;
    // KV drops expired keys lazily (an open database still reads them back): past the
    // retention a record no longer counts, in this process as after a restart.
    return recordedAt === undefined || now - recordedAt >= this.#retentionMs;
  }

  /**
   * Starts reading what KV holds for `id` (to pass to {@linkcode claim}), so that the read
   * overlaps the checks a message goes through before it is claimed. Safe to read early: a
   * record of `id` can only be written after a claim of `id`, which the claim sees in memory.
   */
  lookup(id: string): Promise<number | undefined> {
    return this.#read(id);
  }

  /**
   * When `id` was recorded, read together with the other reads of the same tick; at once, with
   * no read, for an id certainly never recorded.
   */
  #read(id: string): Promise<number | undefined> {
    if (!this.#known.mayHold(id)) return Promise.resolve(undefined);
    const { promise, resolve, reject } = Promise.withResolvers<number | undefined>();
    this.#reads.push({ id, resolve, reject });
    if (this.#reads.length === 1) queueMicrotask(() => this.#readAll());
    return promise;
  }

  #readAll(): void {
    const reads = this.#reads;
    this.#reads = [];
    for (let i = 0; i < reads.length; i += 10) {
      const group = reads.slice(i, i + 10);
      this.#kv.getMany<DedupRecord[]>(group.map((r) => ["dedup", r.id])).then(
        (entries) => entries.forEach((e, j) => group[j].resolve(e.value?.at)),
        (err) => group.forEach((r) => r.reject(err)),
      );
    }
  }

  /** Whether KV holds a record of `id` (running or done, within the retention or not). */
  async recorded(id: string): Promise<boolean> {
    return (await this.#read(id)) !== undefined;
  }

  /** Gives up a claim that could not be recorded, so a resend can be taken on. */
  release(id: string): void {
    this.#recent.delete(id);
  }

  /**
   * Records `message` as taken on (`running`) or finished (`done`); with `started`, as running
   * and about to start (see {@linkcode DedupRecord}).
   */
  record(message: Message, state: DedupRecord["state"] | "started"): Promise<void> {
    const now = Date.now();
    this.#prune(now);
    return this.#batcher.write([this.#mark(message, state, now)]);
  }

  /**
   * The write that records how far the streaming `message` has sent its output, for the
   * caller to commit with the partial reply that sent it there.
   */
  progressMark(message: Message, streamed: StreamProgress, startedAt: number): KvWrite {
    return this.#mark(message, "started", Date.now(), streamed, startedAt);
  }

  #mark(
    message: Message,
    state: DedupRecord["state"] | "started",
    now: number,
    streamed?: StreamProgress,
    startedAt = now,
  ): KvWrite {
    this.#remember(message.id, now);
    const keep = state !== "done" && message.isReply &&
      new TextEncoder().encode(message.data).length <= MAX_KEPT_DATA;
    const value: DedupRecord = state === "done" ? { state, at: now } : {
      state: "running",
      at: now,
      message: keep ? message : { ...message, data: "" },
      dataKept: keep,
      ...(state === "started" ? { started: true, startedAt } : {}),
      ...(streamed ? { streamed } : {}),
    };
    return {
      op: "set",
      key: ["dedup", message.id],
      value,
      expireIn: this.#retentionMs,
      bytes: state === "done" ? 64 : 1024 + (keep ? message.data.length * 3 : 0),
    };
  }

  /**
   * The write that marks `message` finished, for the caller to commit together with what
   * finishing it produced (its reply), or deferred (a store, which recovery never repeats).
   */
  doneMark(message: Message): KvWrite {
    const now = Date.now();
    this.#remember(message.id, now);
    const value: DedupRecord = { state: "done", at: now };
    return {
      op: "set",
      key: ["dedup", message.id],
      value,
      expireIn: this.#retentionMs,
      bytes: 64,
    };
  }

  /** An id about to be recorded (normally claimed already; recovery records without a claim). */
  #remember(id: string, now: number): void {
    if (!this.#recent.has(id)) this.#recent.set(id, now);
    this.#known.add(id);
  }

  /**
   * Records left `running` by an earlier process that stopped before finishing them. Read
   * through to the end, the listing also completes the set of known ids, after which claims of
   * new ids need no KV read: records of earlier processes are all listed, and every record this
   * process writes is claimed (added) before it is written.
   */
  async *interrupted(): AsyncGenerator<DedupRecord & { state: "running" }> {
    for await (const e of this.#listAll()) {
      const r = e.value;
      if (r.state === "running" && !this.#recent.has(e.key[1] as string)) yield r;
    }
  }

  /** Every record in KV, each id added to the known ones; completes them at the end. */
  async *#listAll(): AsyncGenerator<Deno.KvEntry<DedupRecord>> {
    const generation = this.#known.generation;
    this.#filling = true;
    try {
      for await (const e of this.#kv.list<DedupRecord>({ prefix: ["dedup"] })) {
        this.#known.add(e.key[1] as string);
        yield e;
      }
      // A no-op if the ids started over meanwhile: then KV holds about a million records,
      // and claims read KV until the ids start over again.
      this.#known.markComplete(generation);
    } finally {
      this.#filling = false;
    }
  }

  /** Fills the known ids again after they started over (a million ids recorded). */
  #refill(): void {
    if (this.#filling) return;
    (async () => {
      for await (const _ of this.#listAll());
    })().catch(() => {}); // Left incomplete: claims keep reading KV, as before the listing.
  }

  #prune(now: number): void {
    if (this.#recent.size < 100_000) return;
    for (const [id, at] of this.#recent) {
      if (now - at < 600_000) break;
      this.#recent.delete(id);
    }
  }
}
