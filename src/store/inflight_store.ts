import { type Message, messageSchema } from "../message/schema.ts";
import type { KvBatcher, KvWrite } from "./kv_batcher.ts";

// A KV value is at most 64 KiB; bigger messages are split into parts under this size.
const PART_BYTES = 60_000;

/**
 * Keeps accepted messages in Deno KV under `["inflight", id, part]` until they are finished.
 * Ids sort by creation time, so {@linkcode InflightStore.list} yields the oldest first.
 *
 * @example
 * ```ts ignore
 * import { InflightStore } from "./inflight_store.ts";
 * const store = new InflightStore(kv, batcher);
 * await store.put([message]);
 * await store.remove(message.id);
 * ```
 */
export class InflightStore {
  #kv: Deno.Kv;
  #batcher: KvBatcher;
  #parts = new Map<string, number>();
  #encoder = new TextEncoder();

  constructor(kv: Deno.Kv, batcher: KvBatcher) {
    this.#kv = kv;
    this.#batcher = batcher;
  }

  /** Number of messages accepted and not yet finished. */
  get size(): number {
    return this.#parts.size;
  }

  /**
   * Persists `messages`, in one commit with `alongWith` (e.g. the "done" mark of the message
   * they answer); resolves once they are durable.
   */
  put(messages: readonly Message[], alongWith: readonly KvWrite[] = []): Promise<void> {
    const writes: KvWrite[] = [];
    for (const m of messages) {
      const bytes = this.#encoder.encode(JSON.stringify(m));
      const n = Math.max(1, Math.ceil(bytes.length / PART_BYTES));
      // Later parts first: a head (part 0) in KV means the whole message is there.
      for (let i = n - 1; i >= 0; i--) {
        // slice, not subarray: KV would serialize the whole underlying buffer of a view.
        const b = bytes.slice(i * PART_BYTES, (i + 1) * PART_BYTES);
        const value = i === 0 ? { n, b } : b;
        writes.push({ op: "set", key: ["inflight", m.id, i], value, bytes: b.length });
      }
      this.#parts.set(m.id, n);
    }
    writes.push(...alongWith);
    return this.#batcher.write(writes);
  }

  /**
   * Removes a finished message. Deferred (see {@linkcode KvBatcher.defer}): if a crash loses the
   * delete, the message is sent again after the restart and its receiver ACKs it as a duplicate
   * without running it again.
   */
  remove(id: string): Promise<void> {
    const n = this.#parts.get(id);
    if (n === undefined) return Promise.resolve();
    this.#parts.delete(id);
    const writes: KvWrite[] = [];
    for (let i = 0; i < n; i++) writes.push({ op: "delete", key: ["inflight", id, i] });
    return this.#batcher.defer(writes);
  }

  /** Yields every persisted message, oldest first; unreadable records are reported and skipped. */
  async *list(onBad: (id: string, reason: string) => void): AsyncGenerator<Message> {
    let current: { id: string; n: number; chunks: Uint8Array[] } | undefined;
    const decoder = new TextDecoder();
    const finish = (c: NonNullable<typeof current>): Message | undefined => {
      if (c.chunks.length !== c.n) {
        onBad(c.id, `expected ${c.n} parts, found ${c.chunks.length}`);
        return undefined;
      }
      const all = new Uint8Array(c.chunks.reduce((s, x) => s + x.length, 0));
      let at = 0;
      for (const x of c.chunks) all.set(x, (at += x.length) - x.length);
      try {
        const parsed = messageSchema.safeParse(JSON.parse(decoder.decode(all)));
        if (parsed.success) {
          this.#parts.set(c.id, c.n);
          return parsed.data;
        }
        onBad(c.id, parsed.error.message);
      } catch (err) {
        onBad(c.id, String(err));
      }
      return undefined;
    };
    for await (const entry of this.#kv.list<unknown>({ prefix: ["inflight"] })) {
      const [, id, part] = entry.key as [string, string, number];
      if (part === 0) {
        if (current) {
          const m = finish(current);
          if (m) yield m;
        }
        const head = entry.value as { n: number; b: Uint8Array };
        current = { id, n: head.n, chunks: [head.b] };
      } else if (current && current.id === id) {
        current.chunks.push(entry.value as Uint8Array);
      }
    }
    if (current) {
      const m = finish(current);
      if (m) yield m;
    }
  }
}
