/**
 * The security of one node: it signs what the node sends, and admits what it receives only when
 * the signature, the replay window and the ACL allow it.
 *
 * @module
 */
import { join } from "node:path";
import type { NatsConnection } from "npm:@nats-io/transport-node@3.4.0";
import type { Config } from "../config.ts";
import type { InputMessage, Message } from "../message/schema.ts";
import { substituteData } from "../methods/substitute_data.ts";
import { checkAcl } from "./acl.ts";
import { methodSpec, methodsWhere } from "../methods/table.ts";
import { APPROVED_KEYS_FOLDER, ApprovedKeysFolder } from "./approved_keys.ts";
import { AclStore } from "./acl_store.ts";
import { type KeyRecord, KeyRegistry, type TrustedSet } from "./key_registry.ts";
import { loadOrCreateNodeKeys, type NodeKeys } from "./node_keys.ts";
import { keyFingerprint } from "./fingerprint.ts";
import {
  createNextKeys,
  loadNextKeys,
  promoteNextKeys,
  rotationProof,
  verifyRotationProof,
} from "./key_rotation.ts";
import { isPublicKey } from "./approved_keys.ts";
import { SecretPaths } from "./secret_paths.ts";
import { signedJson, verifyMessage } from "./signature.ts";
import type { ChunkSeal, ChunkSealFields } from "../node/chunk_seal.ts";
import { TrustedKeys, trustedSetSchema } from "./trusted_keys.ts";
import { DistributionPacer } from "./distribution_pacer.ts";
import { FleetSends } from "./fleet_sends.ts";
import { publishTrustBroadcast, readTrustBroadcast } from "./trust_broadcast.ts";

/** Methods only central may call, whatever the ACL says: they change who is trusted. */
export const CENTRAL_ONLY_METHODS: ReadonlySet<string> = new Set(
  methodsWhere((m) => m.onlyFrom === "central"),
);

/** Methods a node accepts only from itself (its operator, through its socket). */
export const SELF_ONLY_METHODS: ReadonlySet<string> = new Set(
  methodsWhere((m) => m.onlyFrom === "self"),
);

/** What {@linkcode Security.open} needs besides the database. */
export interface SecurityOptions {
  /** Folder of the signing key and `acl.json` (the agent's CONFIG_FOLDER). */
  configFolder: string;
  /** Queues a message from this node (used by central to distribute the trusted set). */
  send(input: InputMessage): Promise<void>;
  /** The broker connection if it is up now (central broadcasts the trusted set on it). */
  connected?(): NatsConnection | undefined;
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
  #keys: NodeKeys;
  /** The next key pair of a key rotation under way on this node, and its proof. */
  #next: { keys: NodeKeys; proof: string } | undefined;
  /** Per node: until when refusals of its hellos are not logged again (one line per minute). */
  #hushed = new Map<string, number>();
  #toldNoCentralKey = false;
  readonly acl: AclStore;
  readonly trusted: TrustedKeys;
  /** Central's registry of node keys; only on the central node. */
  readonly registry: KeyRegistry | undefined;
  /** Central's pre-seeded approvals (`<CONFIG_FOLDER>/approved_keys/<node>.pub`). */
  readonly #preApproved: ApprovedKeysFolder | undefined;
  /** Sends the trusted set after approvals, paced (see distribution_pacer.ts), broadcast. */
  #pacer = new DistributionPacer(
    async () => (await this.distribute({ broadcast: true })).to.length,
    (err) => this.#options.log(`${this.#config.nodeName}: cannot send the trusted set: ${err}`),
  );
  /**
   * Central: the sets sent to every node. A node whose hello says it missed one is sent the set
   * alone; any other node that is behind (approved since) waits for the next broadcast.
   */
  #fleetSends = new FleetSends();
  #approving = new Map<string, Promise<string | undefined>>();
  #quiet = new Set<string>();
  #config: Readonly<Config>;
  #options: SecurityOptions;
  /** The agent's secret files and folders, never tailed nor named by a command (default ACL). */
  #secrets: SecretPaths;

  private constructor(
    config: Readonly<Config>,
    options: SecurityOptions,
    parts: {
      keys: NodeKeys;
      acl: AclStore;
      trusted: TrustedKeys;
      registry?: KeyRegistry;
      next?: { keys: NodeKeys; proof: string };
    },
  ) {
    this.#config = config;
    this.#options = options;
    this.#secrets = SecretPaths.of({ config, configFolder: options.configFolder });
    this.#keys = parts.keys;
    this.#next = parts.next;
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
    const keys = await loadOrCreateNodeKeys(options.configFolder);
    const next = isCentral ? undefined : await loadNextKeys(options.configFolder);
    const security = new Security(config, options, {
      keys,
      acl: await AclStore.open(kv, options.configFolder, config.centralNodeName),
      trusted: await TrustedKeys.open(kv, config.databaseFolder),
      registry: isCentral
        ? new KeyRegistry(kv, {
          maxPending: config.maxPendingKeys,
          pendingMs: config.pendingKeySeconds * 1000,
        })
        : undefined,
      next: next && {
        keys: next,
        proof: await rotationProof(config.nodeName, keys.publicKey, next),
      },
    });
    // A crash between taking central's set and switching keys: switch now.
    await security.#finishRotation();
    return security;
  }

  /** The node's signing keys (they change once a key rotation completes). */
  get keys(): NodeKeys {
    return this.#keys;
  }

  get #isCentral(): boolean {
    return this.registry !== undefined;
  }

  /** Fields a hello carries so central learns this node's key and can tell it is out of date. */
  helloFields(): {
    publicKey: string;
    trustVersion: number;
    newPublicKey?: string;
    newKeyProof?: string;
  } {
    const fields = {
      publicKey: this.keys.publicKey,
      trustVersion: this.trusted.current?.version ?? -1,
    };
    // During a rotation every hello, signed by the approved key, asks central for the next one.
    if (!this.#next) return fields;
    return { ...fields, newPublicKey: this.#next.keys.publicKey, newKeyProof: this.#next.proof };
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
    if (!(await this.#verifiedBy(from, raw, key))) {
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
    if (!(await this.#verifiedBy(from, seal.raw, key))) {
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
   * but not held to the ACL. `resolved` gives, once the sender is verified, the message the
   * checks after that judge (its file arguments made absolute and real: no file-system lookup is
   * made for an unverified sender).
   */
  async admit(
    given: Message,
    raw: Record<string, unknown>,
    options: {
      authoredHere?: () => Promise<boolean>;
      resolved?: () => Promise<Message>;
    } = {},
  ): Promise<string | undefined> {
    let message = given;
    if (
      message.method === "REQHello" && this.#isCentral && message.fromNode !== this.#config.nodeName
    ) {
      const refused = await this.#admitHello(message, raw);
      if (refused) return refused;
    }
    if (await this.#mustVerify(message)) {
      const problem = await this.#verify(message, raw);
      if (problem) return problem;
    }
    if (options.resolved) message = await options.resolved();
    if (SELF_ONLY_METHODS.has(message.method)) {
      if (message.fromNode === this.#config.nodeName) return undefined;
      return `${message.method} is accepted only from ${this.#config.nodeName} itself, not from ` +
        message.fromNode;
    }
    if (CENTRAL_ONLY_METHODS.has(message.method)) {
      if (message.fromNode !== this.#config.centralNodeName) {
        return `${message.method} is accepted only from the central node ` +
          `${this.#config.centralNodeName}, not from ${message.fromNode}`;
      }
      return undefined;
    }
    const secret = this.#namesSecret(message);
    if (secret) return secret;
    if (options.authoredHere && await options.authoredHere()) return undefined;
    const access = methodSpec(message.method)?.access;
    return checkAcl(this.acl.current, this.#config.nodeName, {
      fromNode: message.fromNode,
      method: message.method,
      argv: access?.kind === "command"
        ? substituteData(message.methodArgs, message.data)
        : undefined,
      target: access && access.kind !== "command" ? message.methodArgs[access.arg] : undefined,
    });
  }

  /**
   * Why `message` is refused for naming the agent's secrets (keys, seeds, config and database
   * folders): always as a file read or written; as a command's argument under the default ACL,
   * where the ACL itself allows any command. Best effort for commands: SECURITY.md says what it
   * stops.
   */
  #namesSecret(message: Message): string | undefined {
    const self = this.#config.nodeName;
    const access = methodSpec(message.method)?.access;
    if (access?.kind === "read" || access?.kind === "write") {
      const path = message.methodArgs[access.arg] ?? "";
      const secret = this.#secrets.named(path);
      if (!secret) return undefined;
      return `refused on ${self}: ${message.method} of ${JSON.stringify(path)} names the ` +
        `agent's secret ${secret}; the agent's keys, seeds, config and database are never ` +
        `${access.kind === "read" ? "read" : "written"} by a method`;
    }
    if (access?.kind !== "command" || this.acl.current.version !== 0) return undefined;
    const found = this.#secrets.inCommand(substituteData(message.methodArgs, message.data));
    if (!found) return undefined;
    return `refused on ${self}: ${message.method} argument ${JSON.stringify(found.word)} ` +
      `names the agent's secret ${found.secret}; under the default ACL a command may not ` +
      "name the agent's keys, seeds, config or database";
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
    if (record && await this.registry.isRetired(node, key)) return undefined;
    await this.registry.approve(node, key);
    this.#options.log(
      `${this.#config.nodeName}: approved the key of ${node} pre-seeded in ` +
        `${this.#preApproved!.path}/${node}.pub (${key})`,
    );
    this.#pacer.request();
    return key;
  }

  async #verify(m: Message, raw: Record<string, unknown>): Promise<string | undefined> {
    const what = `message ${m.id} (${m.method}) from ${m.fromNode}`;
    if (typeof raw.signature !== "string") return `${what} is not signed`;
    let key = await this.#trustedKey(m.fromNode);
    const fromCentral = m.fromNode === this.#config.centralNodeName;
    if (!key && fromCentral && !this.#isCentral) {
      if (!this.#config.trustCentralOnFirstUse) {
        this.#tellNoCentralKey();
        return `${what} refused: this node does not know central's key (no -centralPublicKey, ` +
          `and trust on first use is off)`;
      }
      // Trust on first use, opted in: the set names central's key and must be signed by it;
      // that key is pinned once the set is in force (acceptTrustedSet).
      if (m.method === "REQTrustedKeys") key = parseTrustedSet(m.data)?.central;
    }
    if (!key) {
      return `${what} refused: no trusted key for node ${m.fromNode} ` +
        `(not approved by central, or revoked)`;
    }
    if (!(await this.#verifiedBy(m.fromNode, raw, key))) {
      return `${what} refused: its signature does not match its content and the trusted key of ` +
        `${m.fromNode} (tampered, or signed by another key)`;
    }
    // On first use the key is pinned once the set is in force (acceptTrustedSet), not here.
    return this.#outsideWindow(raw, what);
  }

  /** Says once, on this node's log, why central's messages are refused and how to fix it. */
  #tellNoCentralKey(): void {
    if (this.#toldNoCentralKey) return;
    this.#toldNoCentralKey = true;
    this.#options.log(
      `${this.#config.nodeName}: refusing every message from central ` +
        `(${this.#config.centralNodeName}): this node does not know central's key. Start it with ` +
        `-centralPublicKey=<the content of central's steward_ed25519.pub> (or, where nobody ` +
        `else can publish to this node's subjects, -trustCentralOnFirstUse=true); see SECURITY.md`,
    );
  }

  /**
   * Whether the refusal of message `id` was already explained in the log (a hello from a node
   * whose key waits for approval) and need not be reported to the error log again.
   */
  refusedQuietly(id: string): boolean {
    return this.#quiet.delete(id);
  }

  /**
   * Central: what a hello from another node changes, and whether it is refused here. A node
   * with an approved key is heard only through that key: a hello not signed by it changes
   * nothing (refused, one log line per node per minute); signed by it, it may rotate the key.
   * Only a node with no approved key (new, or revoked) may have keys pending, each proven by a
   * hello signed by that key. Returns a refusal, or undefined to go on with the usual checks.
   */
  async #admitHello(m: Message, raw: Record<string, unknown>): Promise<string | undefined> {
    const registry = this.registry!;
    const node = m.fromNode;
    // A pre-seeded approval first: the node then has an approved key.
    const approved = await this.#trustedKey(node);
    if (approved) {
      if (!(await verifyMessage(raw, approved))) {
        if (await this.#resendAfterRotation(m, raw)) {
          return this.#quietly(m, "signed by an old key");
        }
        this.#hushedLog(
          node,
          `hello claiming to be from ${node} refused: not signed by its approved key ` +
            `${await keyFingerprint(approved)}; nothing changed (an approved key is replaced ` +
            `only by a rotation signed by it, or by -revokeKey)`,
        );
        return this.#quietly(m, `not signed by the approved key of ${node}`);
      }
      if (this.#outsideWindow(raw, "hello")) return undefined; // Refused by the usual checks.
      const next = raw.newPublicKey;
      if (typeof next === "string" && next !== approved) {
        await this.#rotate(m, raw, approved, next);
        return undefined;
      }
      // Every node says hello every few seconds: the whole set (every key) is read only for
      // one that missed a send, not on each hello (that made a hello cost O(fleet) at central).
      const held = typeof raw.trustVersion === "number" ? raw.trustVersion : -1;
      const version = await registry.version();
      const missed = this.#fleetSends.missed(node, held);
      if (missed || held > version) {
        await this.#sendTrustedSet([node], await registry.trustedSet(this.keys.publicKey));
      } else if (held < version) {
        this.#pacer.request({ approval: false }); // The next broadcast brings it.
      }
      return undefined;
    }
    const key = raw.publicKey;
    if (typeof key !== "string" || !isPublicKey(key)) return undefined;
    if (!(await verifyMessage(raw, key)) || this.#outsideWindow(raw, "hello")) return undefined;
    const record = await registry.get(node);
    if (await registry.isRetired(node, key)) return undefined;
    if ((await registry.addPending(node, key)) === "new") {
      const fingerprint = await keyFingerprint(key);
      this.#hushedLog(
        "(new keys)",
        `new key of ${node}${record ? " (its old key is revoked)" : ""} is pending approval: ` +
          `${fingerprint} (${key}); compare it with the fingerprint of ${node}'s ` +
          `steward_ed25519.pub (steward -keyFingerprint on ${node}) and approve with ` +
          `-approveKey=${node}:${fingerprint}`,
        // New names are logged one by one, up to 20 a minute: a flood of made-up names is cut.
        20,
      );
    }
    if (!this.#config.requireSignatures) return undefined;
    // Said once in the log when the key arrived; every later hello is refused quietly.
    return this.#quietly(m, `its key is pending approval`);
  }

  /** Central: a rotation asked by a hello `m` signed by `node`'s approved key `oldKey`. */
  async #rotate(m: Message, raw: Record<string, unknown>, oldKey: string, newKey: string) {
    const node = m.fromNode;
    const proof = raw.newKeyProof;
    if (
      !isPublicKey(newKey) || typeof proof !== "string" ||
      !(await verifyRotationProof(node, oldKey, newKey, proof))
    ) {
      this.#hushedLog(node, `key rotation of ${node} refused: no valid proof of the new key`);
      return;
    }
    // What the node signed with its old key just before it switches is still believed a while.
    const graceMs = this.#config.replayWindow * 1000;
    await this.registry!.rotate(node, oldKey, newKey, graceMs);
    this.#options.log(
      `${this.#config.nodeName}: rotated the key of ${node} from ${await keyFingerprint(oldKey)} ` +
        `to ${await keyFingerprint(newKey)} (asked in a hello signed by its approved key)`,
    );
    await this.distribute();
  }

  /**
   * Central: a node that rotated but missed the set naming its new key still signs its hellos
   * with its old key (announcing the new one): it is sent the set again, and nothing changes.
   */
  async #resendAfterRotation(m: Message, raw: Record<string, unknown>): Promise<boolean> {
    const record = await this.registry!.get(m.fromNode);
    if (!record?.previousKey || raw.newPublicKey !== record.publicKey) return false;
    if (!(await verifyMessage(raw, record.previousKey)) || this.#outsideWindow(raw, "hello")) {
      return false;
    }
    if (this.#hushedLog(`${m.fromNode} (resend)`, undefined, 6)) {
      await this.#sendTrustedSet(
        [m.fromNode],
        await this.registry!.trustedSet(this.keys.publicKey),
      );
    }
    return true;
  }

  /** A refusal explained in the log (or on purpose not), not reported again per message. */
  #quietly(m: Message, why: string): string {
    this.#quiet.add(m.id);
    return `hello from ${m.fromNode} refused: ${why}`;
  }

  /**
   * Logs `line` unless `topic` was logged `perMinute` times in the last minute; returns whether
   * the topic may be logged now. Bounded: forged hellos cannot flood the log nor this map.
   */
  #hushedLog(topic: string, line?: string, perMinute = 1): boolean {
    const now = Date.now();
    const until = this.#hushed.get(topic);
    const key = `${topic}#count`;
    let count = until !== undefined && now < until ? (this.#hushed.get(key) ?? 0) : 0;
    if (count >= perMinute) return false;
    if (count === 0) {
      if (this.#hushed.size >= 10_000) this.#hushed.clear();
      this.#hushed.set(topic, now + 60_000);
    }
    this.#hushed.set(key, ++count);
    if (line) this.#options.log(`${this.#config.nodeName}: ${line}`);
    return true;
  }

  /**
   * Central: whether `raw` is signed by `key`, or, for a short while after `node` rotated its
   * key, by the key it replaced (what the node signed before it learnt of the new set).
   */
  async #verifiedBy(node: string, raw: Record<string, unknown>, key: string): Promise<boolean> {
    if (await verifyMessage(raw, key)) return true;
    if (!this.registry) return false;
    const record = await this.registry.get(node);
    if (!record?.previousKey || (record.previousUntil ?? 0) < Date.now()) return false;
    return await verifyMessage(raw, record.previousKey);
  }

  /** Central: approves `node`'s key and sends the new trusted set to every approved node. */
  async approve(node: string, named?: string): Promise<string> {
    const registry = this.#requireRegistry("approve keys");
    const record = await registry.approve(node, named);
    const sent = await this.distribute();
    return `approved the key of ${node} ${await keyFingerprint(record.publicKey)} ` +
      `(${record.publicKey}); trusted set version ${sent.version} sent to ` +
      `${sent.to.join(", ") || "no node"}`;
  }

  /**
   * A node (not central): starts a key rotation. The next key pair is written beside the key;
   * from now on every hello, signed by the approved key, asks central to replace it; the node
   * signs with the next key once central's trusted set names it.
   */
  async startRotation(): Promise<string> {
    const node = this.#config.nodeName;
    if (this.#isCentral) {
      throw new Error(
        "central's own key cannot be rotated this way: every node pins it (-centralPublicKey)",
      );
    }
    if (this.#config.startPubREQHello <= 0) {
      throw new Error("a rotation is asked for in the node's hellos: set -startPubREQHello");
    }
    if (!this.#next) {
      const keys = await createNextKeys(this.#options.configFolder);
      this.#next = { keys, proof: await rotationProof(node, this.keys.publicKey, keys) };
    }
    // Asked now rather than at the next tick; the periodic hellos ask again until it is done.
    await this.#options.send({
      toNode: this.#config.centralNodeName,
      method: "REQHello",
      methodArgs: [],
      replyMethodArgs: [],
      directory: "",
      fileName: "",
      data: `hello from ${node}`,
      ...this.helloFields(),
    });
    return `key rotation of ${node} under way: new key ` +
      `${await keyFingerprint(this.#next.keys.publicKey)} announced in every hello, signed by ` +
      `the current key ${await keyFingerprint(this.keys.publicKey)}; ${node} signs with the new ` +
      `key once central's trusted set names it`;
  }

  /** Central: revokes `node`'s key and sends the new trusted set to every approved node. */
  async revoke(node: string): Promise<string> {
    const registry = this.#requireRegistry("revoke keys");
    await registry.revoke(node);
    const sent = await this.distribute();
    return `revoked the key of ${node}; trusted set version ${sent.version} sent to ` +
      `${sent.to.join(", ") || "no node"}`;
  }

  /**
   * Central: sends the trusted set to every approved node: one message each, ACKed and retried
   * (an operator's approval, revocation or rotation), or with `broadcast`, one signed message
   * the broker fans out (approvals of pre-seeded keys, paced), falling back to one each when no
   * connection is up or the set is too big for one message.
   */
  async distribute(
    options: { broadcast?: boolean } = {},
  ): Promise<{ version: number; to: string[] }> {
    const registry = this.#requireRegistry("distribute keys");
    const set = await registry.trustedSet(this.keys.publicKey);
    const to = Object.keys(set.keys).filter((n) => n !== this.#config.nodeName);
    this.#pacer.sent(to.length);
    if (!options.broadcast || !(await this.#broadcast(set))) await this.#sendTrustedSet(to, set);
    this.#fleetSends.record(set.version, to);
    return { version: set.version, to };
  }

  /** Central: publishes `set` to every node at once; false when it could not. */
  #broadcast(set: TrustedSet): Promise<boolean> {
    const nc = this.#options.connected?.();
    if (!nc) return Promise.resolve(false);
    return publishTrustBroadcast(
      nc,
      set,
      this.#config.nodeName,
      this.keys,
      this.#config.maxMessageSize,
    );
  }

  /**
   * A node: checks a broadcast of the trusted set (see trust_broadcast.ts) and puts the set in
   * force when it is newer; returns why it was refused.
   */
  async acceptBroadcast(bytes: Uint8Array): Promise<string | undefined> {
    const central = this.#config.centralNodeName;
    const read = await readTrustBroadcast(bytes, {
      central,
      centralKey: this.keyOf(central),
      maxBytes: this.#config.maxMessageSize,
      outsideWindow: (raw) => this.#outsideWindow(raw, "it"),
    });
    if ("refused" in read) return read.refused;
    const before = this.trusted.current?.version ?? -1;
    await this.acceptTrustedSet(read.data);
    const now = this.trusted.current;
    if (now && now.version > before) {
      this.#options.log(
        `${this.#config.nodeName}: trusted set version ${now.version} in force ` +
          `(${Object.keys(now.keys).length} keys, broadcast by ${central})`,
      );
    }
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
    if (firstUse && !this.#config.trustCentralOnFirstUse) {
      throw new Error("this node does not know central's key (set -centralPublicKey)");
    }
    const version = await this.trusted.replace(set);
    await this.#finishRotation();
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

  /** A node: signs with its next key once the trusted set in force names it. */
  async #finishRotation(): Promise<void> {
    const next = this.#next;
    const node = this.#config.nodeName;
    if (!next || this.trusted.current?.keys[node] !== next.keys.publicKey) return;
    this.#keys = await promoteNextKeys(this.#options.configFolder);
    this.#next = undefined;
    this.#options.log(
      `${node}: central took the new key ${await keyFingerprint(this.#keys.publicKey)}; ${node} ` +
        `now signs with its new key`,
    );
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
