import { z } from "npm:zod@4.6.7";
import { join } from "node:path";
import type { TrustedSet } from "./key_registry.ts";

const KEY = ["security", "trusted"] as const;

/** The trusted set as carried in a `REQTrustedKeys` message's data. */
export const trustedSetSchema = z.object({
  version: z.number().int().min(0),
  central: z.string().min(1),
  keys: z.record(z.string(), z.string()),
}).strict();

/** The file beside the database that holds the set in force. */
export const TRUSTED_SET_FILE = "trusted_set.json";

/**
 * A node's copy of the trusted set central distributed, kept across restarts in a file beside
 * the database (written whole to a temporary file, then renamed over the old one). Not in Deno
 * KV: a value there is at most 64 KiB, which a set of about 1 100 nodes exceeds, after which no
 * node could take a new set. A set stored in KV by an earlier version is read once. The file is
 * not synced: a set lost to a power cut (or a file left unreadable) is only a set behind, which
 * the node's next hello shows central, and central sends it again.
 *
 * @example
 * ```ts ignore
 * import { TrustedKeys } from "./trusted_keys.ts";
 * const trusted = await TrustedKeys.open(kv, "./var/lib");
 * trusted.keyOf("ship2"); // undefined until central approves ship2
 * ```
 */
export class TrustedKeys {
  #path: string;
  #set: TrustedSet | undefined;
  #replacing: Promise<unknown> = Promise.resolve();

  private constructor(path: string, set: TrustedSet | undefined) {
    this.#path = path;
    this.#set = set;
  }

  /** Loads the set stored in `folder` (or, from an earlier version, in `kv`), if any. */
  static async open(kv: Deno.Kv, folder: string): Promise<TrustedKeys> {
    const path = join(folder, TRUSTED_SET_FILE);
    let stored: unknown;
    try {
      stored = JSON.parse(await Deno.readTextFile(path));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) stored = (await kv.get(KEY)).value;
      else if (!(err instanceof SyntaxError)) {
        throw new Error(`cannot read the trusted set ${path}: ${(err as Error).message}`);
      }
    }
    const parsed = trustedSetSchema.safeParse(stored);
    return new TrustedKeys(path, parsed.success ? parsed.data : undefined);
  }

  /** The set in force, if central sent one. */
  get current(): TrustedSet | undefined {
    return this.#set;
  }

  /** The key of `node` in the set. */
  keyOf(node: string): string | undefined {
    return Object.hasOwn(this.#set?.keys ?? {}, node) ? this.#set!.keys[node] : undefined;
  }

  /** Stores `set` when newer than the one in force; returns the version in force. */
  replace(set: TrustedSet): Promise<number> {
    // One at a time: two sets arriving together must not let the older one be stored last.
    const replaced = this.#replacing.then(async () => {
      if (this.#set && set.version <= this.#set.version) return this.#set.version;
      await writeWhole(this.#path, JSON.stringify(set));
      this.#set = set;
      return set.version;
    });
    this.#replacing = replaced.catch(() => 0);
    return replaced;
  }
}

/** Writes `text` to `path` so that a crash leaves either the old file or the new one. */
async function writeWhole(path: string, text: string): Promise<void> {
  const temporary = `${path}.tmp`;
  const bytes = new TextEncoder().encode(text);
  const file = await Deno.open(temporary, {
    write: true,
    create: true,
    truncate: true,
    mode: 0o600,
  });
  try {
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
  } finally {
    file.close();
  }
  await Deno.rename(temporary, path);
}
