import { z } from "npm:zod@4.6.7";
import type { TrustedSet } from "./key_registry.ts";

const KEY = ["security", "trusted"] as const;

/** The trusted set as carried in a `REQTrustedKeys` message's data. */
export const trustedSetSchema = z.object({
  version: z.number().int().min(0),
  central: z.string().min(1),
  keys: z.record(z.string(), z.string()),
}).strict();

/**
 * A node's copy of the trusted set central distributed, kept in KV across restarts.
 *
 * @example
 * ```ts ignore
 * import { TrustedKeys } from "./trusted_keys.ts";
 * const trusted = await TrustedKeys.open(kv);
 * trusted.keyOf("ship2"); // undefined until central approves ship2
 * ```
 */
export class TrustedKeys {
  #kv: Deno.Kv;
  #set: TrustedSet | undefined;
  #replacing: Promise<unknown> = Promise.resolve();

  private constructor(kv: Deno.Kv, set: TrustedSet | undefined) {
    this.#kv = kv;
    this.#set = set;
  }

  /** Loads the set stored in `kv`, if any. */
  static async open(kv: Deno.Kv): Promise<TrustedKeys> {
    const stored = trustedSetSchema.safeParse((await kv.get(KEY)).value);
    return new TrustedKeys(kv, stored.success ? stored.data : undefined);
  }

  /** The set in force, if central sent one. */
  get current(): TrustedSet | undefined {
    return this.#set;
  }

  /** The key of `node` in the set. */
  keyOf(node: string): string | undefined {
    return this.#set?.keys[node];
  }

  /** Stores `set` when newer than the one in force; returns the version in force. */
  replace(set: TrustedSet): Promise<number> {
    // One at a time: two sets arriving together must not let the older one be stored last.
    const replaced = this.#replacing.then(async () => {
      if (this.#set && set.version <= this.#set.version) return this.#set.version;
      await this.#kv.set(KEY, set);
      this.#set = set;
      return set.version;
    });
    this.#replacing = replaced.catch(() => 0);
    return replaced;
  }
}
