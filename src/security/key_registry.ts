import { isPublicKey } from "./approved_keys.ts";
import { isFingerprint, keyFingerprint } from "./fingerprint.ts";

/** State of a node's key in central's registry. */
export type KeyState = "pending" | "approved" | "revoked";

/** One node's key as central knows it. */
export interface KeyRecord {
  node: string;
  publicKey: string;
  state: KeyState;
  updatedAt: number;
  /**
   * After a rotation: the key it replaced, still believed until `previousUntil` (ms since the
   * epoch) for what the node signed just before it switched (messages and ACKs in flight).
   */
  previousKey?: string;
  previousUntil?: number;
  /** Keys of this node that a rotation replaced (the latest 16): never trusted again. */
  retiredKeys?: string[];
}

/** A key announced by a node that has no approved key, waiting for the operator. */
export interface PendingKey {
  node: string;
  publicKey: string;
  fingerprint: string;
  state: "pending";
  /** When this key was first announced (ms since the epoch); it expires from then. */
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

/** An approval or rotation the registry refuses; its message tells the operator what to do. */
export class KeyRegistryError extends Error {
  override name = "KeyRegistryError";
}

/** Limits and clock of a {@linkcode KeyRegistry}. */
export interface KeyRegistryOptions {
  /** Most pending keys kept at once (default 1000); the oldest is dropped for a new one. */
  maxPending?: number;
  /** How long a pending key is kept, in ms (default 7 days). */
  pendingMs?: number;
  /** The clock (default `Date.now`). */
  now?: () => number;
}

const PREFIX = ["security", "registry"] as const;
const PENDING = ["security", "pending"] as const;
const VERSION = ["security", "registryVersion"] as const;
const DAY_MS = 86_400_000;

/**
 * Central's registry of node keys. An approved key stays trusted until the operator revokes it
 * or the node rotates it with a hello signed by that key; a node with no approved key (new, or
 * revoked) may have keys _pending_ until the operator approves one by its fingerprint. Pending
 * keys are bounded in number and expire, since anyone able to publish to central can announce
 * them. A revoked key stays recorded so that a node cannot re-announce it.
 *
 * @example
 * ```ts
 * import { KeyRegistry } from "./key_registry.ts";
 * import { keyFingerprint } from "./fingerprint.ts";
 * const kv = await Deno.openKv(":memory:");
 * const registry = new KeyRegistry(kv);
 * const key = "A".repeat(43) + "=";
 * await registry.addPending("ship1", key);
 * await registry.approve("ship1", await keyFingerprint(key));
 * (await registry.get("ship1"))?.state; // "approved"
 * kv.close();
 * ```
 */
export class KeyRegistry {
  #kv: Deno.Kv;
  // Records read or written by this process: central looks up the sender's key for every
  // message it receives, and a kv.get each queued behind the commits of a burst (1024 pongs
  // took 0.4 s to be admitted). Every write goes through #write, which updates the cache once
  // committed; a read only fills an entry no write has set meanwhile.
  #cache = new Map<string, KeyRecord | undefined>();
  #writing: Promise<unknown> = Promise.resolve();
  // Pending keys by "<node> <key>" → first seen, oldest first; loaded from KV on first use.
  #pending: Map<string, number> | undefined;
  #maxPending: number;
  #pendingMs: number;
  #now: () => number;

  constructor(kv: Deno.Kv, options: KeyRegistryOptions = {}) {
    this.#kv = kv;
    this.#maxPending = Math.max(1, options.maxPending ?? 1000);
    this.#pendingMs = Math.max(1000, options.pendingMs ?? 7 * DAY_MS);
    this.#now = options.now ?? Date.now;
  }

  /** The approved or revoked record of `node`, if any (pending keys: {@linkcode pendingOf}). */
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

  /** Every approved and revoked record, then every pending key that has not expired. */
  async list(): Promise<(KeyRecord | PendingKey)[]> {
    const out: (KeyRecord | PendingKey)[] = [];
    for await (const e of this.#kv.list<KeyRecord>({ prefix: [...PREFIX] })) out.push(e.value);
    for await (const e of this.#kv.list<PendingKey>({ prefix: [...PENDING] })) {
      if (!this.#expired(e.value)) out.push(e.value);
    }
    return out;
  }

  /** The keys pending for `node` that have not expired, oldest first. */
  async pendingOf(node: string): Promise<PendingKey[]> {
    const out: PendingKey[] = [];
    for await (const e of this.#kv.list<PendingKey>({ prefix: [...PENDING, node] })) {
      if (!this.#expired(e.value)) out.push(e.value);
    }
    return out.sort((a, b) => a.updatedAt - b.updatedAt);
  }

  /**
   * Records `publicKey` as pending for `node`, which must have no approved key (the caller
   * checked that the announcing hello is signed by that key). Returns `new` the first time,
   * `known` while it waits. At the cap the oldest pending key is dropped: a genuine node
   * announces its key again with every hello, while refusing new keys would let a flood of
   * made-up names lock every new node out until the flood expires.
   */
  addPending(node: string, publicKey: string): Promise<"new" | "known"> {
    return this.#serial(async () => {
      const current = await this.get(node);
      if (current?.state === "approved") {
        throw new KeyRegistryError(`${node} has an approved key: a new key must be a rotation`);
      }
      const index = await this.#pendingIndex();
      const id = `${node} ${publicKey}`;
      const seen = index.get(id);
      if (seen !== undefined && this.#now() - seen < this.#pendingMs) return "known";
      const op = this.#kv.atomic();
      for (const [oldest, at] of index) {
        if (index.size < this.#maxPending && this.#now() - at < this.#pendingMs) break;
        index.delete(oldest);
        if (oldest !== id) op.delete([...PENDING, ...splitId(oldest)]);
      }
      const record: PendingKey = {
        node,
        publicKey,
        fingerprint: await keyFingerprint(publicKey),
        state: "pending",
        updatedAt: this.#now(),
      };
      // expireIn lets KV drop what nobody reads again; reads check the age too (expiry is lazy).
      op.set([...PENDING, node, publicKey], record, { expireIn: this.#pendingMs });
      await op.commit();
      index.delete(id);
      index.set(id, record.updatedAt);
      return "new";
    });
  }

  /**
   * Approves a key of `node`, named by the operator: the fingerprint of one of its pending keys,
   * or a whole public key (the node's `steward_ed25519.pub`, as a pre-seeded approval names it).
   *
   * @throws {KeyRegistryError} when no key is named, or the fingerprint is not a pending key's;
   *   the message lists the pending fingerprints and how to approve one.
   */
  approve(node: string, named?: string): Promise<KeyRecord> {
    return this.#serial(async () => {
      const pending = await this.pendingOf(node);
      const current = await this.get(node);
      let key: string | undefined;
      if (named && isPublicKey(named)) key = named;
      else if (named && isFingerprint(named)) {
        key = pending.find((p) => p.fingerprint === named)?.publicKey;
        if (!key && current?.state === "approved") {
          if ((await keyFingerprint(current.publicKey)) === named) return current;
        }
        if (!key) {
          throw new KeyRegistryError(
            `no pending key of ${node} has the fingerprint ${named}; ` + describePending(pending),
          );
        }
      } else if (named) {
        throw new KeyRegistryError(
          `"${named}" is neither a key fingerprint (SHA256:…) nor a public key`,
        );
      } else {
        throw new KeyRegistryError(
          `name the key to approve, so that only a key you have seen is trusted: ` +
            describePending(pending),
        );
      }
      const record: KeyRecord = {
        node,
        publicKey: key,
        state: "approved",
        updatedAt: this.#now(),
        ...(current?.retiredKeys ? { retiredKeys: current.retiredKeys } : {}),
      };
      await this.#write(record, true, pending);
      return record;
    });
  }

  /**
   * Replaces the approved key `oldKey` of `node` with `newKey` (the caller checked the
   * rotation is signed by `oldKey` and proven by `newKey`); `oldKey` is still believed for
   * `graceMs`, for what the node signed before it learnt central took the new key.
   *
   * @throws {KeyRegistryError} when `oldKey` is not `node`'s approved key.
   */
  rotate(node: string, oldKey: string, newKey: string, graceMs: number): Promise<KeyRecord> {
    return this.#serial(async () => {
      const current = await this.get(node);
      if (current?.state !== "approved" || current.publicKey !== oldKey) {
        throw new KeyRegistryError(`cannot rotate the key of ${node}: ${oldKey} is not approved`);
      }
      const now = this.#now();
      const record: KeyRecord = {
        node,
        publicKey: newKey,
        state: "approved",
        updatedAt: now,
        previousKey: oldKey,
        previousUntil: now + graceMs,
        retiredKeys: [...(current.retiredKeys ?? []), oldKey].slice(-16),
      };
      await this.#write(record, true, await this.pendingOf(node));
      return record;
    });
  }

  /**
   * Revokes the key of `node` and drops its pending keys.
   *
   * @throws {KeyRegistryError} when central knows no key of `node`.
   */
  revoke(node: string): Promise<KeyRecord | undefined> {
    return this.#serial(async () => {
      const old = await this.get(node);
      const pending = await this.pendingOf(node);
      if (!old && pending.length === 0) throw new KeyRegistryError(`no key of ${node} is known`);
      if (!old) {
        await this.#write(undefined, false, pending);
        return undefined;
      }
      const { previousKey: _k, previousUntil: _u, ...rest } = old;
      const record: KeyRecord = { ...rest, state: "revoked", updatedAt: this.#now() };
      await this.#write(record, true, pending);
      return record;
    });
  }

  /**
   * Whether `key` is one central stopped trusting for `node` (revoked, or replaced by a
   * rotation): neither a pre-seeded file left behind nor a hello may bring it back.
   */
  async isRetired(node: string, key: string): Promise<boolean> {
    const record = await this.get(node);
    if (!record) return false;
    if (record.state === "revoked" && record.publicKey === key) return true;
    return record.retiredKeys?.includes(key) ?? false;
  }

  /** The version of the current trusted set: one read, where `trustedSet` reads every key. */
  async version(): Promise<number> {
    return (await this.#kv.get<number>([...VERSION])).value ?? 0;
  }

  /** The current trusted set, with `central`'s key. */
  async trustedSet(central: string): Promise<TrustedSet> {
    const keys: Record<string, string> = {};
    for await (const e of this.#kv.list<KeyRecord>({ prefix: [...PREFIX] })) {
      if (e.value.state === "approved") keys[e.value.node] = e.value.publicKey;
    }
    const version = (await this.#kv.get<number>([...VERSION])).value ?? 0;
    return { version, central, keys };
  }

  #expired(p: PendingKey): boolean {
    return this.#now() - p.updatedAt >= this.#pendingMs;
  }

  async #pendingIndex(): Promise<Map<string, number>> {
    if (this.#pending) return this.#pending;
    const found: PendingKey[] = [];
    for await (const e of this.#kv.list<PendingKey>({ prefix: [...PENDING] })) found.push(e.value);
    found.sort((a, b) => a.updatedAt - b.updatedAt);
    this.#pending = new Map(found.map((p) => [`${p.node} ${p.publicKey}`, p.updatedAt]));
    return this.#pending;
  }

  // One change at a time: two approvals read-modify-writing the version together would both
  // write version + 1, and a node holding the first set would never be sent the second.
  #serial<T>(work: () => Promise<T>): Promise<T> {
    const done = this.#writing.then(work);
    this.#writing = done.catch(() => {});
    return done;
  }

  /** Writes `record` (if any), drops `dropPending`; bumps the set's version when `bump`. */
  async #write(
    record: KeyRecord | undefined,
    bump: boolean,
    dropPending: PendingKey[] = [],
  ): Promise<void> {
    const version = (await this.#kv.get<number>([...VERSION])).value ?? 0;
    const op = this.#kv.atomic();
    if (record) op.set([...PREFIX, record.node], record);
    for (const p of dropPending) op.delete([...PENDING, p.node, p.publicKey]);
    if (bump) op.set([...VERSION], version + 1);
    await op.commit();
    if (record) this.#cache.set(record.node, record);
    const index = await this.#pendingIndex();
    for (const p of dropPending) index.delete(`${p.node} ${p.publicKey}`);
  }
}

function splitId(id: string): [string, string] {
  const at = id.indexOf(" ");
  return [id.slice(0, at), id.slice(at + 1)];
}

function describePending(pending: PendingKey[]): string {
  if (pending.length === 0) return "none is pending (the node announces its key in its hello)";
  const node = pending[0].node;
  const list = pending.map((p) =>
    `${p.fingerprint} (first seen ${new Date(p.updatedAt).toISOString()})`
  );
  return `pending: ${list.join(", ")}. Compare with the fingerprint of the node's ` +
    `steward_ed25519.pub (steward -keyFingerprint on the node), then approve with ` +
    `-approveKey=${node}:<fingerprint>` +
    (pending.length === 1 ? `, e.g. -approveKey=${node}:${pending[0].fingerprint}` : "");
}
