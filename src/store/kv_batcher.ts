/** One write for {@linkcode KvBatcher}: a set (with optional expiry) or a delete. */
export type KvWrite =
  | { op: "set"; key: Deno.KvKey; value: unknown; expireIn?: number; bytes?: number }
  | { op: "delete"; key: Deno.KvKey };

interface Pending {
  writes: KvWrite[];
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

// Deno KV allows 1000 mutations and about 800 KiB per atomic commit; stay under both.
const MAX_MUTATIONS = 900;
const MAX_BYTES = 700 * 1024;
/** Longest a deferred write waits for a commit to ride along with. */
export const LAZY_MS = 25;
const LAZY_MAX_MUTATIONS = 400;

/**
 * Groups writes from many concurrent callers into few atomic KV commits. Sequential single
 * writes manage about 3k/s; one commit of hundreds of writes costs about the same as one.
 * Writes are committed in the order given; a caller's promise resolves once all its writes are
 * durable. A caller's writes share one atomic commit unless they exceed KV's limits for one.
 *
 * @example
 * ```ts ignore
 * import { KvBatcher } from "./kv_batcher.ts";
 * const batcher = new KvBatcher(await Deno.openKv(":memory:"));
 * await batcher.write([{ op: "set", key: ["a"], value: 1 }]);
 * ```
 */
export class KvBatcher {
  #kv: Deno.Kv;
  #queue: Pending[] = [];
  #committing = false;
  #lazy: Pending[] = [];
  #lazyMutations = 0;
  #lazyTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  /**
   * Queues bookkeeping whose loss in a crash is repaired at the next start (the delete of a
   * delivered message: a resend is a duplicate to its receiver; the "done" mark of a store:
   * recovery does not append twice). It rides along with the next {@linkcode write}, or is
   * committed on its own within {@linkcode LAZY_MS}, so that it never holds up a commit a
   * message is waiting for. The promise resolves once it is durable.
   */
  defer(writes: KvWrite[]): Promise<void> {
    if (writes.length === 0) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) =>
      this.#lazy.push({ writes, bytes: 64 * writes.length, resolve, reject })
    );
    this.#lazyMutations += writes.length;
    if (this.#lazyMutations >= LAZY_MAX_MUTATIONS) this.#flushLazy();
    else if (this.#lazyTimer === undefined) {
      this.#lazyTimer = setTimeout(() => this.#flushLazy(), LAZY_MS);
    }
    return done;
  }

  /** Commits what {@linkcode defer} holds now (before the database is closed). */
  flush(): Promise<void> {
    const pending = [...this.#lazy, ...this.#queue].map((p) =>
      new Promise<void>((resolve) => {
        const { resolve: r, reject: j } = p;
        p.resolve = () => (r(), resolve());
        p.reject = (e) => (j(e), resolve());
      })
    );
    this.#flushLazy();
    return Promise.all(pending).then(() => {});
  }

  #flushLazy(): void {
    if (this.#lazyTimer !== undefined) clearTimeout(this.#lazyTimer);
    this.#lazyTimer = undefined;
    if (this.#lazy.length === 0) return;
    this.#queue.push(...this.#takeLazy());
    if (!this.#committing) this.#drain();
  }

  #takeLazy(): Pending[] {
    const lazy = this.#lazy;
    this.#lazy = [];
    this.#lazyMutations = 0;
    if (this.#lazyTimer !== undefined) clearTimeout(this.#lazyTimer);
    this.#lazyTimer = undefined;
    return lazy;
  }

  /** Commits `writes` in order, together with other callers' writes. */
  write(writes: KvWrite[]): Promise<void> {
    if (writes.length === 0) return Promise.resolve();
    const groups: { writes: KvWrite[]; bytes: number }[] = [];
    let current = { writes: [] as KvWrite[], bytes: 0 };
    for (const w of writes) {
      const size = (w.op === "set" ? w.bytes ?? 0 : 0) + 64;
      if (
        current.writes.length > 0 &&
        (current.writes.length >= MAX_MUTATIONS || current.bytes + size > MAX_BYTES)
      ) {
        groups.push(current);
        current = { writes: [], bytes: 0 };
      }
      current.writes.push(w);
      current.bytes += size;
    }
    groups.push(current);
    const done = groups.map((g) =>
      new Promise<void>((resolve, reject) => this.#queue.push({ ...g, resolve, reject }))
    );
    if (!this.#committing) this.#drain();
    return Promise.all(done).then(() => {});
  }

  async #drain(): Promise<void> {
    this.#committing = true;
    try {
      // Group commit: callers of the same tick join this commit, and whoever writes while it
      // is in flight joins the next one. No timer: Deno clamps nested `setTimeout(0)` to 4 ms,
      // which cost up to 4 ms on each of the four commits on a round trip's path.
      await Promise.resolve();
      while (this.#queue.length > 0) {
        // Deferred bookkeeping rides along with this commit, after the writes waiting: a
        // message sent while its own put waits here can be delivered, and its delete deferred,
        // before that put is committed (see Node.submit's `sendEarly`).
        if (this.#lazy.length > 0) this.#queue.push(...this.#takeLazy());
        const batch: Pending[] = [];
        let mutations = 0;
        let bytes = 0;
        while (this.#queue.length > 0) {
          const next = this.#queue[0];
          const fits = mutations + next.writes.length <= MAX_MUTATIONS &&
            bytes + next.bytes <= MAX_BYTES;
          if (batch.length > 0 && !fits) break;
          batch.push(this.#queue.shift()!);
          mutations += next.writes.length;
          bytes += next.bytes;
        }
        await this.#commit(batch);
      }
    } finally {
      this.#committing = false;
    }
  }

  async #commit(batch: Pending[]): Promise<void> {
    const atomic = this.#kv.atomic();
    for (const p of batch) {
      for (const w of p.writes) {
        if (w.op === "set") {
          atomic.set(w.key, w.value, w.expireIn ? { expireIn: w.expireIn } : undefined);
        } else atomic.delete(w.key);
      }
    }
    try {
      await atomic.commit();
      for (const p of batch) p.resolve();
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}
