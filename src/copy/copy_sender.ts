/**
 * The source's side of a copy: announces it to the destination (`REQCopyDst`, a signed message
 * like any other), asks where the destination stands, then pushes the chunks it lacks one at a
 * time, each sealed with its SHA-256, reading the file a chunk at a time (memory stays flat
 * whatever its size). A chunk the destination did not take is sent again; while the
 * destination or the broker is away the same chunk is tried again until the copy's time limit;
 * a run resumed after a restart asks first and sends only what did not arrive. Last, the whole
 * file's SHA-256 is sealed in the finish, and the destination renames the file into place only
 * when it matches.
 *
 * @module
 */
import { headers, type NatsConnection } from "npm:@nats-io/transport-node@3.4.0";
import type { Metrics } from "../metrics.ts";
import type { Security } from "../security/security.ts";
import { CHUNK_SEAL_HEADER, parseChunkSeal, sha256Hex } from "../node/chunk_seal.ts";
import {
  answerSubject,
  chunkCount,
  chunkSubject,
  COPY_OP_HEADER,
  type CopyAnswer,
  copyAnswerSchema,
  type CopyOp,
  type CopyPlan,
} from "./protocol.ts";
import { CopyError, hashPrefix, hashTo, readChunk } from "./source_file.ts";
import { Throttle } from "./throttle.ts";

export { CopyError };

/** What a {@linkcode CopySender} uses of its node. */
export interface CopySenderDeps {
  nodeName: string;
  connection(): Promise<NatsConnection>;
  security: Pick<Security, "sealChunk" | "verifyChunk">;
  metrics: Pick<Metrics, "copyBytes" | "copies" | "copyResumptions">;
  /** Sends the `REQCopyDst` announcing `order`; returns why the destination refused it, if it did. */
  announce(order: CopyOrder): Promise<() => string | undefined>;
}

/** One copy to send. */
export interface CopyOrder {
  /** The plan the destination gets (`copyId`, target, size, chunk size, mode…). */
  plan: CopyPlan;
  srcPath: string;
  dstNode: string;
  /** Bytes per second at most (0: no cap). */
  maxBytesPerSecond: number;
  /** The copy's time limit (the `REQCopySrc`'s `methodTimeout`), in seconds. */
  timeoutSeconds: number;
}

/** How far a copy is. */
export interface CopyProgress {
  bytes: number;
  size: number;
  chunks: number;
  count: number;
  bytesPerSecond: number;
}

/** How a copy went. */
export interface CopyReport {
  size: number;
  sha256: string;
  count: number;
  /** Chunks sent more than once (not taken, or their answer lost), each counted once. */
  resent: number;
  /** Times the copy went on after an interruption (a restart, a lost broker or destination). */
  resumptions: number;
  seconds: number;
}

/**
 * What a copy counts as it goes: chunks sent again, resumptions, chunks sent at least once, and
 * the chunks waiting to be tried again (no answer came).
 */
interface Stats {
  resent: Set<number>;
  resumptions: number;
  sent: Set<number>;
  retrying: Set<number>;
}

/** Runs `step` once the steps queued before it have settled. */
type InTurn = <T>(step: () => Promise<T>) => Promise<T>;

/** True for a request nobody was listening for (the destination is away): nothing arrived. */
function isNoResponders(err: unknown): boolean {
  return err instanceof Error && err.name === "RequestError" && err.cause instanceof Error &&
    err.cause.name === "NoResponders";
}

const encoder = new TextEncoder();
/** Chunks a copy has in flight at once. */
const WINDOW = 4;
const decoder = new TextDecoder();
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });

/**
 * Sends copies from one node.
 *
 * @example
 * ```ts ignore
 * import { CopySender } from "./copy_sender.ts";
 * const report = await new CopySender(deps).send(order, { signal, progress: console.log });
 * ```
 */
export class CopySender {
  #deps: CopySenderDeps;

  /** A sender for the node `deps` describes. */
  constructor(deps: CopySenderDeps) {
    this.#deps = deps;
  }

  /**
   * Sends `order.srcPath`; resolves once the file is in place on the destination with the
   * SHA-256 it had here.
   *
   * @throws {CopyError} when the destination refuses it or the file changed on the way; the
   * abort reason when `signal` aborts first.
   */
  async send(
    order: CopyOrder,
    options: { signal: AbortSignal; progress?: (p: CopyProgress) => void | Promise<void> },
  ): Promise<CopyReport> {
    const { plan } = order;
    const { signal } = options;
    const began = performance.now();
    const count = chunkCount(plan.size, plan.chunkBytes);
    const stats: Stats = {
      resent: new Set(),
      resumptions: 0,
      sent: new Set(),
      retrying: new Set(),
    };
    // Requests leave in the order they were made: sealing a chunk awaits work off the thread
    // that may end out of order, and the destination takes chunks strictly in order only.
    let lane: Promise<unknown> = Promise.resolve();
    const inTurn: InTurn = (step) => {
      const turn = lane.then(step);
      lane = turn.catch(() => {});
      return turn;
    };
    const ask = (op: CopyOp, index: number, data: Uint8Array) =>
      this.#ask(order, stats, { op, index, count, data }, inTurn, signal);
    const refusal = await this.#deps.announce(order);
    let answer = await ask("status", count, new Uint8Array());
    for (let tries = 1; answer.unknown; tries++) {
      const refused = refusal();
      if (refused) throw new CopyError(refused);
      await sleep(Math.min(100 * tries, 1000), signal);
      signal.throwIfAborted();
      answer = await ask("status", count, new Uint8Array());
    }
    if (answer.next > 0 || answer.done) {
      stats.resumptions++;
      this.#deps.metrics.copyResumptions.inc({ role: "source" });
    }
    const file = await Deno.open(order.srcPath, { read: true });
    try {
      // Chunks in flight at once: reading, hashing and sealing the next overlaps the
      // destination's work on the last; the destination still takes them strictly in order.
      const buffers = Array.from({ length: WINDOW }, () => new Uint8Array(plan.chunkBytes));
      const throttle = new Throttle(order.maxBytesPerSecond);
      let confirmed = answer.done ? count : answer.next;
      let whole = await hashPrefix(
        file,
        buffers[0],
        Math.min(confirmed * plan.chunkBytes, plan.size),
      );
      let sending = confirmed;
      const inflight: { index: number; data: Uint8Array; answer: Promise<CopyAnswer> }[] = [];
      let lastProgress = 0;
      while (confirmed < count) {
        // No new chunk overtakes one waiting to be tried again: it would arrive first and be
        // refused, and all behind it sent again.
        while (inflight.length < WINDOW && sending < count && stats.retrying.size === 0) {
          const index = sending++;
          const data = await readChunk(
            file,
            buffers[index % WINDOW],
            index * plan.chunkBytes,
            plan,
          );
          const answer = ask("chunk", index, data);
          answer.catch(() => {}); // Awaited in turn below.
          inflight.push({ index, data, answer });
        }
        const head = inflight.shift()!;
        const reply = await head.answer;
        if (reply.error) throw new CopyError(reply.error);
        // Taken when the destination holds everything before `next`, beyond this chunk: the
        // answer to a duplicate (a retry the client buffered through a broker outage and sent
        // twice) says so too, and is no reason to go back.
        if (reply.next > head.index && head.index === confirmed) {
          whole.update(head.data);
          confirmed++;
          this.#deps.metrics.copyBytes.inc({ role: "source" }, head.data.length);
          await throttle.take(head.data.length, signal);
        } else {
          // Not taken (its bytes changed on the way, or one before it is missing): let what is
          // in flight end, ask where the destination stands, and go on from there.
          await Promise.allSettled(inflight.map((f) => f.answer));
          inflight.length = 0;
          const status = await ask("status", count, new Uint8Array());
          if (status.error || status.unknown) {
            throw new CopyError(status.error ?? "the destination no longer knows the copy");
          }
          const at = Math.min(status.next, count);
          whole = await hashTo(file, buffers[0], whole, confirmed, at, plan);
          confirmed = sending = at;
        }
        const now = performance.now();
        if (options.progress && (now - lastProgress > 1000 || confirmed === count)) {
          lastProgress = now;
          const bytes = Math.min(confirmed * plan.chunkBytes, plan.size);
          const seconds = (now - began) / 1000;
          await options.progress({
            bytes,
            size: plan.size,
            chunks: confirmed,
            count,
            bytesPerSecond: Math.round(bytes / Math.max(seconds, 0.001)),
          });
        }
      }
      const sha256 = whole.digest("hex");
      if (answer.done && answer.done !== sha256) {
        throw new CopyError(`the destination holds SHA-256 ${answer.done}, the file ${sha256}`);
      }
      for (let done = answer; done.done !== sha256;) {
        done = await ask("finish", count, encoder.encode(sha256));
        if (done.error) throw new CopyError(done.error);
        if (done.done && done.done !== sha256) {
          throw new CopyError(`the destination holds SHA-256 ${done.done}`);
        }
        if (!done.done) throw new CopyError(`the destination lacks chunks from ${done.next}`);
      }
      this.#deps.metrics.copies.inc({ role: "source", outcome: "done" });
      return {
        size: plan.size,
        sha256,
        count,
        resent: stats.resent.size,
        resumptions: stats.resumptions,
        seconds: (performance.now() - began) / 1000,
      };
    } catch (err) {
      this.#deps.metrics.copies.inc({
        role: "source",
        outcome: signal.aborted ? "timeout" : "failed",
      });
      throw err;
    } finally {
      file.close();
    }
  }

  /**
   * One request to the destination, sent again until a sealed answer comes back: a silence (the
   * destination or the broker away) waits a second and tries again, and counts as an
   * interruption once an answer comes.
   */
  async #ask(
    order: CopyOrder,
    stats: Stats,
    req: { op: CopyOp; index: number; count: number; data: Uint8Array },
    inTurn: InTurn,
    signal: AbortSignal,
  ): Promise<CopyAnswer> {
    const { nodeName: self, security } = this.#deps;
    const subject = chunkSubject(order.dstNode);
    // Hashed in turn too: the request made first must reach the lane first.
    const sha256 = inTurn(() => sha256Hex(req.data));
    // An answer lost with a destination that died is waited for this long before the chunk
    // goes again: 2 s plus four times its transfer at the cap (8 MiB/s when there is none).
    // The finish waits for the destination to hash the whole file (at 20 MB/s or more).
    const rate = order.maxBytesPerSecond > 0 ? order.maxBytesPerSecond : 8 * 1024 * 1024;
    const timeout = req.op === "finish"
      ? 30_000 + order.plan.size / 20_000
      : 2000 + Math.ceil((4000 * req.data.length) / rate);
    let interrupted = false;
    // A chunk counts as sent again when it goes out once more after it may have arrived.
    const sentOnce = (index: number) => {
      if (req.op !== "chunk") return;
      if (stats.sent.has(index)) stats.resent.add(index);
      else stats.sent.add(index);
    };
    for (;;) {
      signal.throwIfAborted();
      try {
        // Published (synchronously, by `request`) in turn; the answer is awaited outside it.
        const sent = await inTurn(async () => {
          const nc = await this.#deps.connection();
          const h = headers();
          h.set(COPY_OP_HEADER, req.op);
          h.set(
            CHUNK_SEAL_HEADER,
            await security.sealChunk({
              id: order.plan.copyId,
              index: req.index,
              count: req.count,
              total: order.plan.size,
              fromNode: self,
              toNode: order.dstNode,
              subject,
              sha256: await sha256,
            }),
          );
          return { reply: nc.request(subject, req.data, { timeout, headers: h }) };
        });
        const reply = await sent.reply.then(
          (r) => (sentOnce(req.index), r),
          (err) => {
            if (!isNoResponders(err)) sentOnce(req.index); // It may have arrived.
            throw err;
          },
        );
        const sealed = parseChunkSeal(reply.headers?.get(CHUNK_SEAL_HEADER) ?? "");
        if (typeof sealed === "string") throw new Error(sealed);
        const refused = await security.verifyChunk(sealed);
        if (refused) throw new Error(refused);
        const seal = sealed.fields;
        if (
          seal.fromNode !== order.dstNode || seal.toNode !== self ||
          seal.id !== order.plan.copyId ||
          seal.subject !== answerSubject(self) || seal.sha256 !== await sha256Hex(reply.data)
        ) throw new Error("an answer sealed for another copy");
        const answer = copyAnswerSchema.parse(JSON.parse(decoder.decode(reply.data)));
        stats.retrying.delete(req.index);
        if (interrupted) {
          stats.resumptions++;
          this.#deps.metrics.copyResumptions.inc({ role: "source" });
        }
        return answer;
      } catch {
        interrupted = true;
        if (req.op === "chunk") stats.retrying.add(req.index);
        await sleep(1000, signal);
      }
    }
  }
}
