/**
 * The security of one node: it signs what the node sends, and admits what it receives only when
 * the signature, the replay window and the ACL allow it.
 *
 * @module
 */
import { join } from "node:path";
import type { Config } from "../config.ts";
import type { InputMessage, Message } from "../message/schema.ts";
import { substituteData } from "../methods/substitute_data.ts";
import { checkAcl, COMMAND_METHODS } from "./acl.ts";
import { APPROVED_KEYS_FOLDER, ApprovedKeysFolder } from "./approved_keys.ts";
import { AclStore } from "./acl_store.ts";
import { type KeyRecord, KeyRegistry, type TrustedSet } from "./key_registry.ts";
import { loadOrCreateNodeKeys, type NodeKeys } from "./node_keys.ts";
import { signedJson, verifyMessage } from "./signature.ts";
import type { ChunkSeal, ChunkSealFields } from "../node/chunk_seal.ts";
import { TrustedKeys, trustedSetSchema } from "./trusted_keys.ts";

/** Methods only central may call, whatever the ACL says: they change who is trusted. */
export const CENTRAL_ONLY_METHODS: ReadonlySet<string> = new Set([
  "REQTrustedKeys",
  "REQAclUpdate",
  "REQKeyApprove",
  "REQKeyRevoke",
  "REQKeyList",
]);

/** What {@linkcode Security.open} needs besides the database. */
export interface SecurityOptions {
  /** Folder of the signing key and `acl.json` (the agent's CONFIG_FOLDER). */
  configFolder: string;
  /** Queues a message from this node (used by central to distribute the trusted set). */
  send(input: InputMessage): Promise<void>;
  /** Writes a line on the node's local log. */
  log(line: string): void;
}

const encoder = new TextEncoder();

/**
 * Signing, verification, key registry (central), trusted set and ACL of one node.
 *
 * @example
 * ```ts ignore
 * import { Security } from "./security.ts";
 * const security = await Security.open(kv, config, { configFolder: "./etc", send, log });
 * const payload = await security.seal(message); // bytes to publish
 * const refusal = await security.admit(parsed, raw); // undefined when allowed
 * ```
 */
export class Security {
  readonly keys: NodeKeys;
  readonly acl: AclStore;
  readonly trusted: TrustedKeys;
  /** Central's registry of node keys; only on the central node. */
  readonly registry: KeyRegistry | undefined;
  /** Central's pre-seeded approvals (`<CONFIG_FOLDER>/approved_keys/<node>.pub`). */
  readonly #preApproved: ApprovedKeysFolder | undefined;
  #distribution: ReturnType<typeof setTimeout> | undefined;
  #approving = new Map<string, Promise<string | undefined>>();
  #quiet = new Set<string>();
  #config: Readonly<Config>;
  #options: SecurityOptions;

  private constructor(
    config: Readonly<Config>,
    options: SecurityOptions,
    parts: { keys: NodeKeys; acl: AclStore; trusted: TrustedKeys; registry?: KeyRegistry },
  ) {
    this.#config = config;
    this.#options = options;
    this.keys = parts.keys;
    this.acl = parts.acl;
    this.trusted = parts.trusted;
    this.registry = parts.registry;
    this.#preApproved = parts.registry
      ? new ApprovedKeysFolder(
        config.approvedKeysFolder || join(options.configFolder, APPROVED_KEYS_FOLDER),
      )
      : undefined;
  }

  /** Loads (or creates) the node's keys, its ACL and what it trusts. */
  static async open(
    kv: Deno.Kv,
    config: Readonly<Config>,
    options: SecurityOptions,
  ): Promise<Security> {
    const isCentral = config.nodeName === config.centralNodeName;
    return new Security(config, options, {
      keys: await loadOrCreateNodeKeys(options.configFolder),
      acl: await AclStore.open(kv, options.configFolder, config.centralNodeName),
      trusted: await TrustedKeys.open(kv),
      registry: isCentral ? new KeyRegistry(kv) : undefined,
    });
  }

  get #isCentral(): boolean {
    return this.registry !== undefined;
  }

  /** Fields a hello carries so central learns this node's key and can tell it is out of date. */
  helloFields(): { publicKey: string; trustVersion: number } {
    return { publicKey: this.keys.publicKey, trustVersion: this.trusted.current?.version ?? -1 };
  }

  /**
   * The bytes to publish for `message` (or to answer with, for an ACK): its JSON, signed now
   * (each send is signed anew).
   */
  async seal(message: object): Promise<Uint8Array> {
    return encoder.encode(await signedJson(message, this.keys));
  }

  /**
   * Checks an ACK (`raw`, as received) of `message` before its sender believes it: it must be
   * signed by the receiver's trusted key within the replay window. Otherwise anyone able to
   * answer on the broker could make a sender drop a message it never delivered. Held to the
   * same rule as messages: with -requireSignatures=false, only receivers with a trusted key.
   * Returns why the ACK is not believed.
   */
  async verifyAck(message: Message, raw: Record<string, unknown>): Promise<string | undefined> {
    const from = message.toNode;
    const key = await this.#trustedKey(from);
    if (!key && !this.#config.requireSignatures) return undefined;
    const what = `the ACK of ${message.id} from ${from}`;
    if (!key) return `${what} cannot be verified: no trusted key for node ${from}`;
    if (!(await verifyMessage(raw, key))) {
      return `${what} is not signed by the trusted key of ${from}`;
    }
    return this.#outsideWindow(raw, what);
  }

  /**
   * The `Steward-Chunk-Seal` header value of a chunk this node sends: its fields, signed now.
   *
   * @example
   * ```ts ignore
   * const value = await security.sealChunk({ id, index: 0, count: 3, total, fromNode, toNode,
   *   subject, sha256 });
   * ```
   */
  async sealChunk(fields: ChunkSealFields): Promise<string> {
    return await signedJson(fields, this.keys);
  }

  /**
   * Checks a chunk's seal before the chunk is claimed, reserved or buffered: signed by the
   * trusted key of the node it names, within the replay window. `undefined` is a chunk that
   * came unsealed. Held to the rule of whole messages (see #mustVerify): with
   * -requireSignatures=false, only senders with a trusted key are verified. Returns why the
   * chunk is refused.
   */
  async verifyChunk(seal: ChunkSeal | undefined): Promise<string | undefined> {
    const required = this.#config.requireSignatures;
    if (!seal) return required ? "a chunk came without its seal (unsigned)" : undefined;
    const { fromNode: from, id, index } = seal.fields;
    const key = await this.#trustedKey(from);
    if (!key && !required) return undefined;
    const what = `chunk ${index} of message ${id} from ${from}`;
    if (!key) return `${what} refused: no trusted key for node ${from}`;
    if (!(await verifyMessage(seal.raw, key))) {
      return `${what} refused: its seal is not signed by the trusted key of ${from}`;
    }
    return this.#outsideWindow(seal.raw, what);
  }

  /** Why a signed object is too old (or too far ahead) to be believed, if it is. */
  #outsideWindow(raw: Record<string, unknown>, what: string): string | undefined {
    const signedAt = typeof raw.signedAt === "number" ? raw.signedAt : Number.NaN;
    const ageSeconds = (Date.now() - signedAt) / 1000;
    const window = this.#config.replayWindow;
    if (Math.abs(ageSeconds) <= window) return undefined;
    return `${what} refused as a replay: signed ${ageSeconds.toFixed(1)} s ago, outside the ` +
      `replay window of ${window} s`;
  }

  /**
   * Decides whether `message` (parsed from `raw`, the JSON exactly as received) may be ACKed and
   * run; returns the reason when it may not. Nothing about it has been recorded or run yet.
   * `authoredHere` tells (once the message is verified) whether it is a chained reply running
   * exactly the command this node's own request named, for the first time (see
   * node/reply_chains.ts, which uses the request's record up): it is verified like any message,
   * but not held to the ACL.
   */
  async admit(
    message: Message,
    raw: Record<string, unknown>,
    options: { authoredHere?: () => Promise<boolean> } = {},
  ): Promise<string | undefined> {
    if (message.method === "REQHello" && this.#isCentral) {
      // A pre-seeded approval first: the key the hello announces is then simply "known".
      await this.#trustedKey(message.fromNode);
      await this.#collectKey(message, raw);
      const record = await this.registry?.get(message.fromNode);
      const pending = record?.state === "pending" && record.publicKey === raw.publicKey;
      if (pending && this.#config.requireSignatures) {
        // Said once in the log when the key arrived; every later hello is refused quietly.
        this.#quiet.add(message.id);
        return `hello from ${message.fromNode} refused: its key is pending approval ` +
          `(approve with -approveKey=${message.fromNode})`;
      }
    }
    if (await this.#mustVerify(message)) {
      const problem = await this.#verify(message, raw);
      if (problem) return problem;
    }
    if (CENTRAL_ONLY_METHODS.has(message.method)) {
      if (message.fromNode !== this.#config.centralNodeName) {
        return `${message.method} is accepted only from the central node ` +
          `${this.#config.centralNodeName}, not from ${message.fromNode}`;
      }
      return undefined;
    }
    if (options.authoredHere && await options.authoredHere()) return undefined;
    const isCommand = COMMAND_METHODS.has(message.method);
    return checkAcl(this.acl.current, this.#config.nodeName, {
      fromNode: message.fromNode,
      method: message.method,
      argv: isCommand ? substituteData(message.methodArgs, message.data) : undefined,
      target: isCommand ? undefined : message.methodArgs[0],
    });
  }

  /**
   * With -requireSignatures (the default) every message is verified. Turned off (a lab fleet
   * that has not approved its keys yet), a message is still verified whenever this node trusts
   * a key for its sender (itself, central once pinned, nodes central approved): such a sender
   * can no longer be impersonated; senders with no trusted key pass unsigned and are held to the
   * ACL. A trusted set is always verified: it decides whom the node will trust.
   */
  async #mustVerify(m: Message): Promise<boolean> {
    if (this.#config.requireSignatures || m.method === "REQTrustedKeys") return true;
    return (await this.#trustedKey(m.fromNode)) !== undefined;
  }

  /** The key this node trusts for messages from `node`. */
  keyOf(node: string): string | undefined {
    if (node === this.#config.nodeName) return this.keys.publicKey;
    if (this.registry) return undefined; // Central asks its registry (async): see #trustedKey.
    if (node === this.#config.centralNodeName) {
      return this.#config.centralPublicKey || this.trusted.current?.central;
    }
    return this.trusted.keyOf(node);
  }

  async #trustedKey(node: string): Promise<string | undefined> {
    const known = this.keyOf(node);
    if (known || !this.registry) return known;
    const record = await this.registry.get(node);
    if (record?.state === "approved") return record.publicKey;
    return await this.#approveFromFolder(node, record);
  }

  /**
   * Central: a node with no approved key may have been pre-seeded by the operator. The file
   * approves that key as `-approveKey` would, except that a revocation of that same key wins:
   * an operator who revoked a node must not see it come back because a file was left behind.
   */
  #approveFromFolder(node: string, record: KeyRecord | undefined): Promise<string | undefined> {
    // Messages and ACKs from a new node arrive together: approve (and bump the version) once.
    let approving = this.#approving.get(node);
    if (!approving) {
      approving = this.#approveFromFile(node, record).finally(() => this.#approving.delete(node));
      this.#approving.set(node, approving);
    }
    return approving;
  }

  async #approveFromFile(node: string, record: KeyRecord | undefined) {
    const key = await this.#preApproved?.lookup(node);
    if (!key || !this.registry) return undefined;
    if (record?.state === "revoked" && record.publicKey === key) return undefined;
    await this.registry.approve(node, key);
    this.#options.log(
      `${this.#config.nodeName}: approved the key of ${node} pre-seeded in ` +
        `${this.#preApproved!.path}/${node}.pub (${key})`,
    );
    this.#distributeSoon();
    return key;
  }

  /** Sends the trusted set once, shortly, for a burst of approvals (a fleet coming up). */
  #distributeSoon(): void {
    if (this.#distribution !== undefined) return;
    this.#distribution = setTimeout(() => {
      this.#distribution = undefined;
      this.distribute().catch((err) =>
        this.#options.log(`${this.#config.nodeName}: cannot send the trusted set: ${err}`)
      );
    }, 250);
    Deno.unrefTimer(this.#distribution);
  }

  async #verify(m: Message, raw: Record<string, unknown>): Promise<string | undefined> {
    const what = `message ${m.id} (${m.method}) from ${m.fromNode}`;
    if (typeof raw.signature !== "string") return `${what} is not signed`;
    let key = await this.#trustedKey(m.fromNode);
    if (!key && m.method === "REQTrustedKeys" && m.fromNode === this.#config.centralNodeName) {
      // Trust on first use: no -centralPublicKey and nothing pinned yet. The set names central's
      // key and must be signed by it; from now on that key is pinned.
      key = parseTrustedSet(m.data)?.central;
    }
    if (!key) {
      return `${what} refused: no trusted key for node ${m.fromNode} ` +
        `(not approved by central, or revoked)`;
    }
    if (!(await verifyMessage(raw, key))) {
      return `${what} refused: its signature does not match its content and the trusted key of ` +
        `${m.fromNode} (tampered, or signed by another key)`;
    }
    // On first use the key is pinned once the set is in force (acceptTrustedSet), not here.
    return this.#outsideWindow(raw, what);
  }

  /**
   * Whether the refusal of message `id` was already explained in the log (a hello from a node
   * whose key waits for approval) and need not be reported to the error log again.
   */
  refusedQuietly(id: string): boolean {
    return this.#quiet.delete(id);
  }

  /** Central: records the key a hello announces, once the hello proves it holds that key. */
  async #collectKey(m: Message, raw: Record<string, unknown>): Promise<void> {
    const key = raw.publicKey;
    if (typeof key !== "string" || !this.registry || m.fromNode === this.#config.nodeName) return;
    if (!(await verifyMessage(raw, key))) return;
    const outcome = await this.registry.announce(m.fromNode, key);
    // The node's old key must stop being trusted elsewhere too.
    if (outcome === "changed") await this.distribute();
    if (outcome !== "known") {
      this.#options.log(
        `${this.#config.nodeName}: ${outcome === "new" ? "new" : "CHANGED"} key of ` +
          `${m.fromNode} is pending approval: ${key} (approve with -approveKey=${m.fromNode})`,
      );
      return;
    }
    const record = await this.registry.get(m.fromNode);
    const set = await this.registry.trustedSet(this.keys.publicKey);
    if (record?.state === "approved" && raw.trustVersion !== set.version) {
      await this.#sendTrustedSet([m.fromNode], set);
    }
  }

  /** Central: approves `node`'s key and sends the new trusted set to every approved node. */
  async approve(node: string, publicKey?: string): Promise<string> {
    const registry = this.#requireRegistry("approve keys");
    const record = await registry.approve(node, publicKey);
    const sent = await this.distribute();
    return `approved the key of ${node} (${record.publicKey}); trusted set version ` +
      `${sent.version} sent to ${sent.to.join(", ") || "no node"}`;
  }

  /** Central: revokes `node`'s key and sends the new trusted set to every approved node. */
  async revoke(node: string): Promise<string> {
    const registry = this.#requireRegistry("revoke keys");
    await registry.revoke(node);
    const sent = await this.distribute();
    return `revoked the key of ${node}; trusted set version ${sent.version} sent to ` +
      `${sent.to.join(", ") || "no node"}`;
  }

  /** Central: sends the trusted set to every approved node. */
  async distribute(): Promise<{ version: number; to: string[] }> {
    const registry = this.#requireRegistry("distribute keys");
    const set = await registry.trustedSet(this.keys.publicKey);
    const to = Object.keys(set.keys).filter((n) => n !== this.#config.nodeName);
    await this.#sendTrustedSet(to, set);
    return { version: set.version, to };
  }

  /** A node: stores the trusted set central sent (already verified by {@linkcode admit}). */
  async acceptTrustedSet(data: string): Promise<string> {
    const set = parseTrustedSet(data);
    if (!set) throw new Error("REQTrustedKeys data is not a valid trusted set");
    const pinned = this.#config.centralPublicKey;
    if (pinned && set.central !== pinned) {
      throw new Error("the trusted set names a central key other than -centralPublicKey");
    }
    const firstUse = !pinned && !this.keyOf(this.#config.centralNodeName);
    const version = await this.trusted.replace(set);
    if (firstUse) {
      // Said once the key is in force: a message from central arriving before then is still
      // judged without it, and whoever waits for this line may rely on it.
      this.#options.log(
        `${this.#config.nodeName}: pinned central's key ${set.central} on first use ` +
          `(set -centralPublicKey to pin it explicitly)`,
      );
    }
    return `trusted set version ${version} in force on ${this.#config.nodeName}`;
  }

  async #sendTrustedSet(to: string[], set: TrustedSet): Promise<void> {
    if (to.length === 0) return;
    await this.#options.send({
      toNodes: to,
      method: "REQTrustedKeys",
      methodArgs: [],
      replyMethodArgs: [],
      directory: "",
      fileName: "",
      data: JSON.stringify(set),
    });
  }

  #requireRegistry(what: string): KeyRegistry {
    if (!this.registry) {
      throw new Error(`only the central node (${this.#config.centralNodeName}) can ${what}`);
    }
    return this.registry;
  }
}

function parseTrustedSet(data: string): TrustedSet | undefined {
  try {
    const parsed = trustedSetSchema.safeParse(JSON.parse(data));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
