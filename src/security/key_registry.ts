/** State of a node's key in central's registry. */
export type KeyState = "pending" | "approved" | "revoked";

/** One node's key as central knows it. */
export interface KeyRecord {
  node: string;
  publicKey: string;
  state: KeyState;
  updatedAt: number;
}

/** The set of keys nodes trust, as central distributes it. */
export interface TrustedSet {
  /** Increases with every approval and revocation. */
  version: number;
  /** Central's own key, so that a node can pin it. */
  central: string;
  /** Approved node → public key. */
  keys: Record<string, string>;
}

const PREFIX = ["security", "registry"] as const;
const VERSION = ["security", "registryVersion"] as const;

/**
 * Central's registry of node keys: keys announced in hellos wait as `pending` until an operator
 * approves them; a revoked key stays recorded so that a node cannot re-announce it.
 *
 * @example
 * ```ts ignore
 * import { KeyRegistry } from "./key_registry.ts";
 * const registry = new KeyRegistry(kv);
 * await registry.announce("ship1", publicKey);
 * await registry.approve("ship1");
 * ```
 */
export class KeyRegistry {
  #kv: Deno.Kv;
  // Records read or written by this process: central looks up the sender's key for every
  // message it receives, and a kv.get each queued behind the commits of a burst (1024 pongs
  // took 0.4 s to be admitted). Every write goes through #write, which updates the cache once
  // committed; a read only fills an entry no write has set meanwhile.
  #cache = new Map<string, KeyRecord | undefined>();
  #writing: Promise<void> = Promise.resolve();

  constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  /** The record of `node`, if any. */
  async get(node: string): Promise<KeyRecord | undefined> {
    if (this.#cache.has(node)) return this.#cache.get(node);
    const record = (await this.#kv.get<KeyRecord>([...PREFIX, node])).value ?? undefined;
    if (!this.#cache.has(node)) {
      // Unknown senders are cached too; a flood of made-up names cannot grow it without bound.
      if (this.#cache.size >= 10_000) this.#cache.clear();
      this.#cache.set(node, record);
    }
    return record;
  }

  /** Every record. */
  async list(): Promise<KeyRecord[]> {
    const out: KeyRecord[] = [];
    for await (const e of this.#kv.list<KeyRecord>({ prefix: [...PREFIX] })) out.push(e.value);
    return out;
  }

  /**
   * Records a key a node announced. Returns what changed: `new` (now pending), `changed` (a
   * different key than the approved or pending one: pending again, the old one no longer
   * trusted), or `known`.
   */
  async announce(node: string, publicKey: string): Promise<"new" | "changed" | "known"> {
    const old = await this.get(node);
    if (old && old.publicKey === publicKey) return "known";
    if (old?.state === "revoked" && old.publicKey === publicKey) return "known";
    await this.#write({ node, publicKey, state: "pending", updatedAt: Date.now() }, !!old);
    return old ? "changed" : "new";
  }

  /** Approves the pending key of `node`; throws when there is none. */
  async approve(node: string, publicKey?: string): Promise<KeyRecord> {
    const old = await this.get(node);
    const key = publicKey ?? old?.publicKey;
    if (!key) throw new Error(`no key of ${node} is known yet: start it so it says hello`);
    const record: KeyRecord = { node, publicKey: key, state: "approved", updatedAt: Date.now() };
    await this.#write(record, true);
    return record;
  }

  /** Revokes the key of `node`; throws when there is none. */
  async revoke(node: string): Promise<KeyRecord> {
    const old = await this.get(node);
    if (!old) throw new Error(`no key of ${node} is known`);
    const record: KeyRecord = { ...old, state: "revoked", updatedAt: Date.now() };
    await this.#write(record, true);
    return record;
  }

  /** The current trusted set, with `central`'s key. */
  async trustedSet(central: string): Promise<TrustedSet> {
    const keys: Record<string, string> = {};
    for (const r of await this.list()) if (r.state === "approved") keys[r.node] = r.publicKey;
    const version = (await this.#kv.get<number>([...VERSION])).value ?? 0;
    return { version, central, keys };
  }

  #write(record: KeyRecord, bump: boolean): Promise<void> {
    // One at a time: two approvals read-modify-writing the version together would both write
    // version + 1, and a node holding the first set would never be sent the second.
    const written = this.#writing.then(async () => {
      const version = (await this.#kv.get<number>([...VERSION])).value ?? 0;
      const op = this.#kv.atomic().set([...PREFIX, record.node], record);
      if (bump) op.set([...VERSION], version + 1);
      await op.commit();
      this.#cache.set(record.node, record);
    });
    this.#writing = written.catch(() => {});
    return written;
  }
}
