import type { Msg, NatsConnection } from "npm:@nats-io/transport-node@3.4.0";
import {
  type Ack,
  describeIssues,
  type Message,
  messageSchema,
  normalizeSpellings,
} from "../message/schema.ts";
import { subjectFor } from "../message/subject.ts";
import { resolvePathArgs } from "../methods/method_args.ts";
import type { MethodDefinition } from "../methods/types.ts";
import { abortable } from "./abortable.ts";
import {
  CHUNK_HEADER,
  type ChunkAck,
  type ChunkInfo,
  parseChunkHeader,
  Reassembler,
} from "./chunking.ts";
import { checkChunkSeal, CHUNK_SEAL_HEADER, type ChunkSeal, parseChunkSeal } from "./chunk_seal.ts";

/** What a subscriber needs from its node. */
export interface SubscriberDeps {
  nodeName: string;
  connection(): Promise<NatsConnection>;
  /** True the first time `id` is seen, false for a resend (at most once execution). */
  claim(id: string, lookup?: Promise<number | undefined>): Promise<boolean>;
  /** Starts reading the dedup record of `id` early, for {@linkcode claim}. */
  lookup?(id: string): Promise<number | undefined>;
  /** Gives up a claim whose record could not be written. */
  release(id: string): void;
  /** Persists that `message` was taken on; resolves once durable. */
  takeOn(message: Message): Promise<void>;
  /**
   * Notes a store (delivery `store`) in the journal instead of {@linkcode takeOn}: synchronous,
   * no commit to wait for. False when it could not, and `takeOn` must record it.
   */
  noteStore?(message: Message): boolean;
  /** Runs an accepted message; resolves when the run has ended and is recorded. */
  execute(message: Message, definition: MethodDefinition): Promise<void>;
  /** Reports a message that could not be taken on. */
  refused(reason: string, message?: Message): void;
  /** Counts a message once it is admitted (its sender verified): never before. */
  received(message: Message): void;
  duplicate(message: Message): void;
  /** Largest message taken, in bytes (a chunked one is refused beyond it). */
  maxMessageSize: number;
  /** The agent's working folder, against which relative file arguments are resolved. */
  workingFolder: string;
  /**
   * Checks signature, replay window and ACL of `message` (`raw` is its JSON as received);
   * returns why it is refused. Runs before the message is recorded, ACKed or run.
   */
  admit?(
    message: Message,
    raw: Record<string, unknown>,
    resolved: () => Promise<Message>,
  ): Promise<string | undefined>;
  /** The bytes of an ACK (signed, so that the sender can tell it came from this node). */
  sealAck?(ack: Ack | ChunkAck): Promise<Uint8Array>;
  /**
   * Checks the signature and replay window of a chunk's seal (absent: the chunk came unsealed);
   * returns why it is refused. Runs before the chunk is claimed, reserved or buffered. Without
   * it (tests of delivery alone) chunks are taken unsealed.
   */
  verifyChunk?(seal: ChunkSeal | undefined): Promise<string | undefined>;
}

const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/**
 * The subscriber process for `<self>.<method>.<event>`: decodes and checks each message, refuses
 * bad ones with a reason, ACKs new ones once they are recorded, ACKs duplicates without running
 * them again, and hands the rest to the executor without waiting for it, so a slow method never
 * holds up the next message.
 *
 * @example
 * ```ts ignore
 * import { Subscriber } from "./subscriber.ts";
 * const sub = new Subscriber(cliCommand, deps, ["central"]);
 * supervisor.start("subscriber", sub.subject, (signal) => sub.run(signal));
 * ```
 */
export class Subscriber {
  readonly subject: string;
  readonly definition: MethodDefinition;
  readonly allowedNodes: readonly string[] | undefined;
  /** Resolves once the broker has registered the subscription. */
  readonly listening: Promise<void>;
  #deps: SubscriberDeps;
  #listening = Promise.withResolvers<void>();
  #lastArrived: Promise<void> = Promise.resolve();
  #chunks: Reassembler;

  constructor(definition: MethodDefinition, deps: SubscriberDeps, allowedNodes?: string[]) {
    this.definition = definition;
    this.#deps = deps;
    this.allowedNodes = allowedNodes?.includes("*") ? undefined : allowedNodes;
    this.subject = subjectFor(deps.nodeName, definition.name, definition.event);
    this.listening = this.#listening.promise;
    // Room for two messages of the largest size being assembled at once per subscriber.
    this.#chunks = new Reassembler({
      maxMessageBytes: deps.maxMessageSize,
      maxBufferedBytes: deps.maxMessageSize * 2,
    });
  }

  /** Receives messages until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const nc = await abortable(this.#deps.connection(), signal);
    const sub = nc.subscribe(this.subject, {
      callback: (err, msg) => {
        if (err) return;
        // The checks before the ACK (KV, signatures) run concurrently and may end out of
        // order; each message is taken on only after the one that arrived before it.
        const turn = this.#lastArrived;
        const done = Promise.withResolvers<void>();
        this.#lastArrived = done.promise;
        const chunk = msg.headers?.get(CHUNK_HEADER);
        const taken = () => done.resolve();
        (chunk
          ? this.#handleChunk(msg, chunk, turn, taken)
          : this.#handle(msg, msg.data, turn, taken))
          .catch((e) => this.#deps.refused(`subscriber error: ${e}`))
          .finally(() => done.resolve());
      },
    });
    // Incomplete chunked messages whose sender gave up are dropped after a while.
    const sweeper = setInterval(() => this.#chunks.sweep(), 10_000);
    signal.addEventListener("abort", () => clearInterval(sweeper), { once: true });
    await nc.flush();
    this.#listening.resolve();
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener("abort", () => resolve(), { once: true });
    });
    sub.unsubscribe();
  }

  /** Keeps one chunk; the chunk that completes a message has it handled as a whole. */
  async #handleChunk(
    msg: Msg,
    header: string,
    turn: Promise<void>,
    taken: () => void,
  ): Promise<void> {
    const info = parseChunkHeader(header);
    if (typeof info === "string") {
      this.#answer(msg, { id: "", ok: false, error: info });
      this.#deps.refused(info);
      return;
    }
    // Every answer names the chunk it is about: the sender believes it for that chunk only.
    const chunk = info.index;
    const sender = await this.#admitChunk(msg, info);
    if (typeof sender !== "string") {
      this.#answer(msg, { id: info.id, ok: false, error: sender.refused, chunk });
      this.#deps.refused(sender.refused);
      return;
    }
    // Held per sender: a verified node cannot add chunks to another node's message.
    const key = sender === "" ? info.id : `${sender}/${info.id}`;
    if (!this.#chunks.has(key)) {
      // A chunk that starts a set, or one arriving with none held: is the message already
      // taken on (a resend after a lost ACK)? The probe's claim is given back at once; the
      // whole message claims its id for real once it is complete.
      if (!await this.#deps.claim(info.id)) {
        this.#answer(msg, { id: info.id, ok: true, duplicate: true, chunk });
        return;
      }
      this.#deps.release(info.id);
    }
    const outcome = this.#chunks.add({ ...info, id: key }, msg.data);
    switch (outcome.status) {
      case "stored":
        this.#answer(msg, { id: info.id, ok: true, chunk });
        return;
      case "complete":
        return await this.#handle(msg, outcome.payload, turn, taken, { chunk, sender });
      case "gap":
        this.#answer(msg, {
          id: info.id,
          ok: false,
          error: outcome.error,
          resendFrom: outcome.from,
          chunk,
        });
        return;
      case "busy":
        this.#answer(msg, {
          id: info.id,
          ok: false,
          error: outcome.error,
          resendFrom: outcome.from,
          busy: true,
          chunk,
        });
        return;
      case "refused":
        this.#answer(msg, { id: info.id, ok: false, error: outcome.error, chunk });
        this.#deps.refused(`on ${this.subject}: ${outcome.error}`);
        return;
    }
  }

  /**
   * Verifies a chunk before anything is claimed, reserved or buffered for it: its seal must
   * match the chunk and be signed by its sender's trusted key. Returns the sender ("" for an
   * unsealed chunk a lab fleet lets through), or why the chunk is refused.
   */
  async #admitChunk(msg: Msg, info: ChunkInfo): Promise<string | { refused: string }> {
    const verify = this.#deps.verifyChunk;
    if (!verify) return "";
    const value = msg.headers?.get(CHUNK_SEAL_HEADER);
    const seal = value ? parseChunkSeal(value) : undefined;
    if (typeof seal === "string") return { refused: `on ${this.subject}: ${seal}` };
    if (seal) {
      const { fromNode } = seal.fields;
      if (this.allowedNodes && !this.allowedNodes.includes(fromNode)) {
        return { refused: `node ${fromNode} is not allowed to use ${this.subject}` };
      }
      // The signature first: hashing a chunk costs more than verifying a seal.
      const problem = await verify(seal) ??
        await checkChunkSeal(seal.fields, {
          info,
          toNode: this.#deps.nodeName,
          subject: this.subject,
          data: msg.data,
        });
      return problem ? { refused: problem } : fromNode;
    }
    const problem = await verify(undefined);
    return problem ? { refused: `on ${this.subject}: ${problem}` } : "";
  }

  /**
   * Checks, claims and takes on one message. `taken` lets the next arrival be taken on: it is
   * called once this message's run has started, so a slow store does not hold up the next.
   */
  async #handle(
    msg: Msg,
    data: Uint8Array,
    turn: Promise<void>,
    taken: () => void,
    chunked: { chunk: number; sender: string } | undefined = undefined,
  ): Promise<void> {
    // A chunked message is answered as its last chunk, which the ACK names.
    const chunk = chunked ? { chunk: chunked.chunk } : {};
    const parsed = this.#parse(data);
    if (typeof parsed === "string") {
      this.#answer(msg, { id: "", ok: false, error: parsed, ...chunk });
      this.#deps.refused(parsed);
      return;
    }
    const { raw } = parsed;
    let m = parsed.message;
    // The KV read of the dedup record runs while the signature is checked.
    const lookup = this.#deps.lookup?.(m.id);
    lookup?.catch(() => {}); // A refused message never awaits it.
    // File arguments are made absolute and real once the sender is verified, before the ACL:
    // the ACL judges the file that will be opened.
    const resolved = async () => {
      m = await this.#withPathsResolved(m);
      return m;
    };
    const admit = this.#deps.admit;
    let problem = this.#check(m, chunked?.sender);
    if (problem === undefined) {
      if (admit) problem = await admit(m, raw, resolved);
      else await resolved();
    }
    if (problem) {
      this.#answer(msg, { id: m.id, ok: false, error: problem, ...chunk });
      this.#deps.refused(problem, m);
      return;
    }
    // Counted once its sender is verified: an unverified name never becomes a metric label.
    this.#deps.received(m);
    if (!await this.#deps.claim(m.id, lookup)) {
      this.#deps.duplicate(m);
      this.#answer(msg, { id: m.id, ok: true, duplicate: true, ...chunk });
      return;
    }
    if (this.definition.delivery === "instant") {
      // Run now; its reply and its "done" record are committed together, then it is ACKed.
      await turn;
      const ran = this.#deps.execute(m, this.definition);
      taken();
      await ran;
      this.#answer(msg, { id: m.id, ok: true, ...chunk });
      return;
    }
    // Recorded before the ACK: a resend after a lost ACK, or after our restart, is a duplicate.
    // For a store the record is also its write-ahead entry: a restart between
    // record and store finishes the store instead of losing or repeating it. A store small
    // enough is noted in the journal instead, which needs no wait for a commit.
    const noted = this.definition.delivery === "store" && this.#deps.noteStore?.(m) === true;
    if (!noted) {
      try {
        await this.#deps.takeOn(m);
      } catch (err) {
        // Not ACKed: the sender resends, and the resend may be taken on once KV works again.
        this.#deps.release(m.id);
        this.#deps.refused(`cannot record message ${m.id}: ${(err as Error).message}`, m);
        return;
      }
    }
    await turn;
    if (this.definition.delivery === "store") {
      const ran = this.#deps.execute(m, this.definition);
      taken();
      await ran;
      this.#answer(msg, { id: m.id, ok: true, ...chunk });
      return;
    }
    this.#answer(msg, { id: m.id, ok: true, ...chunk });
    this.#deps.execute(m, this.definition).catch(() => {});
  }

  #parse(data: Uint8Array): { message: Message; raw: Record<string, unknown> } | string {
    let text: string;
    try {
      text = decoder.decode(data);
    } catch {
      return `message on ${this.subject} is not valid UTF-8`;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      return `message on ${this.subject} is not valid JSON: ${(err as Error).message}`;
    }
    const result = messageSchema.safeParse(normalizeSpellings(raw));
    if (!result.success) {
      return `message on ${this.subject} is invalid: ${describeIssues(result.error.issues)}`;
    }
    return { message: result.data, raw: raw as Record<string, unknown> };
  }

  async #withPathsResolved(m: Message): Promise<Message> {
    const spec = this.definition.methodArgs;
    if (!spec?.paths?.length) return m;
    const methodArgs = await resolvePathArgs(spec, m.methodArgs, this.#deps.workingFolder);
    return { ...m, methodArgs };
  }

  #check(m: Message, sender = ""): string | undefined {
    if (sender !== "" && m.fromNode !== sender) {
      return `message ${m.id} claims to be from ${m.fromNode}, its chunks were sealed by ${sender}`;
    }
    if (m.toNode !== this.#deps.nodeName) {
      return `message ${m.id} is for ${m.toNode}, received by ${this.#deps.nodeName}`;
    }
    if (m.method !== this.definition.name) {
      return `message ${m.id} has method ${m.method}, received on ${this.subject}`;
    }
    if (this.allowedNodes && !this.allowedNodes.includes(m.fromNode)) {
      return `node ${m.fromNode} is not allowed to use ${m.method} on ${this.#deps.nodeName}`;
    }
    return undefined;
  }

  #answer(msg: Msg, ack: Ack | ChunkAck): void {
    if (!msg.reply) return;
    const seal = this.#deps.sealAck;
    if (!seal) {
      msg.respond(encoder.encode(JSON.stringify(ack)));
      return;
    }
    seal(ack).then(
      (bytes) => msg.respond(bytes),
      (err) => this.#deps.refused(`cannot sign the ACK of ${ack.id}: ${err}`),
    );
  }
}
