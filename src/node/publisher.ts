import { headers, type MsgHdrs, type NatsConnection } from "npm:@nats-io/transport-node@3.4.0";
import type { Event, Message } from "../message/schema.ts";
import { abortable } from "./abortable.ts";
import {
  CHUNK_HEADER,
  chunkAckSchema,
  formatChunkHeader,
  HEADER_ROOM,
  splitPayload,
} from "./chunking.ts";
import { CHUNK_SEAL_HEADER, type ChunkSealFields, sha256Hex } from "./chunk_seal.ts";

/** What a publisher needs from its node. */
export interface PublisherDeps {
  connection(): Promise<NatsConnection>;
  /** Called once per message when it is finished, delivered or not. */
  finished(message: Message, outcome: PublishOutcome): void;
  /** Called on every (re)send, for the audit log and metrics. */
  sent(message: Message, attempt: number): void;
  /** Largest number of messages waiting for an ACK at once on this subject. */
  window: number;
  /**
   * Only the newest message of this subject matters (the trusted set): one queued drops those
   * still waiting to be sent the first time, which finish as superseded.
   */
  latestOnly?: boolean;
  /** Largest message sent, in bytes; bigger ones fail with a clear error. */
  maxMessageSize: number;
  /** The bytes to send for a message (signed); called again for each resend. Default JSON. */
  encode?(message: Message): Promise<Uint8Array>;
  /**
   * Checks the receiver's ACK of `message` (`raw`, as parsed from the wire) before it is
   * believed; returns why it is not. An ACK that fails counts as no ACK.
   */
  verifyAck?(message: Message, raw: Record<string, unknown>): Promise<string | undefined>;
  /**
   * The `Steward-Chunk-Seal` header value of a chunk (its fields signed now); called for each
   * send of a chunk. Without it chunks go unsealed.
   */
  sealChunk?(fields: ChunkSealFields): Promise<string>;
  /**
   * Called for each message the publisher gives up unfinished because it was stopped
   * (`REQOpProcessStop`), so that it is sent again now rather than after a restart.
   */
  abandoned?(message: Message): void;
  /**
   * How long the publisher waits with nothing queued or in flight before it ends (default 60
   * s): a central that once reached 50 000 nodes must not keep a publisher for each.
   */
  idleMs?: number;
}

/** How a message ended. */
export type PublishOutcome =
  /** `acked`: the receiver's ACK came back (false for a NACK subject: published is delivered). */
  | { delivered: true; acked: boolean; ackMs: number; duplicate?: boolean }
  | { delivered: false; reason: "max-retries" | "refused" | "too-large"; error: string }
  /** Dropped unsent: a newer message of a `latestOnly` method was queued (its id in `by`). */
  | { delivered: false; reason: "superseded"; by: string };

const encoder = new TextEncoder();

/** How long a publisher with nothing to do waits before it ends (see `PublisherDeps.idleMs`). */
const IDLE_MS = 60_000;

/** Least time between two early tries of a failed message (see Publisher's #probe). */
const PROBE_INTERVAL_MS = 1000;

/**
 * The publisher process for one subject `<toNode>.<method>.<event>`: sends messages in the order
 * they were queued, keeps up to `window` waiting for their ACKs at once, and resends each after
 * its `ACKTimeout` up to `retries` times. A message bigger than the broker's max payload goes
 * as chunks, each ACKed on its own (see chunking.ts).
 *
 * @example
 * ```ts ignore
 * import { Publisher } from "./publisher.ts";
 * const pub = new Publisher("ship1.REQPing.EventACK", "EventACK", deps);
 * supervisor.start("publisher", pub.subject, (signal) => pub.run(signal));
 * pub.enqueue(message);
 * ```
 */
export class Publisher {
  readonly subject: string;
  readonly event: Event;
  #deps: PublisherDeps;
  #queue: Message[] = [];
  #head = 0;
  #wake: (() => void) | undefined;
  #inWindow = 0;
  #signal: AbortSignal | undefined;
  #stopped = false;
  #nextSeq = 0;
  // Queue positions, oldest first, of messages that failed since the node last ACKed anything
  // (node down, ACK lost), and of messages waiting for their turn to be sent. While some have
  // failed, only the oldest unfinished message probes the node (on its own retry timer); the
  // first ACK releases the rest in queue order. So a node that comes back gets the messages in
  // the order they were queued, not in the order their retry timers fire.
  #failing: number[] = [];
  #waiting: number[] = [];
  // Messages waiting in #turn, by queue position. Only the oldest waiting message can become
  // sendable when the lists change (a younger one is behind it in #waiting), so only it is
  // woken: waking every waiter on every change cost O(window²) timers and listeners per window
  // (a burst of 3000 pings fell to 90 msg/s).
  #waiters = new Map<number, () => void>();
  // A younger message is held up behind the oldest failed one: that one may try now, before
  // its own retry time. Otherwise a message waiting out a long ACKTimeout after its node was
  // down made every later message to the node, up again, fail with "an older message … was
  // not ACKed yet" (issue 14, item 9). The probe keeps the order: the oldest goes first.
  #probe = false;
  // When the last probe was asked: at most one a second, so that many messages held up behind
  // a node that stays down do not turn into a storm of tries.
  #probedAt = -Infinity;

  constructor(subject: string, event: Event, deps: PublisherDeps) {
    this.subject = subject;
    this.event = event;
    this.#deps = deps;
  }

  /** Messages queued and not yet sent the first time. */
  get pending(): number {
    return this.#queue.length - this.#head;
  }

  /** Queues `message` behind those already queued. */
  enqueue(message: Message): void {
    if (this.#stopped) {
      this.#deps.abandoned?.(message);
      return;
    }
    if (this.#deps.latestOnly && this.pending > 0) {
      // A node back after hours gets the one set in force, not every version made meanwhile.
      const superseded = this.#queue.slice(this.#head);
      this.#queue.length = this.#head;
      for (const old of superseded) {
        this.#deps.finished(old, { delivered: false, reason: "superseded", by: message.id });
      }
    }
    this.#queue.push(message);
    this.#wake?.();
  }

  /** True once `run` has ended: messages given to it now are handed back as abandoned. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Sends queued messages until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    this.#signal = signal;
    signal.addEventListener("abort", () => this.#wake?.(), { once: true });
    try {
      await this.#send(signal);
    } finally {
      this.#stopped = true;
      const unsent = this.#queue.slice(this.#head);
      this.#queue = [];
      this.#head = 0;
      for (const m of unsent) this.#deps.abandoned?.(m);
    }
  }

  async #send(signal: AbortSignal): Promise<void> {
    const nc = await abortable(this.#deps.connection(), signal);
    while (!signal.aborted) {
      if (this.pending === 0 || this.#inWindow >= this.#deps.window) {
        const idle = this.pending === 0 && this.#inWindow === 0;
        const woken = await this.#sleep(idle ? this.#deps.idleMs ?? IDLE_MS : undefined);
        // Ended with nothing to do; a message queued from now on starts a new publisher.
        if (!woken && this.pending === 0 && this.#inWindow === 0) return;
        continue;
      }
      const message = this.#queue[this.#head++];
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      this.#inWindow++;
      const seq = this.#nextSeq++;
      // Waiting from the start: preparing a message (signing) is async and may end out of
      // order, and a younger message must not be sent before it.
      this.#mark(this.#waiting, seq, true);
      this.#deliver(nc, message, seq).finally(() => {
        this.#mark(this.#failing, seq, false);
        this.#mark(this.#waiting, seq, false);
        this.#inWindow--;
        this.#wake?.();
      });
    }
  }

  /** Waits to be woken (true), or for `ms` (false). */
  async #sleep(ms: number | undefined): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await new Promise<boolean>((resolve) => {
        this.#wake = () => resolve(true);
        if (ms === undefined) return;
        timer = setTimeout(() => resolve(false), ms);
      });
    } finally {
      clearTimeout(timer);
      this.#wake = undefined;
    }
  }

  /** Adds `seq` to (or removes it from) a sorted list; wakes the waiters when its head goes. */
  #mark(list: number[], seq: number, on: boolean): void {
    const at = list.findIndex((s) => s >= seq);
    const present = at !== -1 && list[at] === seq;
    if (on === present) return;
    if (on) list.splice(at === -1 ? list.length : at, 0, seq);
    else {
      list.splice(at, 1);
      if (at === 0) this.#wakeOldest();
    }
  }

  /** The node ACKed a message: whatever failed before may be sent again now, in order. */
  #confirmed(): void {
    this.#probe = false;
    if (this.#failing.length === 0) return;
    this.#failing = [];
    this.#wakeOldest();
  }

  /** Wakes the oldest waiting message, the only one a change of the lists can let through. */
  #wakeOldest(): void {
    const oldest = this.#waiting[0];
    if (oldest !== undefined) this.#waiters.get(oldest)?.();
  }

  /** Whether the message at `seq` may be sent now; `due` when its own retry time has come. */
  #maysend(seq: number, due: boolean): boolean {
    if (this.#waiting.length > 0 && this.#waiting[0] < seq) return false;
    if (this.#failing.length > 0 && this.#failing[0] < seq) return false;
    return this.#failing.length === 0 || due || (this.#probe && this.#failing[0] === seq);
  }

  /** A message held up behind a failed one asks that one to try again now (see #probe). */
  #askProbe(seq: number): void {
    const head = this.#failing[0];
    if (this.#probe || head === undefined || head >= seq) return;
    if (performance.now() - this.#probedAt < PROBE_INTERVAL_MS) return;
    this.#probedAt = performance.now();
    this.#probe = true;
    this.#waiters.get(head)?.();
  }

  /**
   * Waits for the message's turn: true when it may be sent (or the publisher stops), false
   * when `ms` passed first without its turn, which counts as a failed attempt. A message that
   * waited stays in the waiting list until its send is issued, so that younger messages
   * cannot slip ahead of it.
   */
  async #turn(seq: number, ms: number): Promise<boolean | "early"> {
    const until = performance.now() + ms;
    let asked = false;
    while (!this.#signal?.aborted) {
      const due = performance.now() >= until;
      if (this.#maysend(seq, due)) {
        if (due || this.#failing[0] !== seq) return true;
        this.#probe = false; // Taken: the next held-up message may ask again.
        return "early";
      }
      if (due) return false;
      this.#mark(this.#waiting, seq, true);
      if (!asked) {
        asked = true;
        this.#askProbe(seq);
      }
      await this.#changeOr(seq, until - performance.now());
    }
    return true;
  }

  /**
   * Resolves when message `seq` may have its turn (a change of the lists while it is the oldest
   * waiting), after `ms`, or on stop; leaves no timer behind.
   */
  #changeOr(seq: number, ms: number): Promise<void> {
    const signal = this.#signal;
    const waiters = this.#waiters;
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      signal?.addEventListener("abort", done, { once: true });
      waiters.set(seq, done);
      function done() {
        clearTimeout(t);
        signal?.removeEventListener("abort", done);
        if (waiters.get(seq) === done) waiters.delete(seq);
        resolve();
      }
    });
  }

  async #deliver(nc: NatsConnection, message: Message, seq: number): Promise<void> {
    const payload = this.#deps.encode
      ? await this.#deps.encode(message)
      : encoder.encode(JSON.stringify(message));
    if (payload.length > this.#deps.maxMessageSize) {
      this.#deps.finished(message, {
        delivered: false,
        reason: "too-large",
        error: `message of ${payload.length} bytes exceeds the maxMessageSize of ` +
          `${this.#deps.maxMessageSize} bytes`,
      });
      return;
    }
    let frames = framesOf(message.id, payload, nc.info?.max_payload ?? 1024 * 1024);
    if (this.event.endsWith("NACK")) {
      while (!await this.#turn(seq, 60_000));
      this.#deps.sent(message, 0);
      for (const f of frames) nc.publish(this.subject, f.data, { headers: f.headers });
      this.#deps.finished(message, { delivered: true, acked: false, ackMs: 0 });
      return;
    }
    const timeoutMs = Math.max(1, message.ACKTimeout) * 1000;
    const firstSent = performance.now();
    let lastError = "";
    // `retries` bounds the resends of each frame, and separately how often the receiver may
    // send us back to an earlier chunk (it restarted, or was short of memory).
    let frame = 0;
    let attempt = 0;
    let sends = 0;
    let restarts = 0;
    let turnWait = timeoutMs;
    while (attempt <= message.retries && restarts <= message.retries) {
      const dueAt = performance.now() + turnWait;
      const myTurn = await this.#turn(seq, turnWait);
      // A try before its retry time, asked by a younger message: it counts as an attempt only
      // if it outlasts that time, so probes never eat into the span `retries` promises.
      const early = myTurn === "early";
      turnWait = timeoutMs;
      if (this.#signal?.aborted) {
        // Still in KV: handed back to be sent again now (or at the next start).
        this.#deps.abandoned?.(message);
        return;
      }
      if (!myTurn) {
        attempt++;
        lastError ||= "an older message to this node was not ACKed yet";
        continue;
      }
      const started = performance.now();
      if (frame === 0 || attempt > 0) this.#deps.sent(message, sends++);
      // Signed anew on each resend, so that a message waiting out a node's downtime is still
      // inside the receiver's replay window. Chunks keep one signature: they must fit together.
      if (sends > 1 && frames.length === 1 && this.#deps.encode) {
        frames = [{ data: await this.#deps.encode(message) }];
      }
      const { data, headers } = frames[frame];
      // Sealed anew on each send, like a whole message: a resend stays in the replay window.
      if (headers && this.#deps.sealChunk) {
        headers.set(CHUNK_SEAL_HEADER, await this.#sealOf(message, frames, frame));
      }
      let wait = false;
      try {
        const request = nc.request(this.subject, data, { timeout: timeoutMs, headers });
        this.#mark(this.#waiting, seq, false); // Issued: younger messages may follow it now.
        const reply = await request;
        const raw = reply.json<Record<string, unknown>>();
        const parsed = chunkAckSchema.safeParse(raw);
        // A chunk's ACK must name that chunk: an older chunk's ACK, replayed, ends nothing.
        const misplaced = parsed.success && frames.length > 1 && parsed.data.chunk !== frame
          ? `ACK of chunk ${parsed.data.chunk} received for chunk ${frame}`
          : undefined;
        const forged = parsed.success && parsed.data.id === message.id
          ? misplaced ?? await this.#deps.verifyAck?.(message, raw)
          : "malformed ACK";
        if (!parsed.success || forged) {
          lastError = forged ?? "malformed ACK";
          attempt++;
          this.#mark(this.#failing, seq, true);
          turnWait = 0;
          continue;
        }
        const ack = parsed.data;
        this.#confirmed();
        if (ack.ok && (ack.duplicate || frame === frames.length - 1)) {
          const ackMs = performance.now() - firstSent;
          const duplicate = ack.duplicate;
          this.#deps.finished(message, { delivered: true, acked: true, ackMs, duplicate });
          return;
        }
        if (ack.ok) {
          frame++;
          attempt = 0;
          continue;
        }
        if (ack.resendFrom === undefined || ack.resendFrom > frame) {
          this.#deps.finished(message, {
            delivered: false,
            reason: "refused",
            error: ack.error ?? "refused by the receiver",
          });
          return;
        }
        lastError = ack.error ?? `receiver asked to resend from chunk ${ack.resendFrom}`;
        frame = ack.resendFrom;
        restarts++;
        wait = ack.busy === true;
      } catch (err) {
        lastError = (err as Error).message;
        this.#mark(this.#failing, seq, true);
        if (early && performance.now() < dueAt) {
          turnWait = dueAt - performance.now(); // Back to waiting for its own retry time.
          continue;
        }
        attempt++;
        // No responders (node down) fails at once: still wait out the ACKTimeout before the
        // next try (in #turn), so that `retries` spans the time the seed promises.
        turnWait = Math.max(0, timeoutMs - (performance.now() - started));
      }
      const rest = timeoutMs - (performance.now() - started);
      if (wait && rest > 0 && attempt <= message.retries) await sleep(rest, this.#signal);
    }
    this.#deps.finished(message, {
      delivered: false,
      reason: "max-retries",
      error: `max retries reached, check if node is up and running and if it got a subscriber ` +
        `for the given REQ type (last error: ${lastError})`,
    });
  }
  /** The seal of chunk `index` of `message`, for this send. */
  async #sealOf(message: Message, frames: Frame[], index: number): Promise<string> {
    const f = frames[index];
    f.sha256 ??= await sha256Hex(f.data);
    return await this.#deps.sealChunk!({
      id: message.id,
      index,
      count: frames.length,
      total: frames.reduce((sum, x) => sum + x.data.length, 0),
      fromNode: message.fromNode,
      toNode: message.toNode,
      subject: this.subject,
      sha256: f.sha256,
    });
  }
}

/** One NATS message of a delivery: the whole message, or one chunk of it with its header. */
interface Frame {
  data: Uint8Array;
  headers?: MsgHdrs;
  /** SHA-256 of `data` (hex), once a seal needed it. */
  sha256?: string;
}

/** The whole payload when it fits the broker's max payload, else its chunks. */
function framesOf(id: string, payload: Uint8Array, maxPayload: number): Frame[] {
  if (payload.length <= maxPayload) return [{ data: payload }];
  const parts = splitPayload(payload, Math.max(1024, maxPayload - HEADER_ROOM));
  return parts.map((data, index) => {
    const h = headers();
    h.set(
      CHUNK_HEADER,
      formatChunkHeader({ id, index, count: parts.length, total: payload.length }),
    );
    return { data, headers: h };
  });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
