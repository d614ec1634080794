/**
 * Idempotency keys of the inputs: a client sends one with each message (the DSL client always
 * does), and a message sent again with the same key while it is remembered is answered with the
 * first one's ids instead of being stored and run again. A client that lost its connection
 * before the "accepted" line can then simply resend.
 *
 * @module
 */
import type { KvWrite } from "./kv_batcher.ts";

/** What is remembered of a key: the ids its message was given, one per target node. */
export interface KeyRecord {
  ids: { id: string; toNode: string; method: string }[];
  at: number;
}

/** Longest key taken (longer ones are refused at intake by the input schema). */
export const MAX_KEY_LENGTH = 128;

/**
 * The keys seen by one node, in KV (`["idempotency", key]`, expiring after `retentionMs`) and,
 * while their messages are being stored, in memory: two inputs with one key at once store it
 * once. A key's record is written in the same commit as its messages, so that a crash leaves
 * both or neither.
 *
 * @example
 * ```ts ignore
 * import { IdempotencyKeys } from "./idempotency_keys.ts";
 * const keys = new IdempotencyKeys(kv, 86_400_000);
 * const seen = await keys.claim(["k1"]); // k1 → undefined: new; store with keys.write(...)
 * ```
 */
export class IdempotencyKeys {
  #kv: Pick<Deno.Kv, "getMany">;
  #retentionMs: number;
  /** Keys whose messages are being stored now: the record they will have. */
  #storing = new Map<string, Promise<KeyRecord | undefined>>();
  #resolvers = new Map<string, (record: KeyRecord | undefined) => void>();

  constructor(kv: Pick<Deno.Kv, "getMany">, retentionMs: number) {
    this.#kv = kv;
    this.#retentionMs = retentionMs;
  }

  /**
   * For each key, its record if it was seen; otherwise undefined, and the key is the caller's:
   * it must {@linkcode settle} it (with the ids stored, or none if storing failed). A claim of
   * a key being stored meanwhile waits for that and gets its outcome. Keys are read from KV
   * ten at a time.
   */
  async claim(keys: readonly string[]): Promise<Map<string, KeyRecord | undefined>> {
    const out = new Map<string, KeyRecord | undefined>();
    let todo = [...new Set(keys)];
    while (todo.length > 0) {
      const waiting = todo.filter((k) => this.#storing.has(k));
      const free = todo.filter((k) => !this.#storing.has(k));
      for (const key of free) {
        const { promise, resolve } = Promise.withResolvers<KeyRecord | undefined>();
        this.#storing.set(key, promise);
        this.#resolvers.set(key, resolve);
      }
      const groups = [];
      for (let i = 0; i < free.length; i += 10) groups.push(free.slice(i, i + 10));
      try {
        const found = (await Promise.all(
          groups.map((g) => this.#kv.getMany<KeyRecord[]>(g.map((k) => ["idempotency", k]))),
        )).flat();
        free.forEach((key, i) => {
          const record = found[i].value ?? undefined;
          out.set(key, record);
          if (record) this.settle(key, record);
        });
      } catch (err) {
        for (const key of free) this.settle(key, undefined);
        throw err;
      }
      // Those being stored by another input: their outcome, or free again if it failed.
      const outcomes = await Promise.all(waiting.map((k) => this.#storing.get(k)));
      todo = [];
      waiting.forEach((key, i) => {
        if (outcomes[i]) out.set(key, outcomes[i]);
        else todo.push(key);
      });
    }
    return out;
  }

  /** Ends a claim: `record` once its messages are stored, undefined when they were not. */
  settle(key: string, record: KeyRecord | undefined): void {
    const resolve = this.#resolvers.get(key);
    this.#resolvers.delete(key);
    this.#storing.delete(key);
    resolve?.(record);
  }

  /** The write that remembers `key`, for the commit of its messages. */
  write(key: string, record: KeyRecord): KvWrite {
    return {
      op: "set",
      key: ["idempotency", key],
      value: record,
      expireIn: this.#retentionMs,
      bytes: 256 + 96 * record.ids.length,
    };
  }
}
